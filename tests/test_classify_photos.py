"""scenicheatmap:classifyphotos in real QGIS and through qgis_process."""

import pytest
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException, QgsProject, QgsVectorLayer


def photo_layer(exif_dir, extra_paths=()):
    """Points with an image_path field: the nine GPS photos plus extra (bad) paths."""
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=photo_id:string&field=image_path:string", "photos", "memory")
    paths = [str(p) for p in sorted((exif_dir / "jpg" / "gps").glob("*.jpg"))] + list(extra_paths)
    features = []
    for i, path in enumerate(paths):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(11.88 + i * 1e-4, 43.46)))
        feature.setAttributes([f"p{i}", path])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    return layer


def test_classifies_a_layer(run_alg, exif_dir, tmp_path):
    layer = photo_layer(exif_dir, [str(tmp_path / "gone.jpg")])
    result = run_alg(
        "scenicheatmap:classifyphotos",
        {
            "INPUT": layer,
            "THRESHOLD": 0.8,
            "CLASSIFIED": "TEMPORARY_OUTPUT",
            "VALID": "TEMPORARY_OUTPUT",
            "CSV": str(tmp_path / "study.csv"),
        },
    )
    classified = list(result["CLASSIFIED"].getFeatures())
    assert len(classified) == 10
    assert [f.name() for f in result["CLASSIFIED"].fields()][-5:] == ["class", "category", "score", "valid", "error"]
    gone = [f for f in classified if f["error"]]
    assert len(gone) == 1 and gone[0]["error"] == "file not found" and gone[0]["valid"] is False
    valid = list(result["VALID"].getFeatures())
    assert valid and all(f["score"] >= 0.8 and f["valid"] for f in valid)
    assert {f["photo_id"] for f in valid} == {f["photo_id"] for f in classified if f["valid"]}
    assert result["VALID_COUNT"] == len(valid) and result["UNREADABLE"] == 1
    lines = (tmp_path / "study.csv").read_text().splitlines()
    assert lines[0] == "LAT;LON;PATH;TIME;SCORE" and len(lines) == 10  # header + nine readable photos
    assert lines[1].split(";")[0].startswith("43.46")


def test_classifies_a_folder(run_alg, exif_dir):
    result = run_alg(
        "scenicheatmap:classifyphotos",
        {"FOLDER": str(exif_dir / "jpg" / "hdr"), "CLASSIFIED": "TEMPORARY_OUTPUT", "VALID": "TEMPORARY_OUTPUT"},
    )
    features = {f["photo_id"]: f for f in result["CLASSIFIED"].getFeatures()}
    assert set(features) == {
        "README",
        "canon_hdr_NO.jpg",
        "canon_hdr_YES.jpg",
        "iphone_hdr_NO.jpg",
        "iphone_hdr_YES.jpg",
    }
    assert features["README"]["error"]  # not an image: reported, not fatal
    assert not features["iphone_hdr_YES.jpg"]["error"] and features["iphone_hdr_YES.jpg"]["lat"] > 40


def test_a_low_threshold_still_vetoes_dominant_faces_with_the_face_check(run_alg, exif_dir):
    # the portrait scores about 0.004, above this threshold: only the face check keeps it out
    portrait = str(exif_dir / "jpg" / "Konica_Minolta_DiMAGE_Z3.jpg")
    result = run_alg(
        "scenicheatmap:classifyphotos",
        {
            "INPUT": photo_layer(exif_dir, [portrait]),
            "THRESHOLD": 0.001,
            "FACE_CHECK": True,
            "CLASSIFIED": "TEMPORARY_OUTPUT",
            "VALID": "TEMPORARY_OUTPUT",
        },
    )
    (face,) = [f for f in result["CLASSIFIED"].getFeatures() if f["image_path"] == portrait]
    assert face["category"] == "portrait" and face["score"] == 0 and face["valid"] is False
    assert portrait not in {f["image_path"] for f in result["VALID"].getFeatures()}
    assert result["VALID_COUNT"] == 9


def test_needs_a_path_field_or_a_folder(run_alg):
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=name:string", "no paths", "memory")
    with pytest.raises(QgsProcessingException, match="image paths"):
        run_alg(
            "scenicheatmap:classifyphotos",
            {"INPUT": layer, "CLASSIFIED": "TEMPORARY_OUTPUT", "VALID": "TEMPORARY_OUTPUT"},
        )
    with pytest.raises(QgsProcessingException, match="either"):
        run_alg("scenicheatmap:classifyphotos", {"CLASSIFIED": "TEMPORARY_OUTPUT", "VALID": "TEMPORARY_OUTPUT"})


