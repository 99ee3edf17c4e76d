"""The web map in a real browser: Debian's chromium through chromedriver (selenium), with every host
name unresolvable, so that the page is tested as it opens from a USB stick without a network.

`make setup` installs chromium and chromium-driver. Where the browser cannot start, these tests fail
with the reason; they never skip."""

import io
import json
import math
import shutil
import time
import urllib.parse

import numpy as np
import pytest
from PIL import Image
from web_map_pages import overlay_pixels, page_data

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
TILE_HOST = "tile.openstreetmap.org"
FLAGS = (
    "--headless=new",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
    "--force-device-scale-factor=1",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no network: every host name fails to resolve
)


@pytest.fixture(scope="module")
def browser():
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as error:  # noqa: BLE001 - any failure to start is this test's failure
        pytest.fail(
            f"The browser for the web-map tests did not start ({type(error).__name__}: {error}). "
            "`make setup` installs Debian's chromium and chromium-driver."
        )
    yield driver
    driver.quit()


def open_page(driver, path):
    """Loads the page fresh; returns (console entries, requested URLs) of this load."""
    driver.get("about:blank")
    driver.get_log("browser")
    driver.get_log("performance")
    driver.get("file://" + urllib.parse.quote(str(path)))
    deadline = time.time() + 30
    while not driver.execute_script("return !!(window.scenicMap && window.scenicMap.map)"):
        assert time.time() < deadline, "the page never made its map"
        time.sleep(0.1)
    time.sleep(1.0)  # tiles and images settle
    console = driver.get_log("browser")
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return console, urls


def screen_point(driver, lat, lon):
    """Where (lat, lon) is drawn, in the page's pixels."""
    return driver.execute_script(
        "var m = window.scenicMap.map, p = m.latLngToContainerPoint([arguments[0], arguments[1]]),"
        " r = m.getContainer().getBoundingClientRect(); return [p.x + r.left, p.y + r.top];",
        lat,
        lon,
    )


def click_at(driver, x, y):
    from selenium.webdriver.common.action_chains import ActionChains

    body = driver.find_element("tag name", "body")
    size = body.size
    ActionChains(driver).move_to_element_with_offset(
        body, x - size["width"] / 2, y - size["height"] / 2
    ).click().perform()


def switch(driver, name, on):
    """Ticks or unticks a layer in the page's own layer switcher, as a user does."""
    for label in driver.find_elements("css selector", ".leaflet-control-layers-overlays label"):
        if label.text.strip() == name:
            box = label.find_element("tag name", "input")
            if box.is_selected() != on:
                box.click()
            return
    raise AssertionError(f"no layer {name!r} in the switcher")


def wait_for(driver, script, what, seconds=10):
    deadline = time.time() + seconds
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        assert time.time() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


def mercator_pixel_to_degrees(overlay, pixels, row, col):
    (south, west), (north, east) = overlay["bounds"]

    def y_of(lat):
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    top, bottom = y_of(north), y_of(south)
    y = top - (row + 0.5) * (top - bottom) / pixels.shape[0]
    lon = west + (col + 0.5) * (east - west) / pixels.shape[1]
    return math.degrees(2 * math.atan(math.exp(y)) - math.pi / 2), lon


def degrees_to_pixel(overlay, pixels, lat, lon):
    (south, west), (north, east) = overlay["bounds"]

    def y_of(value):
        return math.log(math.tan(math.pi / 4 + math.radians(value) / 2))

    row = (y_of(north) - y_of(lat)) / (y_of(north) - y_of(south)) * pixels.shape[0]
    col = (lon - west) / (east - west) * pixels.shape[1]
    return min(int(row), pixels.shape[0] - 1), min(int(col), pixels.shape[1] - 1)


