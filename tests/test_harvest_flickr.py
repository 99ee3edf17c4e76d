"""scenicheatmap:harvestflickr in real QGIS and through qgis_process, against the fake Flickr."""

import datetime
import os

import pytest
from fake_flickr import make_photos
from qgis.core import (
    QgsApplication,
    QgsAuthMethodConfig,
    QgsProcessingException,
    QgsProcessingFeedback,
    QgsVectorLayer,
)

VIENNA = (16.18, 48.11, 16.58, 48.33)
START = datetime.date(2016, 6, 30)
END = datetime.date(2016, 7, 13)
KEY, SECRET = "test-key", "TOPSECRET-77d1"


class RecordingFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.text = []

    def pushInfo(self, info):
        self.text.append(info)

    def pushDebugInfo(self, info):
        self.text.append(info)

    def setProgressText(self, text):
        self.text.append(text)

    def reportError(self, error, fatalError=False):  # noqa: N803 - QGIS API
        self.text.append(error)


@pytest.fixture()
def fake(fake_flickr):
    return fake_flickr(make_photos(80, VIENNA, START, END, seed=8), image_scale=0.1)


@pytest.fixture()
def authcfg(qgis_app, tmp_path_factory):
    manager = QgsApplication.authManager()
    if not manager.masterPasswordIsSet():
        assert manager.setMasterPassword("scenic-test-master", True)
    config = QgsAuthMethodConfig("Basic")
    config.setName("flickr test")
    config.setConfig("username", KEY)
    config.setConfig("password", SECRET)
    assert manager.storeAuthenticationConfig(config)[0]
    yield config.id()
    manager.removeAuthenticationConfig(config.id())


def parameters(fake, folder, **extra):
    west, south, east, north = VIENNA
    values = {
        "EXTENT": f"{west},{east},{south},{north} [EPSG:4326]",
        "START": START.isoformat(),
        "END": END.isoformat(),
        "BLOCK_DAYS": 7,
        "IMAGE_FOLDER": str(folder),
        "OUTPUT": str(folder / "photos.gpkg"),
        "API_ENDPOINT": fake.rest_url,
    }
    values.update(extra)
    return values


def test_harvest_with_auth_config(run_alg, fake, authcfg, tmp_path):
    feedback = RecordingFeedback()
    result = run_alg("scenicheatmap:harvestflickr", parameters(fake, tmp_path, AUTHCFG=authcfg), feedback=feedback)
    layer = QgsVectorLayer(result["OUTPUT"], "flickr")
    gnss = sorted((p.id for p in fake.photos if p.exif in ("dms", "rational", "letters")), key=int)
    assert [f["photo_id"] for f in layer.getFeatures()] == gnss
    assert [f.name() for f in layer.fields()][-18:] == [
        "photo_id",
        "owner",
        "owner_name",
        "title",
        "taken",
        "uploaded",
        "lat",
        "lon",
        "gnss",
        "geotag_lat",
        "geotag_lon",
        "geotag_accuracy",
        "gnss_geotag_m",
        "license",
        "page_url",
        "image_path",
        "width",
        "height",
    ]
    feature = next(layer.getFeatures())
    assert os.path.exists(feature["image_path"]) and feature["image_path"].endswith(f"{feature['photo_id']}.jpg")
    assert feature["taken"].isValid() and feature.geometry().asPoint().y() == pytest.approx(feature["lat"])
    assert any("photos kept" in line for line in feedback.text)
    everything = "\n".join(feedback.text)
    assert KEY not in everything and SECRET not in everything


def test_missing_credentials_are_a_clear_error(run_alg, fake, tmp_path, monkeypatch):
    monkeypatch.delenv("SCENIC_HEATMAP_FLICKR_KEY", raising=False)
    monkeypatch.delenv("SCENIC_HEATMAP_FLICKR_SECRET", raising=False)
    with pytest.raises(QgsProcessingException, match="API key and secret are needed"):
        run_alg("scenicheatmap:harvestflickr", parameters(fake, tmp_path))
    assert not (tmp_path / "photos.gpkg").exists()


def test_wrong_key_stops_without_output(run_alg, fake, tmp_path):
    with pytest.raises(QgsProcessingException, match="Invalid API Key"):
        run_alg("scenicheatmap:harvestflickr", parameters(fake, tmp_path, API_KEY="bad", API_SECRET="bad"))
    assert not (tmp_path / "photos.gpkg").exists()
    assert sum(fake.calls.values()) == 1  # the key check alone


