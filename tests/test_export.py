"""PNG export from the command line and the static site: real Chromium, real files, pixels checked."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from PIL import Image

from conftest import ROOT
from pixels import count_colour

SDF_YELLOW, TURKEY_GREEN, GOVERNMENT_ORANGE = "#F0E442", "#009E73", "#D55E00"


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "euphrates", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.browser
def test_export_writes_pngs_of_the_asked_size_with_the_shown_factions_only(tmp_path):
    out = tmp_path / "euphrates_{date}.png"
    result = run_cli("export", "--out", str(out), "--date", "2017-10-19", "--date", "2016-09-01",
                     "--factions", "sdf,government,isis", "--width", "700", "--height", "500", "--scale", "2",
                     "--bbox", "36.5,34.0,42.0,37.3")
    assert result.returncode == 0, result.stderr
    for day in ("2017-10-19", "2016-09-01"):
        png = tmp_path / f"euphrates_{day}.png"
        assert Image.open(png).size == (1400, 1000)
        assert count_colour(png, SDF_YELLOW) > 200
        assert count_colour(png, GOVERNMENT_ORANGE) > 200
        assert count_colour(png, TURKEY_GREEN) == 0  # Turkey held Jarabulus and al-Bab, but is hidden
    with_turkey = tmp_path / "with_turkey.png"
    result = run_cli("export", "--out", str(with_turkey), "--date", "2017-10-19", "--width", "700",
                     "--height", "500", "--bbox", "36.5,34.0,42.0,37.3")
    assert result.returncode == 0, result.stderr
    assert Image.open(with_turkey).size == (700, 500)
    assert count_colour(with_turkey, TURKEY_GREEN) > 50


@pytest.mark.parametrize("args, message", [
    (("--factions", "sdf,martians"), "unknown faction(s) martians"),
    (("--bbox", "41,34,38,36"), "bbox is inverted"),
    (("--bbox", "38,34,41"), "bbox needs four numbers"),
    (("--date", "2017-13-01"), "not a date in the form YYYY-MM-DD"),
    (("--date", "2015-01-01"), "date must be between 2016-06-01 and 2017-12-31"),
    (("--date", "2017-01-01", "--date", "2017-02-01"), "several --date values need {date} in --out"),
    (("--layers", "towns,unicorns"), "unknown layer(s) unicorns"),
    (("--scale", "9"), "must be between 1 and 4"),
    (("--width", "abc"), "not a whole number"),
    (("--width", "6000", "--height", "6000", "--scale", "4"), "draws at most 16384 px a side"),
    (("--width", "6000", "--height", "6000", "--scale", "2"), "draws at most 100 million"),
])
def test_export_bad_arguments_exit_2(tmp_path, args, message):
    result = run_cli("export", "--out", str(tmp_path / "map.png"), *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "map.png").exists()


def test_export_unwritable_path_exits_2(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    for out, message in ((tmp_path / "missing" / "map.png", "folder does not exist"),
                         (tmp_path / "a-file" / "map.png", "not a folder"),
                         (tmp_path / "map.txt", "must name a .png file")):
        result = run_cli("export", "--out", str(out))
        assert result.returncode == 2 and message in result.stderr, result.stderr


@pytest.mark.browser
def test_static_site_opens_from_disk_with_no_network(tmp_path, browser):
    result = run_cli("site", str(tmp_path / "site"), "--date", "2017-10-19", "--date", "2017-06-01")
    assert result.returncode == 0, result.stderr
    site = tmp_path / "site"
    assert {"index.html", "2017-10-19.html", "2017-06-01.html"} <= {path.name for path in site.iterdir()}
    assert (site / "data" / "towns.geojson").exists() and (site / "vendor" / "leaflet" / "dist" / "leaflet.js").exists()

    context = browser.new_context()
    page = context.new_page()
    schemes = set()
    page.on("request", lambda request: schemes.add(urlparse(request.url).scheme))
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto((site / "index.html").as_uri())
    page.wait_for_selector(".euphrates-town", state="attached")
    assert page.locator(".euphrates-town").count() >= 30
    assert page.locator("path.leaflet-interactive").count() > 10
    assert "19 October 2017" in page.locator(".euphrates-title").inner_text()
    page.get_by_role("link", name="2017-06-01").click()
    page.wait_for_function("() => (document.querySelector('.euphrates-title')?.innerText || '').includes('1 June 2017')")
    context.close()
    assert schemes <= {"file", "data", "blob"}, schemes
    assert failed == []


@pytest.mark.browser
def test_an_exported_view_is_fitted_at_once_so_its_scale_bar_is_true(tmp_path, browser):
    """The issue's case: a bbox export's scale bar showed "100 km" over ~100 px, left from the first zoom while
    the fit animated; the PNG is taken as soon as the page is drawn, so the fit must be done by then."""
    from datetime import date

    from euphrates.export import _DRAWN, map_html
    from euphrates.geodata import load_geodata
    from euphrates.offline import VENDOR_DIR
    from euphrates.view import ViewState

    page_file = tmp_path / "map.html"
    view = ViewState(date=date(2017, 10, 19), bounds=(39.5, 34.2, 41.3, 35.8))
    page_file.write_text(map_html(view, load_geodata(), VENDOR_DIR.as_uri()), encoding="utf-8")
    page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    try:
        page.goto(page_file.as_uri())
        page.wait_for_function(_DRAWN, timeout=30_000, polling=50)
        shown_km, measured_km, animating = page.evaluate("""() => {
            const map = Object.values(window).find(v => v instanceof L.Map);
            const line = document.querySelector('.leaflet-control-scale-line');
            const width = parseFloat(line.style.width), y = map.getSize().y / 2;
            const metres = map.distance(map.containerPointToLatLng([0, y]), map.containerPointToLatLng([width, y]));
            const [value, unit] = line.textContent.split(' ');
            return [Number(value) * (unit === 'km' ? 1 : 0.001), metres / 1000, Boolean(map._animatingZoom)];
        }""")
    finally:
        page.context.close()
    assert not animating
    assert shown_km == pytest.approx(measured_km, rel=0.05)


def test_a_picture_the_map_did_not_draw_is_measured_as_blank(tmp_path):
    """The check behind 'exit 1 on an incomplete capture': the share of the container's own grey."""
    from euphrates.export import LEAFLET_BACKGROUND, MAX_BLANK_SHARE, blank_share

    grey = tmp_path / "grey.png"
    image = Image.new("RGB", (400, 300), LEAFLET_BACKGROUND)
    image.paste((240, 228, 66), (0, 0, 100, 300))  # a quarter drawn
    image.save(grey)
    assert blank_share(grey) == pytest.approx(0.75, abs=0.02) and blank_share(grey) > MAX_BLANK_SHARE
    drawn = tmp_path / "drawn.png"
    Image.new("RGB", (400, 300), (244, 241, 234)).save(drawn)
    assert blank_share(drawn) == 0


@pytest.mark.browser
def test_a_large_export_is_drawn_whole(tmp_path):
    """4000×4000 used to come back mostly grey; now it is drawn (and a blank one would exit 1)."""
    from euphrates.export import blank_share

    out = tmp_path / "big.png"
    result = run_cli("export", "--out", str(out), "--width", "4000", "--height", "4000")
    assert result.returncode == 0, result.stderr
    assert Image.open(out).size == (4000, 4000)
    assert blank_share(out) < 0.05