def test_the_demo_map_loads_offline_with_every_layer_and_asks_no_other_host(browser, demo_run):
    out, _ = demo_run
    console, urls = open_page(browser, out / "webmap.html")
    data = page_data(out / "webmap.html")
    # offline, only the optional background's tiles fail; the page itself reports nothing
    others = [e for e in console if TILE_HOST not in e["message"]]
    assert others == [], others
    hosts = {urllib.parse.urlparse(u).hostname for u in urls if urllib.parse.urlparse(u).scheme in ("http", "https")}
    assert hosts <= {TILE_HOST}, hosts
    assert {urllib.parse.urlparse(u).scheme for u in urls} <= {"file", "data", "https"}
    labels = [e.text.strip() for e in browser.find_elements("css selector", ".leaflet-control-layers label")]
    names = [o["name"] for o in data["overlays"]] + [data["series"]["name"]] + [v["name"] for v in data["vectors"]]
    assert labels == [data["basemap"]["name"], *names]
    assert {"Hot spots (Gi*)", "Districts", "Photos"} <= set(labels) and len(data["overlays"]) == 2
    assert browser.find_element("css selector", ".leaflet-control-scale").is_displayed()
    assert "Scenic Heatmap" in browser.find_element("css selector", ".leaflet-control-attribution").text
    legend = browser.find_element("css selector", ".scenic-legend").text
    assert "photos per km²" in legend


def test_without_a_basemap_the_console_stays_empty(browser, demo_run, run_alg, tmp_path):
    out, _ = demo_run
    result = run_alg(
        "scenicheatmap:webmap",
        {
            "HEATMAPS": [str(out / "heatmap.tif")],
            "DISTRICTS": str(out / "districts_counts.gpkg"),
            "BASEMAP": 1,
            "OUTPUT": str(tmp_path / "plain.html"),
        },
    )
    console, urls = open_page(browser, result["OUTPUT"])
    assert console == []
    assert {urllib.parse.urlparse(u).scheme for u in urls} <= {"file", "data"}, urls


def test_the_screenshot_has_heat_map_colours_at_the_photos_and_nothing_elsewhere(browser, demo_run):
    out, _ = demo_run
    open_page(browser, out / "webmap.html")
    data = page_data(out / "webmap.html")
    switch(browser, "Photos", False)  # the heat map alone
    time.sleep(0.5)
    shot = np.asarray(Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")).astype(int)
    overlay = data["overlays"][0]
    pixels = overlay_pixels(overlay)
    colours = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c, _ in overlay["legend"]["items"]])
    background = np.array([0xF2, 0xF2, 0xF2])

    covered = browser.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control')).map(function (e) {"
        " var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; });"
    )

    def clear(x, y):
        inside = 0 <= x < shot.shape[1] and 0 <= y < shot.shape[0]
        return inside and not any(a <= x <= c and b <= y <= d for a, b, c, d in covered)

    photos = next(v for v in data["vectors"] if v["name"] == "Photos")["features"]
    matched = opaque = 0
    for feature in photos:
        lon, lat = feature["geometry"]["coordinates"]
        x, y = screen_point(browser, lat, lon)
        row, col = degrees_to_pixel(overlay, pixels, lat, lon)
        if not clear(x, y) or pixels[row, col, 3] == 0:  # under a control, or a cell the privacy rules hid
            continue
        opaque += 1
        on_screen = shot[int(y), int(x)]
        matched += np.abs(on_screen - pixels[row, col, :3].astype(int)).max() <= 6
        assert np.abs(colours - on_screen).max(axis=1).min() <= 6  # one of the legend's classes
    assert opaque >= 0.6 * len(photos) and matched >= 0.95 * opaque, (matched, opaque, len(photos))
    rng = np.random.default_rng(0)
    alpha = np.pad(pixels[:, :, 3].astype(int), 2, constant_values=0)
    around = sum(np.roll(np.roll(alpha, dy, 0), dx, 1) for dy in range(-2, 3) for dx in range(-2, 3))[2:-2, 2:-2]
    empty = np.argwhere(around == 0)  # transparent with every neighbour: away from the edges of classes
    checked = 0
    for row, col in empty[rng.choice(len(empty), 60, replace=False)]:
        lat, lon = mercator_pixel_to_degrees(overlay, pixels, row, col)
        x, y = screen_point(browser, lat, lon)
        if clear(x, y):
            checked += 1
            assert np.abs(shot[int(y), int(x)] - background).max() <= 3, (row, col)
    assert checked >= 20


