"""scenicheatmap:trainclassifier in real QGIS and through qgis_process; its model in classifyphotos."""

import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer

GROUPS = "valid=valid; non_valid=food,stuff"


def test_train_then_classify_with_the_model(run_alg, labelled_photos, exif_dir, tmp_path):
    result = run_alg(
        "scenicheatmap:trainclassifier",
        {
            "INPUT": str(labelled_photos),
            "CLASS_GROUPS": GROUPS,
            "EPOCHS": 30,
            "TEST_PERCENT": 30,
            "MODEL": str(tmp_path / "photos.scenicmodel"),
            "REPORT": str(tmp_path / "report.html"),
            "METRICS": "TEMPORARY_OUTPUT",
        },
    )
    assert result["TEST_ACCURACY"] > 0.5 and result["LABELS"] == "non_valid,valid"
    assert "Confusion matrix" in (tmp_path / "report.html").read_text()
    metrics = {(f["metric"], f["class"] or None): f["value"] for f in result["METRICS"].getFeatures()}  # NULL -> None
    assert metrics[("test_accuracy", None)] == pytest.approx(result["TEST_ACCURACY"])
    assert {("recall", "valid"), ("precision", "non_valid")} <= set(metrics)

    classified = run_alg(
        "scenicheatmap:classifyphotos",
        {
            "FOLDER": str(exif_dir / "jpg" / "gps"),
            "MODEL": str(tmp_path / "photos.scenicmodel"),
            "THRESHOLD": 0.5,
            "CLASSIFIED": "TEMPORARY_OUTPUT",
            "VALID": "TEMPORARY_OUTPUT",
        },
    )
    photos = [f for f in classified["CLASSIFIED"].getFeatures() if not f["error"]]
    assert len(photos) == 9 and {f["class"] for f in photos} <= {"valid", "non_valid"}
    assert classified["VALID_COUNT"] >= 7  # they were training photos of the valid class


def test_bad_input_writes_nothing(run_alg, tmp_path):
    (tmp_path / "only").mkdir()
    with pytest.raises(QgsProcessingException, match="only one class|no class"):
        run_alg(
            "scenicheatmap:trainclassifier",
            {
                "INPUT": str(tmp_path),
                "MODEL": str(tmp_path / "m.scenicmodel"),
                "REPORT": str(tmp_path / "r.html"),
                "METRICS": "TEMPORARY_OUTPUT",
            },
        )
    assert not (tmp_path / "m.scenicmodel").exists() and not (tmp_path / "r.html").exists()


def test_classify_refuses_a_class_the_model_lacks(run_alg, labelled_photos, exif_dir, tmp_path):
    run_alg(
        "scenicheatmap:trainclassifier",
        {
            "INPUT": str(labelled_photos),
            "CLASS_GROUPS": GROUPS,
            "EPOCHS": 2,
            "AUGMENT": False,
            "MODEL": str(tmp_path / "m.scenicmodel"),
            "REPORT": str(tmp_path / "r.html"),
            "METRICS": "TEMPORARY_OUTPUT",
        },
    )
    with pytest.raises(QgsProcessingException, match="not one of"):
        run_alg(
            "scenicheatmap:classifyphotos",
            {
                "FOLDER": str(exif_dir / "jpg" / "gps"),
                "MODEL": str(tmp_path / "m.scenicmodel"),
                "VALID_CLASS": "food",
                "CLASSIFIED": "TEMPORARY_OUTPUT",
                "VALID": "TEMPORARY_OUTPUT",
            },
        )


def test_through_qgis_process(qgis_process, labelled_photos, tmp_path):
    rc, result, log = qgis_process(
        "scenicheatmap:trainclassifier",
        {
            "INPUT": labelled_photos,
            "CLASS_GROUPS": GROUPS,
            "EPOCHS": 5,
            "AUGMENT": "false",
            "MODEL": tmp_path / "m.scenicmodel",
            "REPORT": tmp_path / "r.html",
            "METRICS": tmp_path / "metrics.csv",
        },
    )
    assert rc == 0, log
    assert (tmp_path / "m.scenicmodel").exists() and (tmp_path / "r.html").exists()
    metrics = [f["metric"] for f in QgsVectorLayer(str(tmp_path / "metrics.csv"), "m").getFeatures()]
    assert sum(m in ("test_accuracy", "precision", "recall") for m in metrics) == 5  # two classes
    assert "best_epoch" in metrics and "recall_by_class_folder" in metrics


def test_inceptionv3_offline_gives_a_clear_message(run_alg, labelled_photos, tmp_path, monkeypatch):
    from scenic_heatmap.core.cnn import backbone

    weights = tmp_path / "home" / ".keras" / "models" / backbone.INCEPTION_WEIGHTS
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no cached weights; this machine has no internet
    if backbone._inception_reachable():
        pytest.skip("this machine can reach Keras's weight server")
    with pytest.raises(QgsProcessingException, match="InceptionV3's ImageNet weights are not on this machine"):
        run_alg(
            "scenicheatmap:trainclassifier",
            {
                "INPUT": str(labelled_photos),
                "CLASS_GROUPS": GROUPS,
                "BACKBONE": 1,
                "EPOCHS": 1,
                "MODEL": str(tmp_path / "m.scenicmodel"),
                "REPORT": str(tmp_path / "r.html"),
                "METRICS": "TEMPORARY_OUTPUT",
            },
        )
    assert not weights.exists() and not (tmp_path / "m.scenicmodel").exists()


def test_fine_tuning_other_backbones_is_refused_before_work(run_alg, labelled_photos, tmp_path):
    with pytest.raises(QgsProcessingException, match="FINE_TUNE_BLOCKS: Fine-tuning works on efficientnet-lite0"):
        run_alg(
            "scenicheatmap:trainclassifier",
            {
                "INPUT": str(labelled_photos),
                "CLASS_GROUPS": GROUPS,
                "BACKBONE": 1,
                "FINE_TUNE_BLOCKS": 2,
                "MODEL": str(tmp_path / "m.scenicmodel"),
                "REPORT": str(tmp_path / "r.html"),
                "METRICS": "TEMPORARY_OUTPUT",
            },
        )
    assert not (tmp_path / "m.scenicmodel").exists()


def test_fine_tuned_model_through_the_toolbox(run_alg, labelled_photos, exif_dir, tmp_path):
    progress = []
    from qgis.core import QgsProcessingFeedback

    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(progress.append)
    result = run_alg(
        "scenicheatmap:trainclassifier",
        {
            "INPUT": str(labelled_photos),
            "CLASS_GROUPS": GROUPS,
            "EPOCHS": 12,
            "TEST_PERCENT": 30,
            "FINE_TUNE_BLOCKS": 1,
            "MODEL": str(tmp_path / "tuned.scenicmodel"),
            "REPORT": str(tmp_path / "r.html"),
            "METRICS": "TEMPORARY_OUTPUT",
        },
        feedback=feedback,
    )
    assert result["TEST_ACCURACY"] is not None
    assert progress == sorted(progress) and max(progress) >= 99  # features, head, fine-tuning in order
    assert "fine-tuned" in (tmp_path / "r.html").read_text()
    classified = run_alg(
        "scenicheatmap:classifyphotos",
        {
            "FOLDER": str(exif_dir / "jpg" / "gps"),
            "MODEL": str(tmp_path / "tuned.scenicmodel"),
            "THRESHOLD": 0.5,
            "CLASSIFIED": "TEMPORARY_OUTPUT",
            "VALID": "TEMPORARY_OUTPUT",
        },
    )
    assert classified["VALID_COUNT"] >= 7  # training photos of the valid class
