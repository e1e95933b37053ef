"""The map on a phone, a tablet and a laptop (issue 11, item 8): the legend starts collapsed only where it would
cover the map, a town's popup fits inside the map with its close button, and no box lies over it. Each test
saves a screenshot (to $EUPHRATES_SCREENSHOTS if set) for a person to look at."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from euphrates.mapbuilder import LEGEND_COLLAPSE_BELOW_PX
from test_map_browser import map_frame

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1440, 900)}


def _shot(page, tmp_path: Path, name: str) -> None:
    folder = Path(os.environ.get("EUPHRATES_SCREENSHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"))


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None
    return box


def _inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["x"] >= outer["x"] - slack and inner["y"] >= outer["y"] - slack
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack)


@pytest.mark.parametrize("size", SIZES)
def test_legend_and_popup_fit_the_screen(browser, app_url, tmp_path, size):
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/?date=2017-10-19")
        frame = map_frame(page)
        frame.wait_for_selector('.euphrates-town[data-town="raqqa"]', state="attached")
        legend = frame.locator(".euphrates-legend details")
        legend.wait_for(state="attached")
        map_width = frame.evaluate("() => window.map.getSize().x")
        narrow = map_width < LEGEND_COLLAPSE_BELOW_PX
        assert legend.evaluate("d => d.open") is (not narrow), (size, map_width)
        if narrow:
            assert _box(frame.locator(".euphrates-legend"))["height"] < 60  # one line, not a third of the map
            frame.locator(".euphrates-legend summary").click()
            assert legend.evaluate("d => d.open")
            frame.locator(".euphrates-legend summary").click()
            assert not legend.evaluate("d => d.open")

        frame.evaluate("() => window.map.setView([35.95, 39.0], 9, {animate: false})")
        frame.locator('.euphrates-town[data-town="raqqa"]').click()
        popup = frame.locator(".leaflet-popup")
        popup.wait_for()
        page.wait_for_timeout(400)  # autopan
        _shot(page, tmp_path, f"popup-{size}-{width}x{height}")
        container = _box(frame.locator(".leaflet-container"))
        assert _inside(_box(frame.locator(".leaflet-popup-content-wrapper")), container), size
        assert _inside(_box(frame.locator(".leaflet-popup-close-button")), container), size
        # No box lies over the popup: the topmost element is part of it at its title, centre and close button.
        assert frame.evaluate("""() => {
            const box = document.querySelector('.leaflet-popup-content-wrapper').getBoundingClientRect();
            const close = document.querySelector('.leaflet-popup-close-button').getBoundingClientRect();
            const points = [[box.left + 20, box.top + 12], [box.left + box.width / 2, box.top + box.height / 2],
                            [close.left + close.width / 2, close.top + close.height / 2]];
            return points.every(([x, y]) => { const top = document.elementFromPoint(x, y);
                                              return Boolean(top && top.closest('.leaflet-popup')); });
        }"""), size
    finally:
        context.close()


def test_an_export_of_a_narrow_map_keeps_the_legend_open(browser, tmp_path):
    """On screen a 390 px map starts with the legend collapsed; the PNG of the same page shows it whole."""
    from datetime import date

    from euphrates.export import _DRAWN, PngJob, map_html, new_page, render_png
    from euphrates.geodata import load_geodata
    from euphrates.offline import VENDOR_DIR
    from euphrates.view import ViewState
    from pixels import count_colour

    job = PngJob(view=ViewState(date=date(2017, 10, 19)), out=tmp_path / "narrow.png", width=390, height=700)
    page_file = tmp_path / "map.html"
    page_file.write_text(map_html(job.view, load_geodata(), VENDOR_DIR.as_uri()), encoding="utf-8")
    page = new_page(browser, job)
    try:
        page.goto(page_file.as_uri())
        page.wait_for_function(_DRAWN, timeout=30_000, polling=50)
        assert page.locator(".euphrates-legend details").evaluate("d => d.open") is False
        on_screen = page.screenshot()
        render_png(page, page_file, job)
        assert page.locator(".euphrates-legend details").evaluate("d => d.open") is True
    finally:
        page.context.close()
    # The legend's SDF swatch (SDF yellow at 80% over the legend's white; about 100 pixels) is only in the PNG.
    assert count_colour(job.out, "#F3E968", tolerance=6) - count_colour(on_screen, "#F3E968", tolerance=6) > 30