def test_clicking_a_photo_opens_its_thumbnail(browser, demo_run):
    out, _ = demo_run
    open_page(browser, out / "webmap.html")
    photo = next(v for v in page_data(out / "webmap.html")["vectors"] if v["name"] == "Photos")["features"][0]
    lon, lat = photo["geometry"]["coordinates"]
    browser.execute_script(
        "window.scenicMap.map.setView([arguments[0], arguments[1]], 18, {animate: false});", lat, lon
    )
    time.sleep(0.8)
    x, y = screen_point(browser, lat, lon)
    pins = browser.find_elements("css selector", ".scenic-photo")
    assert pins, "no photo point at zoom 18"
    nearest = min(pins, key=lambda p: abs(p.location["x"] + 6 - x) + abs(p.location["y"] + 6 - y))
    nearest.click()
    width = wait_for(
        browser,
        "var i = document.querySelector('.leaflet-popup-content img'); return i && i.complete && i.naturalWidth;",
        "the photo's thumbnail",
    )
    assert 0 < width <= 320
    text = browser.find_element("css selector", ".leaflet-popup-content").text
    assert "Score" in text and "Category" in text


def test_clicking_a_hot_spot_cell_shows_its_class(browser, demo_run):
    out, _ = demo_run
    open_page(browser, out / "webmap.html")
    switch(browser, "Photos", False)
    switch(browser, "Hot spots (Gi*)", True)
    spots = next(v for v in page_data(out / "webmap.html")["vectors"] if v["name"] == "Hot spots (Gi*)")
    hot = next(f for f in spots["features"] if dict(f["properties"]["rows"])["Class"].startswith("hot"))
    ring = np.array(hot["geometry"]["coordinates"][0][:-1])
    lon, lat = ring.mean(axis=0)
    browser.execute_script(
        "window.scenicMap.map.setView([arguments[0], arguments[1]], 15, {animate: false});", lat, lon
    )
    time.sleep(0.5)
    click_at(browser, *screen_point(browser, lat, lon))
    text = wait_for(
        browser, "var p = document.querySelector('.leaflet-popup-content'); return p && p.textContent;", "a popup"
    )
    assert dict(hot["properties"]["rows"])["Class"] in text and "Gi* z" in text


def test_the_time_slider_steps_through_the_periods(browser, demo_run):
    out, _ = demo_run
    open_page(browser, out / "webmap.html")
    periods = [p["period"] for p in page_data(out / "webmap.html")["series"]["periods"]]
    switch(browser, "Time series: series", True)
    label = browser.find_element("css selector", ".scenic-period")
    assert label.text == periods[0]
    from selenium.webdriver.common.keys import Keys

    browser.find_element("css selector", ".scenic-slider input").send_keys(Keys.ARROW_RIGHT)
    assert label.text == periods[1]
    assert "one scale for every period" in browser.find_element("css selector", ".scenic-legend").text


def test_hostile_names_are_shown_as_text_and_never_run(browser, demo_run, run_alg, tmp_path):
    from qgis.core import QgsVectorLayer

    out, _ = demo_run
    hostile = '<img src=x onerror="window.pwned=1"></script><script>window.pwned=2</script>'
    districts = tmp_path / "districts.gpkg"
    shutil.copy(out / "districts_counts.gpkg", districts)
    layer = QgsVectorLayer(str(districts))
    index = layer.fields().lookupField("name")
    assert layer.dataProvider().changeAttributeValues({f.id(): {index: hostile} for f in layer.getFeatures()})
    del layer
    raster = tmp_path / "heat<b>map.tif"
    shutil.copy(out / "heatmap.tif", raster)
    result = run_alg(
        "scenicheatmap:webmap",
        {
            "HEATMAPS": [str(raster)],
            "DISTRICTS": str(districts),
            "DISTRICT_NAME": "name",
            "BASEMAP": 1,
            "TITLE": hostile,
            "OUTPUT": str(tmp_path / "hostile.html"),
        },
    )
    console, _ = open_page(browser, result["OUTPUT"])
    assert console == []
    switch(browser, "Districts", True)
    browser.execute_script("window.scenicMap.layers['Districts'].eachLayer(function (l) { l.openPopup(); });")
    text = wait_for(
        browser, "var p = document.querySelector('.leaflet-popup-content'); return p && p.textContent;", "a popup"
    )
    assert hostile in text
    assert browser.execute_script("return window.pwned === undefined && !document.querySelector('img[src=\"x\"]');")
    assert browser.title == hostile
    assert "heat<b>map" in [
        e.text.strip() for e in browser.find_elements("css selector", ".leaflet-control-layers label")
    ]
