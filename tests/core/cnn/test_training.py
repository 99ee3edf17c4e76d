"""core.training without QGIS: transfer learning end to end on real photos, and bad input."""

import shutil

import numpy as np
import pytest

from scenic_heatmap.core.cnn import training
from scenic_heatmap.core.cnn.classifier import TrainedClassifier

GROUPS = "valid=valid; non_valid=food,stuff"


def test_class_groups_and_split():
    assert training.parse_class_groups(GROUPS) == {"valid": ["valid"], "non_valid": ["food", "stuff"]}
    with pytest.raises(training.TrainingError, match="form"):
        training.parse_class_groups("valid")
    labels = [0] * 20 + [1] * 10
    train, val, test = training.stratified_split(labels, 10, 20, seed=1)
    assert sorted(train + val + test) == list(range(30)) and not set(train) & set(test)
    assert sum(labels[i] == 1 for i in test) == 2 and sum(labels[i] == 0 for i in test) == 4
    assert training.stratified_split(labels, 10, 20, seed=1) == (train, val, test)  # seeded


def test_train_end_to_end_then_reload_and_classify(labelled_photos, tmp_path):
    dataset = training.scan_dataset(str(labelled_photos), training.parse_class_groups(GROUPS))
    assert dataset.label_names == ["non_valid", "valid"]
    model = tmp_path / "photos.scenicmodel"
    result = training.train(
        dataset,
        str(tmp_path / "cache"),
        str(model),
        epochs=40,
        learning_rate=0.01,
        test_percent=30,
        validation_percent=15,
        augment=True,
    )
    assert result.test_accuracy is not None and result.test_accuracy > 0.5  # beats chance on held-out photos
    assert len(result.history["accuracy"]) == 40 and "val_loss" in result.history
    # the kept weights are those of the epoch with the lowest validation loss
    assert result.best_epoch == int(np.argmin(result.history["val_loss"])) + 1
    # calibrated on the validation photos, with a recommended threshold for valid
    assert result.calibration["kind"] == "platt" and 0.0 <= result.threshold <= 1.0
    assert result.threshold_class == "valid"
    # recall per original class folder, not only per group
    assert {"valid", "stuff"} <= set(result.original_recall) <= {"valid", "food", "stuff"}
    report = tmp_path / "report.html"
    training.write_report(str(report), result, {"epochs": 40, "note": "<b>escaped</b>"})
    page = report.read_text()
    assert page.count("data:image/png;base64,") == 4 and "&lt;b&gt;escaped&lt;/b&gt;" in page
    assert "Reliability diagram" in page and "recommended threshold" in page and "per class folder" in page
    meta, kernel, bias = training.load_model_file(str(model))
    assert meta["labels"] == ["non_valid", "valid"] and kernel.shape == (1280, 2)
    assert meta["threshold"] == result.threshold and meta["calibration"] == result.calibration
    predictions = list(TrainedClassifier(str(model)).classify([p for p in dataset.paths]))
    truth = [dataset.label_names[i] for i in dataset.labels]
    assert np.mean([p.label == t for p, t in zip(predictions, truth)]) > 0.8
    assert set(predictions[0].scores) == {"non_valid", "valid"}


