"""The Map page's "Export animation" in headless Chromium: it runs in the background with progress, the page
stays usable meanwhile, and the file downloaded is the animation asked for."""
from __future__ import annotations

import re

import pytest
from PIL import Image

from test_map_browser import open_map, wait_for_town_controller

pytestmark = pytest.mark.browser


def wait_until_idle(page, quiet_ms: int = 1000) -> None:
    """Wait until no script run has shown for `quiet_ms` (the map's first reruns are over), so a click is not
    raced against them."""
    page.wait_for_function("""(quietMs) => {
        const now = performance.now();
        if (document.querySelector('[data-testid=stStatusWidget]')) { window.__lastRun = now; }
        return now - (window.__lastRun ?? 0) >= quietMs;
    }""", arg=quiet_ms, polling=100)


def wait_for_text(page, text: str, timeout_ms: int = 30_000) -> None:
    """Wait for `text` to be visible; if it is not, fail with what the page shows instead."""
    try:
        page.get_by_text(text).first.wait_for(timeout=timeout_ms)
    except Exception as error:
        shown = page.evaluate("""() => ({
            panels: [...document.querySelectorAll('[data-testid=stExpander]')].map(panel => {
                const details = panel.querySelector('[data-testid=stExpanderDetails]');
                return `${details && details.hasAttribute('inert') ? 'closed' : 'open'}: `
                    + panel.innerText.slice(0, 300);
            }),
            status: document.querySelector('[data-testid=stStatusWidget]')?.innerText || '',
            main: (document.querySelector('[data-testid=stMain]')?.innerText || '').slice(-1200)})""")
        raise AssertionError(f"{text!r} not shown within {timeout_ms} ms; the page shows {shown}") from error


def test_export_animation_downloads_a_gif_of_the_view(page, app_url, tmp_path):
    # Comparing with 1 Oct starts the animation there; the view's day, 20 Oct, ends it: 1, 8, 15 and 20 Oct.
    frame = open_map(page, app_url, "?date=2017-10-20&compare=2017-10-01&bbox=38.6,35.6,39.4,36.2")
    wait_until_idle(page)
    page.get_by_text("Export animation").click()
    page.get_by_role("button", name="Make the animation").click()
    wait_for_text(page, "Drawing frame")
    # The page answers while the animation is drawn: a key date still moves the map.
    page.get_by_label("Jump to a key date").click()
    page.get_by_role("option", name=re.compile("SDF offensive on Manbij")).click()
    wait_for_town_controller(frame, "raqqa", "isis")
    download_button = page.get_by_role("button", name="Download euphrates_2017-10-01_2017-10-20.gif")
    download_button.wait_for(timeout=120_000)
    with page.expect_download() as event:
        download_button.click()
    path = tmp_path / "animation.gif"
    event.value.save_as(path)
    with Image.open(path) as gif:
        assert gif.n_frames == 4 and gif.size == (1200, 800)


def export_panel_is_open(page) -> bool:
    panel = page.get_by_test_id("stExpander").filter(has_text="Export animation")
    return panel.get_by_test_id("stExpanderDetails").get_attribute("inert") is None


def test_the_export_panel_stays_open_when_the_changes_table_appears_above_it(page, app_url):
    # Ticking "Compare" puts the changes table above the panel: the rerun moves it, and it must stay open
    # (the progress of an animation being made shows in it).
    open_map(page, app_url, "?date=2017-10-20")
    page.get_by_text("Export animation").click()
    page.get_by_role("button", name="Make the animation").wait_for()
    assert export_panel_is_open(page)
    page.get_by_text("Compare with another day").click()
    page.get_by_text("What changed hands").wait_for()
    page.wait_for_timeout(1000)
    assert export_panel_is_open(page)