def test_cancel_leaves_a_resumable_state(run_alg, fake, tmp_path):
    feedback = RecordingFeedback()
    feedback.progressChanged.connect(lambda _: None)
    fake.latency = 0.02
    counter = {"n": 0}

    def cancel_soon(_text):
        counter["n"] += 1
        if counter["n"] == 10:
            feedback.cancel()

    original = feedback.setProgressText
    feedback.setProgressText = lambda text: (original(text), cancel_soon(text))
    with pytest.raises(QgsProcessingException, match="resume"):
        run_alg(
            "scenicheatmap:harvestflickr", parameters(fake, tmp_path, API_KEY=KEY, API_SECRET=SECRET), feedback=feedback
        )
    assert not (tmp_path / "photos.gpkg").exists()
    calls_before = fake.calls["flickr.photos.getExif"]
    result = run_alg("scenicheatmap:harvestflickr", parameters(fake, tmp_path, API_KEY=KEY, API_SECRET=SECRET))
    assert result["PHOTOS"] == sum(p.exif in ("dms", "rational", "letters") for p in fake.photos)
    assert fake.calls["flickr.photos.getExif"] - calls_before < len(fake.photos)  # resumed, not restarted


def test_through_qgis_process(qgis_process, qgis_process_env, fake, tmp_path, monkeypatch):
    qgis_process_env["SCENIC_HEATMAP_FLICKR_KEY"] = KEY
    qgis_process_env["SCENIC_HEATMAP_FLICKR_SECRET"] = SECRET
    try:
        rc, result, log = qgis_process("scenicheatmap:harvestflickr", parameters(fake, tmp_path))
    finally:
        del qgis_process_env["SCENIC_HEATMAP_FLICKR_KEY"], qgis_process_env["SCENIC_HEATMAP_FLICKR_SECRET"]
    assert rc == 0, log
    assert result["results"]["PHOTOS"] == sum(p.exif in ("dms", "rational", "letters") for p in fake.photos)
    assert QgsVectorLayer(str(tmp_path / "photos.gpkg"), "p").featureCount() == result["results"]["PHOTOS"]
    assert KEY not in log and SECRET not in log


def test_licence_filter_and_extent_in_another_crs(run_alg, fake, tmp_path):
    # the Vienna box in EPSG:31256 (MGI / Austria GK East); it is turned into a WGS 84 bbox
    extent = "-12000,18000,331000,356000 [EPSG:31256]"
    result = run_alg(
        "scenicheatmap:harvestflickr",
        parameters(fake, tmp_path, EXTENT=extent, LICENSES=[4, 9], API_KEY=KEY, API_SECRET=SECRET),
    )
    layer = QgsVectorLayer(result["OUTPUT"], "flickr")
    licences = {f["license"] for f in layer.getFeatures()}
    assert licences and licences <= {"4", "9"}
    searches = [dict(query) for query, _ in fake.searches]
    assert all(q["license"] == "4,9" for q in searches)
    west, south, east, north = (float(v) for v in searches[0]["bbox"].split(","))
    assert 16.1 < west < 16.3 and 48.0 < south < 48.2 and 16.5 < east < 16.7 and 48.3 < north < 48.4


@pytest.mark.parametrize("answer", ["Invalid API Key (Key has expired)", "Invalid API Key (Key not found)"])
def test_an_expired_or_refused_key_says_why_before_anything_is_written(run_alg, fake, tmp_path, answer):
    fake.key_answer = answer
    folder = tmp_path / "images"
    with pytest.raises(QgsProcessingException, match="Flickr Pro") as raised:
        run_alg(
            "scenicheatmap:harvestflickr",
            {**parameters(fake, tmp_path, API_KEY="old-key", API_SECRET="old-secret"), "IMAGE_FOLDER": str(folder)},
        )
    assert answer in str(raised.value) and "YFCC100M" in str(raised.value)
    assert not (tmp_path / "photos.gpkg").exists()
    assert not folder.exists() or not any(folder.iterdir())  # no harvest state, no image
    assert dict(fake.calls) == {"flickr.test.echo": 1}
