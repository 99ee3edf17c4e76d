"""core.classifier without QGIS: the offline default classifier on real photos."""

import csv

import pytest
from PIL import Image

from scenic_heatmap.core.cnn import classifier


@pytest.fixture(scope="module")
def default():
    return classifier.DefaultClassifier()


@pytest.fixture(scope="module")
def skimage_photos(tmp_path_factory):
    data = pytest.importorskip("skimage.data")
    folder = tmp_path_factory.mktemp("cc0")
    for name in ("coffee", "page", "chelsea"):
        Image.fromarray(getattr(data, name)()).convert("RGB").save(folder / f"{name}.jpg", quality=90)
    return folder


def test_mapping_covers_imagenet_and_is_reviewed():
    with open(classifier.CATEGORY_CSV, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["index"]) for r in rows] == list(range(1000))
    by_name = {r["imagenet_class"]: r for r in rows}
    for name in (
        "alp",
        "valley",
        "seashore",
        "church",
        "castle",
        "palace",
        "triumphal_arch",
        "street_sign",
        "park_bench",
        "suspension_bridge",
    ):
        assert by_name[name]["valid"] == "1", name
    for name in (
        "espresso",
        "pizza",
        "web_site",
        "comic_book",
        "menu",
        "book_jacket",
        "dining_table",
        "studio_couch",
        "sports_car",
        "tabby",
        "lipstick",
    ):
        assert by_name[name]["valid"] == "0", name
    categories, valid = classifier.load_categories()
    assert valid.sum() == sum(r["valid"] == "1" for r in rows)


def test_street_and_landscape_photos_are_valid(default, exif_dir):
    church = str(exif_dir / "jpg" / "gps" / "DSCN0040.jpg")  # piazza with a church, Arezzo
    alps = str(exif_dir / "jpg" / "tests" / "11-tests.jpg")  # alpine valley
    results = {p.path: p for p in default.classify([church, alps])}
    assert results[church].category == "architecture" and results[church].scores["valid"] > 0.9
    assert results[alps].category == "landscape" and results[alps].scores["valid"] > 0.9


def test_food_text_and_animals_are_not(default, skimage_photos):
    paths = [str(skimage_photos / f"{n}.jpg") for n in ("coffee", "page", "chelsea")]
    coffee, page, cat = default.classify(paths)
    assert coffee.category == "food" and coffee.scores["valid"] < 0.05
    assert page.label == "non_valid" and page.scores["valid"] < 0.1
    assert cat.category == "animal" and cat.scores["valid"] < 0.05


def test_the_optional_face_check_makes_a_portrait(default, exif_dir):
    path = str(exif_dir / "jpg" / "Konica_Minolta_DiMAGE_Z3.jpg")  # a woman's portrait at a desk
    always_check = classifier.DefaultClassifier(face_check=True, face_gate=0.0)
    (portrait,) = always_check.classify([path])
    assert portrait.category == classifier.PORTRAIT and portrait.faces >= 1
    assert portrait.scores["valid"] == 0 and portrait.label == "non_valid"
    (plain,) = default.classify([path])  # the trained head alone already drops it
    assert plain.label == "non_valid" and plain.scores["valid"] < 0.1 and plain.faces == 0


def test_shipped_head_on_photos_it_never_saw(default, tmp_path):
    """The built-in head was trained on photo_devset and ../shared's camera photos, not on these:
    views cropped from scikit-learn's china.jpg (CC BY 2.0) are kept, scikit-image's CC0 samples dropped."""
    datasets = pytest.importorskip("sklearn.datasets")
    data = pytest.importorskip("skimage.data")
    china = Image.fromarray(datasets.load_sample_image("china.jpg"))
    w, h = china.size
    views = []
    for i, (x, y) in enumerate(((0, 0), (w // 4, 0), (0, h // 4), (w // 4, h // 4))):
        views.append(tmp_path / f"view{i}.jpg")
        china.crop((x, y, x + w * 3 // 4, y + h * 3 // 4)).save(views[-1], quality=90)
    others = []
    for name in ("coffee", "chelsea", "astronaut", "page", "camera", "cat"):
        others.append(tmp_path / f"{name}.jpg")
        Image.fromarray(getattr(data, name)()).convert("RGB").save(others[-1], quality=90)
    threshold = default.head.threshold
    kept = [p.scores["valid"] for p in default.classify([str(v) for v in views])]
    dropped = [p.scores["valid"] for p in default.classify([str(o) for o in others])]
    assert min(kept) > 0.9 and max(dropped) < 0.05, (kept, dropped)
    assert 0.2 < threshold < 0.6  # chosen out-of-fold, far below the study's 0.9


def test_shipped_head_records_how_it_was_made():
    head = classifier.Head.load(classifier.DEFAULT_HEAD)
    meta = head.meta
    assert meta["photo_devset_manifest_sha256"] and meta["command"].startswith("python scripts/make_default_model.py")
    assert meta["metrics"]["balanced_accuracy_at_threshold"] >= 0.95
    assert meta["metrics"]["expected_calibration_error"] <= 0.05
    assert meta["calibration"]["kind"] == "platt" and len(meta["trained_on"]) == sum(
        sum(counts.values()) for counts in meta["photos"].values()
    )


def test_bad_files_are_reported_not_raised(default, tmp_path, exif_dir):
    good = exif_dir / "jpg" / "gps" / "DSCN0010.jpg"
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[:3000])
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    paths = [str(tmp_path / "missing.jpg"), str(truncated), str(text), str(good)]
    missing, cut, notes, fine = default.classify(paths)
    assert missing.error == "file not found"
    assert cut.error.startswith("unreadable") and notes.error.startswith("unreadable")
    assert fine.error == "" and fine.scores is not None


@pytest.mark.timeout(120)
def test_a_fifo_is_reported_not_opened(default, tmp_path):
    import os

    os.mkfifo(tmp_path / "trap.jpg")
    (answer,) = default.classify([str(tmp_path / "trap.jpg")])
    assert "FIFO" in answer.error and answer.scores is None


def test_progress_can_stop_early(exif_dir):
    paths = [str(p) for p in sorted((exif_dir / "jpg" / "gps").glob("*.jpg"))]
    small = classifier.DefaultClassifier(batch_size=4)
    got = list(small.classify(paths, progress=lambda done: done < 4))
    assert len(got) == 4 and len(paths) == 9


def test_study_csv_format():
    lines = classifier.study_csv_rows(
        [
            {"lat": 48.2085, "lon": 16.3725, "path": "/p/1;2.jpg", "taken": "2016-07-01 10:00:00", "score": 0.93},
            {"lat": None, "lon": None, "path": "/p/x.jpg", "taken": None, "score": 0.1},
        ]
    )
    assert lines == [
        "LAT;LON;PATH;TIME;SCORE",
        "48.2085000;16.3725000;/p/1,2.jpg;2016-07-01 10:00:00;0.9300",
        ";;/p/x.jpg;;0.1000",
    ]


def test_fast_inference_path_matches_the_network(default, skimage_photos):
    import numpy as np

    from scenic_heatmap.core.cnn import backbone

    image = backbone.preprocess(Image.open(skimage_photos / "coffee.jpg"))
    batch = np.zeros((default.batch_size, 224, 224, 3), np.float32)
    batch[0] = image
    features = default._predict(batch)[0]  # TFLite/XNNPACK where available
    reference = backbone.load_backbone(include_top=False).predict(image[None], verbose=0)[0]
    np.testing.assert_allclose(features, reference, atol=1e-3)
    kernel, bias = backbone.imagenet_classifier()
    assert (features @ kernel + bias).argmax() == backbone.ESPRESSO
