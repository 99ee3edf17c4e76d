"""The shipped graphical model: harvest -> classify -> districtstats -> heatmap, against the fake Flickr."""

import datetime
import os

import pytest
from fake_flickr import make_photos
from qgis.core import QgsApplication, QgsRasterLayer, QgsVectorLayer

VIENNA = (16.18, 48.11, 16.58, 48.33)
START, END = datetime.date(2016, 6, 30), datetime.date(2016, 7, 13)
KEY, SECRET = "test-key", "MODEL-SECRET-5f2a"  # the fake accepts "test-key"


@pytest.fixture()
def fake(fake_flickr):
    return fake_flickr(make_photos(60, VIENNA, START, END, seed=4), image_scale=0.1)


def after_the_photos(folder, districts_path):
    """The parameters both models share: classify -> districts -> heat map, outputs in folder."""
    west, south, east, north = VIENNA
    return {
        "EXTENT": f"{west},{east},{south},{north} [EPSG:4326]",
        "THRESHOLD": 0.0,  # the served images are plain
        "DISTRICTS": str(districts_path),
        "DISTRICT_ID": "DISTRICT_CODE",
        "RADIUS": 1000,
        "PIXEL_SIZE": 50,
        "WEIGHTING": 1,
        "harvest:Photo folder": str(folder / "images"),
        "classify:Classified photos": str(folder / "classified.gpkg"),
        "classify:Valid photos": str(folder / "valid.gpkg"),
        "districts:Valid photos in districts": str(folder / "clipped.gpkg"),
        "districts:Districts with counts": str(folder / "districts.gpkg"),
        "districts:District summary": str(folder / "summary.csv"),
        "heatmap:Heat map": str(folder / "heat.tif"),
    }


def model_parameters(fake, folder, districts_path):
    return dict(
        after_the_photos(folder, districts_path),
        START=START.isoformat(),
        END=END.isoformat(),
        API_ENDPOINT=fake.rest_url,
        **{"harvest:Harvested photos": str(folder / "harvest.gpkg")},
    )


def check_outputs(folder, fake):
    kept = sum(p.exif in ("dms", "rational", "letters") for p in fake.photos)
    assert QgsVectorLayer(str(folder / "harvest.gpkg"), "h").featureCount() == kept
    assert QgsVectorLayer(str(folder / "valid.gpkg"), "v").featureCount() == kept  # threshold 0: all readable
    clipped = QgsVectorLayer(str(folder / "clipped.gpkg"), "c").featureCount()
    districts = QgsVectorLayer(str(folder / "districts.gpkg"), "d")
    assert 0 < clipped <= kept and sum(f["images"] for f in districts.getFeatures()) == clipped
    heat = QgsRasterLayer(str(folder / "heat.tif"), "heat")
    assert heat.isValid() and heat.renderer().type() == "singlebandpseudocolor"
    assert (folder / "heat.qml").exists()


def test_the_provider_lists_the_model_with_its_parameters(processing_provider):
    model = QgsApplication.processingRegistry().algorithmById("scenicheatmap:workflow")
    assert model is not None and "workflow" in model.displayName().lower()
    names = {p.name() for p in model.parameterDefinitions()}
    assert {
        "EXTENT",
        "START",
        "END",
        "AUTHCFG",
        "CLASSIFIER",
        "THRESHOLD",
        "DISTRICTS",
        "DISTRICT_ID",
        "RADIUS",
        "PIXEL_SIZE",
        "WEIGHTING",
        "heatmap:Heat map",
        "webmap:Web map",
    } <= names
    assert all(child.algorithm() is not None for child in model.childAlgorithms().values())


def test_model_runs_the_whole_chain(run_alg, fake, tmp_path, districts_path, monkeypatch):
    monkeypatch.setenv("SCENIC_HEATMAP_FLICKR_KEY", KEY)
    monkeypatch.setenv("SCENIC_HEATMAP_FLICKR_SECRET", SECRET)
    run_alg("scenicheatmap:workflow", model_parameters(fake, tmp_path, districts_path))
    check_outputs(tmp_path, fake)
    assert not list(tmp_path.rglob("*.html"))  # the web map is optional, and off unless named