def test_unknown_valid_class_is_refused(run_alg, exif_dir):
    with pytest.raises(QgsProcessingException, match="not one of"):
        run_alg(
            "scenicheatmap:classifyphotos",
            {
                "INPUT": photo_layer(exif_dir),
                "VALID_CLASS": "pretty",
                "CLASSIFIED": "TEMPORARY_OUTPUT",
                "VALID": "TEMPORARY_OUTPUT",
            },
        )


def test_through_qgis_process(qgis_process, exif_dir, tmp_path):
    rc, result, log = qgis_process(
        "scenicheatmap:classifyphotos",
        {
            "FOLDER": exif_dir / "jpg" / "gps",
            "THRESHOLD": 0.85,
            "CLASSIFIED": tmp_path / "all.gpkg",
            "VALID": tmp_path / "valid.gpkg",
            "CSV": tmp_path / "study.csv",
        },
    )
    assert rc == 0, log
    assert QgsVectorLayer(str(tmp_path / "all.gpkg"), "all").featureCount() == 10  # 9 photos and a README
    valid = QgsVectorLayer(str(tmp_path / "valid.gpkg"), "valid")
    assert valid.featureCount() == result["results"]["VALID_COUNT"] > 0
    assert all(f["score"] >= 0.85 for f in valid.getFeatures())


def test_empty_threshold_uses_the_recommended_one_and_review_outputs(run_alg, exif_dir, tmp_path):
    from qgis.core import QgsProcessingFeedback

    from scenic_heatmap.core.cnn.classifier import DEFAULT_HEAD
    from scenic_heatmap.core.cnn.head import Head

    class Log(QgsProcessingFeedback):
        lines = []

        def pushInfo(self, info):
            self.lines.append(info)

    feedback = Log()
    result = run_alg(
        "scenicheatmap:classifyphotos",
        {
            "INPUT": photo_layer(exif_dir),
            "CLASSIFIED": "TEMPORARY_OUTPUT",
            "VALID": "TEMPORARY_OUTPUT",
            "REVIEW": str(tmp_path / "review.html"),
            "LABEL_FOLDER": str(tmp_path / "label"),
            "LABEL_COUNT": 4,
        },
        feedback=feedback,
    )
    recommended = Head.load(DEFAULT_HEAD).threshold
    assert result["THRESHOLD_USED"] == recommended
    assert any("recommended" in line and f"{recommended:.2f}" in line for line in feedback.lines)
    assert "data:image/jpeg;base64," in (tmp_path / "review.html").read_text()
    assert len(list((tmp_path / "label" / "to_sort").iterdir())) == 4 and (tmp_path / "label" / "selfie").is_dir()


def test_photo_layers_get_a_map_tip(run_alg, exif_dir, tmp_path):
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProcessingOutputLayerDefinition, QgsProject

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    outputs = {}
    for name in ("CLASSIFIED", "VALID"):
        outputs[name] = QgsProcessingOutputLayerDefinition(str(tmp_path / f"{name}.gpkg"), QgsProject.instance())
    run_alg(
        "scenicheatmap:classifyphotos", dict(INPUT=photo_layer(exif_dir), THRESHOLD=0.5, **outputs), context=context
    )
    pending = context.layersToLoadOnCompletion()
    assert len(pending) == 2
    for path, details in pending.items():
        layer = QgsVectorLayer(path, details.name)
        details.postProcessor().postProcessLayer(layer, context, QgsProcessingFeedback())
        tip = layer.mapTipTemplate()
        assert '<img src="file:///' in tip and '"image_path"' in tip and '"score"' in tip


def test_relative_image_paths_are_read_from_the_layer_folder(run_alg, exif_dir, tmp_path, monkeypatch):
    import shutil

    from qgis.core import QgsVectorFileWriter

    (tmp_path / "img").mkdir()
    shutil.copy(exif_dir / "jpg" / "gps" / "DSCN0010.jpg", tmp_path / "img" / "a.jpg")
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=image_path:string", "photos", "memory")
    feature = QgsFeature(layer.fields())
    feature.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(11.88, 43.46)))
    feature.setAttributes(["img/a.jpg"])
    layer.dataProvider().addFeatures([feature])
    options = QgsVectorFileWriter.SaveVectorOptions()
    options.driverName = "GPKG"
    QgsVectorFileWriter.writeAsVectorFormatV2(
        layer, str(tmp_path / "photos.gpkg"), QgsProject.instance().transformContext(), options
    )
    monkeypatch.chdir(exif_dir)  # somewhere else: the path must not be read against the working folder
    result = run_alg(
        "scenicheatmap:classifyphotos",
        {
            "INPUT": str(tmp_path / "photos.gpkg"),
            "THRESHOLD": 0.5,
            "CLASSIFIED": "TEMPORARY_OUTPUT",
            "VALID": "TEMPORARY_OUTPUT",
        },
    )
    (classified,) = list(result["CLASSIFIED"].getFeatures())
    assert not classified["error"] and classified["score"] is not None