def test_fine_tuning_the_top_blocks(labelled_photos, tmp_path):
    from scenic_heatmap.core.cnn import backbone

    dataset = training.scan_dataset(str(labelled_photos), training.parse_class_groups(GROUPS))
    model = tmp_path / "tuned.scenicmodel"
    result = training.train(
        dataset,
        str(tmp_path / "cache"),
        str(model),
        epochs=12,
        learning_rate=0.01,
        test_percent=30,
        validation_percent=15,
        augment=True,
        fine_tune_blocks=2,
    )
    assert result.test_accuracy is not None and result.test_accuracy > 0.5
    assert result.history["fine_tune_from_epoch"] == [12.0] and len(result.history["accuracy"]) == 12 + 4
    assert len(list((tmp_path / "cache").glob("*_plain_trunk2.npy"))) == len(dataset.paths)  # cached below block 14
    meta, kernel, bias = training.load_model_file(str(model))
    tuned = training.load_tuned_weights(str(model), meta)
    assert meta["fine_tuned_blocks"] == 2 and sorted(tuned) == sorted(backbone.tuned_layer_names(2))
    pretrained = backbone.load_backbone(include_top=False)
    assert any(not np.allclose(pretrained.get_layer(n).get_weights()[0], w) for n, w in tuned.items())

    classifier = TrainedClassifier(str(model))
    predictions = list(classifier.classify(dataset.paths))
    truth = [dataset.label_names[i] for i in dataset.labels]
    assert np.mean([p.label == t for p, t in zip(predictions, truth)]) > 0.8
    # the same head on the untouched backbone scores differently: the tuned kernels are in use
    training.save_model_file(str(tmp_path / "head_only.scenicmodel"), meta["labels"], kernel, bias, {})
    untuned = list(TrainedClassifier(str(tmp_path / "head_only.scenicmodel")).classify(dataset.paths[:3]))
    assert any(abs(a.scores["valid"] - b.scores["valid"]) > 1e-4 for a, b in zip(predictions[:3], untuned))


def test_fine_tuning_needs_efficientnet(labelled_photos, tmp_path):
    dataset = training.scan_dataset(str(labelled_photos), training.parse_class_groups(GROUPS))
    with pytest.raises(training.TrainingError, match="efficientnet-lite0"):
        training.train(
            dataset,
            str(tmp_path / "c"),
            str(tmp_path / "m.scenicmodel"),
            fine_tune_blocks=2,
            backbone_name="inceptionv3",
        )
    assert not (tmp_path / "m.scenicmodel").exists()


def test_bottlenecks_are_cached_by_content(labelled_photos, tmp_path):
    from scenic_heatmap.core.cnn import backbone

    cache = training.FeatureCache(str(tmp_path / "cache"))
    model = backbone.load_backbone(include_top=False)
    paths = [str(p) for p in sorted((labelled_photos / "valid").glob("*.jpg"))[:3]]
    first, _ = cache.features(paths, "plain", model)
    computed = []
    again, _ = cache.features(paths, "plain", model, progress=computed.append)
    assert np.array_equal(first, again) and computed == []  # nothing recomputed
    assert len(list((tmp_path / "cache").glob("*_plain.npy"))) == 3


@pytest.mark.parametrize(
    "layout,message",
    [
        ({}, "no class sub-folders"),
        ({"valid": 3}, "only one class"),
        ({"valid": 3, "food": 1}, "'food' has 1 image"),
    ],
)
def test_bad_training_folders(tmp_path, labelled_photos, layout, message):
    for name, count in layout.items():
        (tmp_path / name).mkdir()
        for path in sorted((labelled_photos / "valid").glob("*.jpg"))[:count]:
            shutil.copy(path, tmp_path / name / path.name)
    with pytest.raises(training.TrainingError, match=message):
        training.scan_dataset(str(tmp_path))


def test_unreadable_images_are_listed(labelled_photos, tmp_path):
    folder = tmp_path / "set"
    shutil.copytree(labelled_photos, folder)
    (folder / "valid" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a real jpeg")
    dataset = training.scan_dataset(str(folder), training.parse_class_groups(GROUPS))
    result = training.train(dataset, str(tmp_path / "cache"), str(tmp_path / "m.scenicmodel"), epochs=2, augment=False)
    assert [p for p, _ in result.unreadable] == [str(folder / "valid" / "broken.jpg")]


def test_a_foreign_model_file_is_refused(tmp_path):
    bad = tmp_path / "x.scenicmodel"
    bad.write_bytes(b"PK\x03\x04 nonsense")
    with pytest.raises(training.TrainingError, match="not a classifier"):
        training.load_model_file(str(bad))
