"""scenicheatmap:hotspots through processing.run and qgis_process.bin."""

import numpy as np
import pytest
from conftest import people_layer
from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer


def photos(crs="EPSG:31256", planted=True, seed=4, lone_owner_cluster=False):
    """Complete spatial randomness over 4 x 4 km, many owners, with a planted cluster of 150 photos
    by 30 owners at (1000, 1000); optionally 150 photos of one owner at (3000, 3000)."""
    rng = np.random.default_rng(seed)
    rows = [(rng.uniform(0, 4000), rng.uniform(0, 4000), f"o{rng.integers(200)}") for _ in range(800)]
    if lone_owner_cluster:  # nobody else near the holiday maker
        rows = [r for r in rows if max(abs(r[0] - 3000), abs(r[1] - 3000)) > 400]
    if planted:
        rows += [(1000 + rng.normal(0, 80), 1000 + rng.normal(0, 80), f"p{i % 30}") for i in range(150)]
    if lone_owner_cluster:
        rows += [(3000 + rng.normal(0, 60), 3000 + rng.normal(0, 60), "holiday") for _ in range(150)]
    return people_layer([(x, y, owner, "2019-06-01T10:00:00") for x, y, owner in rows], crs=crs)


def cells_at(layer, x, y):
    return [f for f in layer.getFeatures() if f.geometry().contains(QgsGeometry.fromPointXY(QgsPointXY(x, y)))]


def run(run_alg, points, **changes):
    parameters = {
        "POINTS": points,
        "CELL": 250,
        "PERMUTATIONS": 199,
        "TARGET_CRS": "EPSG:31256",
        "OUTPUT": "TEMPORARY_OUTPUT",
    }
    parameters.update(changes)
    return run_alg("scenicheatmap:hotspots", parameters)


def test_planted_cluster_is_hot_at_95_after_fdr(run_alg):
    result = run(run_alg, photos())
    layer = result["OUTPUT"]
    centre = cells_at(layer, 1000, 1000)
    assert centre and centre[0]["class"] in ("hot 99", "hot 95") and centre[0]["p_fdr"] <= 0.05
    assert result["HOT"] >= 1
    names = layer.fields().names()
    for field in ("count", "owners", "value", "gi_z", "p_norm", "p_sim", "p_fdr", "class"):
        assert field in names
    tested = [f for f in layer.getFeatures() if f["class"] != "suppressed"]
    assert len(tested) == result["CELLS"] and result["TESTED"].startswith("Gi* of photos")


def test_a_one_owner_cluster_is_removed_by_min_owners(run_alg):
    with_floor = run(run_alg, photos(lone_owner_cluster=True), MIN_OWNERS=3)
    hidden = cells_at(with_floor["OUTPUT"], 3000, 3000)  # shown as suppressed, without numbers, not tested
    assert hidden and all(f["class"] == "suppressed" and not f["count"] for f in hidden)
    assert with_floor["REMOVED_CELLS"] >= 1 and with_floor["REMOVED_PHOTOS"] >= 100
    without = run(run_alg, photos(lone_owner_cluster=True), MIN_OWNERS=0, MAX_OWNER_SHARE=0)
    assert cells_at(without["OUTPUT"], 3000, 3000)[0]["class"].startswith("hot")


def test_points_in_degrees_are_computed_in_metres(run_alg):
    layer = QgsVectorLayer("Point?crs=EPSG:4326&field=owner:string", "deg", "memory")
    rng = np.random.default_rng(1)
    features = []
    for i in range(600):
        feature = QgsFeature(layer.fields())
        feature.setGeometry(
            QgsGeometry.fromPointXY(QgsPointXY(16.3 + rng.uniform(0, 0.05), 48.2 + rng.uniform(0, 0.03)))
        )
        feature.setAttributes([f"o{i % 50}"])
        features.append(feature)
    layer.dataProvider().addFeatures(features)
    result = run(run_alg, layer, MIN_OWNERS=0, MAX_OWNER_SHARE=0, TARGET_CRS=None)
    out = result["OUTPUT"]
    assert out.crs().authid() == "EPSG:32633"  # the UTM zone, not degrees
    area = next(out.getFeatures()).geometry().area()
    assert area == pytest.approx(250 * 250, rel=1e-6)


def test_hexagons_and_k_nearest(run_alg):
    result = run(run_alg, photos(), GRID=1, NEIGHBOURHOOD=1, K=6)
    centre = cells_at(result["OUTPUT"], 1000, 1000)
    assert centre and centre[0]["class"].startswith("hot")
    assert len(next(result["OUTPUT"].getFeatures()).geometry().asPolygon()[0]) == 7


def test_too_few_cells_are_refused(run_alg):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="cells: Gi\\* needs at least 30"):
        run(run_alg, photos(), CELL=2000, MIN_OWNERS=0, MAX_OWNER_SHARE=0)


