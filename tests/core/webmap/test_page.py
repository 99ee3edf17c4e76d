"""core/webmap/page.py and assets.py: the one HTML file, its escaping and its libraries."""

import base64
import html
import json
import re

import pytest

from scenic_heatmap.core import packages
from scenic_heatmap.core.errors import UserError
from scenic_heatmap.core.webmap import assets, page

HOSTILE = '</script><script>window.pwned=1</script><!-- <img src=x onerror="window.pwned=2"> & \u2028'
PNG = base64.b64decode(  # 1 x 1 transparent PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def small_map(name=HOSTILE, **more):
    square = {"type": "Polygon", "coordinates": [[[16.3, 48.2], [16.4, 48.2], [16.4, 48.3], [16.3, 48.2]]]}
    district = page.feature(square, [("District", name), ("Photos", "12")], "#fd8d3c")
    vectors = [page.Features("Districts", "polygons", [district], page.Legend(name, [("#fd8d3c", name)]))]
    image = page.Image(name, PNG, (48.1, 16.2, 48.3, 16.5), page.Legend("photos per km²", [("#ffffb2", "0 – 5")]))
    return page.WebMap(name, name, basemap=False, overlays=[image], vectors=vectors, **more)


def data_of(text):
    block = re.search(r'<script type="application/json" id="scenic-data">(.*?)</script>', text, re.S).group(1)
    return json.loads(block)


def test_hostile_text_cannot_leave_its_json_or_become_markup():
    text = page.render(small_map())
    # every <script> element is one of the page's own three: the data, Leaflet and the page's code
    assert len(re.findall(r"<script", text)) == 3
    assert text.count("</script>") == 3
    assert f"<title>{html.escape(HOSTILE)}</title>" in text
    assert "<img src=x" not in text  # neither in the title nor in the data
    data = data_of(text)
    assert data["title"] == HOSTILE and data["vectors"][0]["features"][0]["properties"]["rows"][0][1] == HOSTILE
    assert data["overlays"][0]["name"] == HOSTILE


def test_the_page_carries_leaflet_and_asks_no_host():
    text = page.render(small_map())
    assert "L.version" in text or "Leaflet" in text
    assert "markerClusterGroup" in text
    assert "sourceMappingURL" not in text
    # no file beside the page: the CSS images are inlined
    assert "url(images/" not in text
    hosts = set(re.findall(r"""(?:src|href)\s*=\s*["'](https?://[^"'/]+)""", text))
    assert hosts <= {"https://leafletjs.com"}, hosts  # a link in the attribution, never a load
    assert "tile.openstreetmap.org" not in text  # basemap off


def test_the_basemap_is_named_only_when_chosen():
    webmap = small_map(name="a")
    webmap.basemap = True
    assert data_of(page.render(webmap))["basemap"]["url"].startswith("https://tile.openstreetmap.org/")
    webmap.basemap = False
    assert data_of(page.render(webmap))["basemap"] is None


def test_wrong_content_is_refused_with_a_reason(tmp_path):
    with pytest.raises(UserError, match="at least one layer"):
        page.render(page.WebMap("t", "a"))
    with pytest.raises(UserError, match="colour"):
        page.feature({"type": "Point", "coordinates": [0, 0]}, [], fill="red;background:url(x)")
    with pytest.raises(UserError, match="embedded JPEG"):
        page.feature({"type": "Point", "coordinates": [0, 0]}, [], thumbnail="https://example.org/a.jpg")
    bad = small_map(name="a")
    bad.overlays[0].bounds = (48.3, 16.2, 48.1, 16.5)  # south above north
    with pytest.raises(UserError, match="not on the Earth"):
        page.render(bad)
    for name in ("map.txt", "map", ""):
        with pytest.raises(UserError, match=r"\.html"):
            page.write(str(tmp_path / name) if name else "", small_map(name="a"))
    assert list(tmp_path.iterdir()) == []


def test_write_is_whole_or_nothing(tmp_path):
    path = tmp_path / "map.html"
    size = page.write(str(path), small_map(name="a"))
    assert size == path.stat().st_size and size > 100_000  # Leaflet itself is about 150 kB
    assert not (tmp_path / "map.html.part").exists()
    assert page.size_text(size).endswith("kB")
    with pytest.raises(UserError, match="cannot write"):
        page.write(str(tmp_path / "missing" / "map.html"), small_map(name="a"))


def test_repeated_names_stay_apart_in_the_switcher():
    webmap = small_map(name="heatmap")
    webmap.overlays.append(page.Image("heatmap", PNG, (48.1, 16.2, 48.3, 16.5)))
    names = [o["name"] for o in data_of(page.render(webmap))["overlays"]]
    assert names == ["heatmap", "heatmap (2)"]


def test_script_json_round_trips_every_character():
    value = {"s": HOSTILE + "\u2029 \" ' \\ é 😀"}
    assert json.loads(page.script_json(value)) == value
    assert "<" not in page.script_json(value) and ">" not in page.script_json(value)


def test_a_missing_leaflet_names_the_package_to_install(monkeypatch):
    real = assets.importlib.import_module

    def without_cluster(name):
        if name == assets.MARKERCLUSTER:
            raise ImportError(name)
        return real(name)

    monkeypatch.setattr(assets.importlib, "import_module", without_cluster)
    with pytest.raises(packages.MissingPackages) as caught:
        assets.load()
    assert "xstatic-leaflet-markercluster" in str(caught.value)
    assert packages.pip_name(assets.LEAFLET) == "xstatic-leaflet"
    assert packages.is_available(assets.LEAFLET)


def test_raster_size_keeps_the_longer_side_within_the_limit():
    assert page.raster_size(1000, 500, 4096) == (1000, 500, False)
    assert page.raster_size(10000, 5000, 4096) == (4096, 2048, True)
    assert page.raster_size(300, 9000, 256) == (9, 256, True)
