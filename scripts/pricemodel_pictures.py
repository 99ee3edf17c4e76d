"""The README's hedonic-model pictures and ladder, on the real Vienna Airbnb prices in ../shared.

Prices and controls are real (Gyódi & Nawaro 2021, CC BY 4.0): capacity, bedrooms, room type,
superhost, cleanliness and satisfaction ratings. The photo positions are the SAMPLE of
bench/workflow.py (10,109 invented photos clustered at five sights), since no real photo layer is
shipped. Writes docs/pricemodel_effect.png and docs/pricemodel_ladder.png and prints the ladders
without and with location as Markdown.

Usage: python scripts/pricemodel_pictures.py
"""

import base64
import os
import pathlib
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from standalone import REPO, start_qgis  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
CONTROLS = [
    "person_capacity",
    "bedrooms",
    "room_type",
    "host_is_superhost",
    "cleanliness_rating",
    "guest_satisfaction_overall",
]
STEPHANSDOM = "16.3725,48.2085 [EPSG:4326]"


def markdown(coefficients_path, title):
    from qgis.core import QgsVectorLayer

    rows = [
        f
        for f in QgsVectorLayer(coefficients_path, "c").getFeatures()
        if f["term"] in ("photo", "photo (direct)", "lambda", "rho")
    ]
    print(f"\n{title}\n\n| model | photo coefficient | 95 % CI | p |\n|---|---|---|---|")
    for f in rows:
        if f["term"].startswith("photo"):
            print(f"| {f['model']} | {f['estimate']:.3f} | {f['ci_low']:.3f} to {f['ci_high']:.3f} | {f['p']:.2g} |")


def main():
    prices = SHARED / "prices" / "airbnb_vienna_weekdays.csv"
    districts = SHARED / "vienna" / "BEZIRKSGRENZEOGD_2021_epsg4326.geojson"
    if not prices.exists():
        raise SystemExit(f"needs the real prices in {SHARED}; not found")
    app, plugin = start_qgis()
    import processing
    from qgis.core import QgsVectorLayer
    from workflow import photo_layer

    out = tempfile.mkdtemp(prefix="pricemodel_pictures_")
    photos = photo_layer(os.path.join(out, "photos.gpkg"))
    layer = QgsVectorLayer(
        f"file://{prices}?delimiter=,&xField=lng&yField=lat&crs=EPSG:4326&detectTypes=yes", "airbnb", "delimitedtext"
    )
    common = {"PRICES": layer, "PRICE_FIELD": "realSum", "CONTROLS": CONTROLS, "PHOTOS": photos, "RADIUS": 500}
    plain = processing.run("scenicheatmap:pricemodel", dict(common, COEFFICIENTS=os.path.join(out, "plain.gpkg")))
    markdown(os.path.join(out, "plain.gpkg"), f"Without location: {plain['VERDICT']}")
    full = processing.run(
        "scenicheatmap:pricemodel",
        dict(
            common,
            DISTRICTS=str(districts),
            DISTRICT_FIELD="NAMEK",
            CENTRE=STEPHANSDOM,
            PHOTO_TERM=1,
            COEFFICIENTS=os.path.join(out, "full.gpkg"),
            CHART=str(REPO / "docs" / "pricemodel_effect.png"),
            REPORT=os.path.join(out, "report.html"),
        ),
    )
    markdown(os.path.join(out, "full.gpkg"), f"With districts and the centre: {full['VERDICT']}")
    print(
        f"\nMoran's I of the OLS residuals {full['MORAN_I']:.3f} (p {full['MORAN_P']:.2g}); model {full['MODEL_USED']}"
    )
    # the ladder picture is the report's second embedded image (the first is the effect curve)
    page = pathlib.Path(out, "report.html").read_text(encoding="utf-8")
    images = [part.split("'", 1)[0] for part in page.split("data:image/png;base64,")[1:]]
    (REPO / "docs" / "pricemodel_ladder.png").write_bytes(base64.b64decode(images[1]))
    print(f"report: {os.path.join(out, 'report.html')}")
    app.exitQgis()


if __name__ == "__main__":
    main()