def test_model_runs_through_qgis_process(qgis_process, qgis_process_env, fake, tmp_path, districts_path):
    env = {"SCENIC_HEATMAP_FLICKR_KEY": KEY, "SCENIC_HEATMAP_FLICKR_SECRET": SECRET}
    qgis_process_env.update(env)
    try:
        rc, result, log = qgis_process("scenicheatmap:workflow", model_parameters(fake, tmp_path, districts_path))
    finally:
        for name in env:
            del qgis_process_env[name]
    assert rc == 0, log[-3000:]
    check_outputs(tmp_path, fake)
    assert KEY not in log and SECRET not in log
    assert os.path.exists(result["results"]["heatmap:Heat map"])


@pytest.mark.parametrize("change, named", [({"RADIUS": 0}, "radius"), ({"DISTRICT_ID": "NOPE"}, "DISTRICT_ID")])
def test_model_fails_before_the_harvest(run_alg, fake, tmp_path, districts_path, monkeypatch, change, named):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    class Errors(QgsProcessingFeedback):
        lines = []

        def reportError(self, error, fatalError=False):  # noqa: N803 - QGIS API
            self.lines.append(error)

    monkeypatch.setenv("SCENIC_HEATMAP_FLICKR_KEY", KEY)
    monkeypatch.setenv("SCENIC_HEATMAP_FLICKR_SECRET", SECRET)
    parameters = dict(model_parameters(fake, tmp_path, districts_path), **change)
    feedback = Errors()
    with pytest.raises(QgsProcessingException, match="Check the district and heat-map settings"):
        run_alg("scenicheatmap:workflow", parameters, feedback=feedback)
    assert any(named in line for line in feedback.lines), feedback.lines
    assert os.listdir(tmp_path) == []  # the harvest never started: no photo folder, no layer


def test_the_keyless_model_runs_from_a_yfcc100m_file(run_alg, tmp_path, districts_path, image_server):
    """importyfcc (images from a local server) -> classify -> districts -> heat map, no key anywhere."""
    import sys
    import urllib.parse

    from conftest import REPO

    sys.path.insert(0, str(REPO / "tests" / "core" / "photos"))
    from test_yfcc import row

    base, gets = image_server
    lines = [
        row(
            i,
            7000 + i,
            lon=16.33 + 0.004 * (i % 10),
            lat=48.19 + 0.003 * (i % 8),
            owner=f"{i % 15}%40N02",
            image=urllib.parse.quote(f"{base}/ok/{7000 + i}.jpg", safe=""),
        )  # fmt: skip
        for i in range(40)
    ]
    (tmp_path / "yfcc100m_dataset").write_text("\n".join(lines) + "\n")
    run_alg(
        "scenicheatmap:workflow_yfcc",
        dict(
            after_the_photos(tmp_path, districts_path),
            YFCC_FILE=str(tmp_path / "yfcc100m_dataset"),
            START="2016-01-01",  # the rows are taken in 2016
            END="2016-12-31",
            **{
                "harvest:Imported photos": str(tmp_path / "imported.gpkg"),
                "webmap:Web map": str(tmp_path / "web.html"),
            },
        ),
    )
    assert QgsVectorLayer(str(tmp_path / "valid.gpkg"), "v").featureCount() == 40
    assert len(list((tmp_path / "images").glob("*.jpg"))) == 40 and sum(gets.values()) == 40
    assert QgsRasterLayer(str(tmp_path / "heat.tif"), "heat").isValid()
    from web_map_pages import page_data

    web = page_data(tmp_path / "web.html")  # the optional web map, named here: the heat map and the districts
    assert [o["name"] for o in web["overlays"]] == ["heat"] and web["vectors"][0]["name"] == "Districts"