def test_through_qgis_process(qgis_process, tmp_path):
    from test_qgis_process import write_gpkg

    points = write_gpkg(photos(), tmp_path / "photos.gpkg")
    rc, result, log = qgis_process(
        "scenicheatmap:hotspots",
        {
            "POINTS": points,
            "CELL": 250,
            "PERMUTATIONS": 99,
            "TARGET_CRS": "EPSG:31256",
            "OUTPUT": tmp_path / "hot.gpkg",
        },
    )
    assert rc == 0, log
    assert result["results"]["HOT"] >= 1
    layer = QgsVectorLayer(str(tmp_path / "hot.gpkg"), "hot")
    assert sum(f["class"] != "suppressed" for f in layer.getFeatures()) == result["results"]["CELLS"]
    assert (tmp_path / "hot.qml").exists()
    layer.loadNamedStyle(str(tmp_path / "hot.qml"))
    assert layer.renderer().type() == "categorizedSymbol"
    assert [c.value() for c in layer.renderer().categories()][0] == "hot 99"


def test_tourist_share_is_hot_where_tourists_gather(run_alg):
    """Locals (photos over a year) everywhere, day visitors clustered at (1000, 1000): the tourist share of
    photo-user-days is hot there, though the plain count is not higher than elsewhere."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(1200):  # 60 locals, photos on many days of 2019
        rows.append(
            (
                rng.uniform(0, 4000),
                rng.uniform(0, 4000),
                f"local{i % 60}",
                f"2019-{1 + (i // 60) % 12:02d}-{1 + i % 28:02d}T10:00:00",
            )
        )
    for i in range(120):  # 120 visitors, one day each, around (1000, 1000)
        rows.append((1000 + rng.normal(0, 90), 1000 + rng.normal(0, 90), f"visitor{i}", "2019-07-01T10:00:00"))
    layer = people_layer(rows, crs="EPSG:31256")
    result = run(run_alg, layer, WEIGHTING=1, AUDIENCE=3, LOCAL_DAYS=30, MIN_OWNERS=0, MAX_OWNER_SHARE=0)
    centre = cells_at(result["OUTPUT"], 1000, 1000)
    assert centre[0]["class"] in ("hot 99", "hot 95")
    assert "tourist share" in result["TESTED"]
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="set WEIGHTING to photo-user-days"):
        run(run_alg, layer, AUDIENCE=3)


def test_tourist_share_with_the_share_of_days_inside_the_clip(run_alg):
    """Residents photograph mostly inside the clip square (0..4000 m), visitors mostly elsewhere and one
    day at (1000, 1000): by the share rule the visitors are tourists, and their spot is hot."""
    clip = QgsVectorLayer("Polygon?crs=EPSG:31256", "clip", "memory")
    square = QgsFeature()
    square.setGeometry(QgsGeometry.fromWkt("POLYGON((0 0,4000 0,4000 4000,0 4000,0 0))"))
    clip.dataProvider().addFeatures([square])
    rng = np.random.default_rng(12)
    rows = [
        (rng.uniform(0, 4000), rng.uniform(0, 4000), f"res{i % 60}", f"2019-03-{1 + i % 28:02d}T10:00:00")
        for i in range(1200)
    ]
    for i in range(120):
        rows.append((1000 + rng.normal(0, 90), 1000 + rng.normal(0, 90), f"vis{i}", "2019-07-01T10:00:00"))
        rows += [(20000 + rng.uniform(0, 500), 20000, f"vis{i}", f"2019-0{1 + d}-05T10:00:00") for d in range(3)]
    layer = people_layer(rows, crs="EPSG:31256")
    result = run(
        run_alg,
        layer,
        WEIGHTING=1,
        AUDIENCE=3,
        LOCAL_RULE=1,
        LOCAL_SHARE=0.5,
        CLIP=clip,
        MIN_OWNERS=0,
        MAX_OWNER_SHARE=0,
    )
    assert cells_at(result["OUTPUT"], 1010, 1010)[0]["class"] in ("hot 99", "hot 95")  # the lattice starts at the clip
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="LOCAL_RULE: the share of days inside the area needs CLIP"):
        run(run_alg, layer, WEIGHTING=1, AUDIENCE=3, LOCAL_RULE=1, MIN_OWNERS=0, MAX_OWNER_SHARE=0)


def test_the_lattice_covers_the_clip_and_its_empty_cells_are_the_reference(run_alg):
    """With CLIP the cells cover the clip polygons (to within one cell, none wholly outside), also where
    no photo lies; a larger study area of empty cells makes a planted cluster stand out more, as Gi*'s
    reference should."""
    small = QgsVectorLayer("Polygon?crs=EPSG:31256", "small", "memory")
    large = QgsVectorLayer("Polygon?crs=EPSG:31256", "large", "memory")
    squares = {small: 4000, large: 8000}
    for layer, side in squares.items():
        wkt = f"POLYGON((0 0,{side} 0,{side} {side},0 {side},0 0))"
        feature = QgsFeature()
        feature.setGeometry(QgsGeometry.fromWkt(wkt))
        layer.dataProvider().addFeatures([feature])
    z = {}
    for name, clip in (("small", small), ("large", large)):
        result = run(run_alg, photos(), CLIP=clip, MIN_OWNERS=0, MAX_OWNER_SHARE=0)
        cells = list(result["OUTPUT"].getFeatures())
        area = next(clip.getFeatures()).geometry()
        union = QgsGeometry.unaryUnion([f.geometry() for f in cells])
        assert area.difference(union.buffer(250 * 1.5, 4)).isEmpty()  # covered to within one cell
        assert all(f.geometry().intersects(area) for f in cells)  # no cell wholly outside
        z[name] = cells_at(result["OUTPUT"], 1010, 1010)[0]["gi_z"]
    assert z["large"] > z["small"]
