"""Playing the map through time in headless Chromium: in the app (no Streamlit rerun per frame; a pause hands the
day to the sidebar and the address) and in the static site (from file://, the address keeps the day)."""
from __future__ import annotations

import pytest

from test_map_browser import SDF_YELLOW, map_frame, open_map, town_controller, wait_for_town_controller

pytestmark = pytest.mark.browser

ISIS_BLACK = "#000000"
NOVEMBER_1_2017 = 518  # days since 2016-06-01


def raqqa_fill(frame) -> str | None:
    return frame.evaluate("""() => {
        const dot = document.querySelector('path.euphrates-play-raqqa');
        return dot ? dot.getAttribute('fill') : null;
    }""")


def count_rerun_requests(page) -> list[int]:
    """Messages the browser sends to Streamlit over its websocket: a rerun request, a widget or component
    value. The list's one item counts them from now on."""
    sent = [0]

    def watch(socket):
        if "_stcore/stream" in socket.url:
            socket.on("framesent", lambda _payload: sent.__setitem__(0, sent[0] + 1))

    page.on("websocket", watch)
    return sent


def test_play_recolours_raqqa_without_a_rerun_and_pause_hands_the_day_back(page, app_url):
    sent = count_rerun_requests(page)
    frame = open_map(page, app_url, "?date=2017-06-01")
    assert town_controller(frame, "raqqa") == "isis"
    page.wait_for_timeout(2500)  # the first run's own messages (bounds, component value) have settled
    before = sent[0]
    frame.select_option(".euphrates-playback select", "30")  # a month a second
    frame.click(".euphrates-playback button")
    frame.wait_for_selector("path.euphrates-play-raqqa", timeout=20_000)
    assert raqqa_fill(frame) == ISIS_BLACK
    frame.wait_for_function(f"() => window.euphratesPlayback.state.day >= {NOVEMBER_1_2017}", timeout=60_000)
    assert raqqa_fill(frame) == SDF_YELLOW
    # The title follows the day played, and the page's own groups are off the map meanwhile.
    assert "November 2017" in frame.inner_text(".euphrates-title") or "December 2017" in frame.inner_text(
        ".euphrates-title")
    assert frame.query_selector('.euphrates-town[data-town="raqqa"]') is None
    assert sent[0] == before, "playing asked Streamlit for a rerun"

    frame.click(".euphrates-playback button")  # pause
    shown = frame.evaluate("() => window.euphratesPlayback.state.day")
    assert shown is not None
    # The page redraws the paused day: the sidebar date, the address and Raqqa's own symbol follow.
    page.wait_for_function("() => /date=2017-1[12]-/.test(location.search)", timeout=20_000)
    wait_for_town_controller(frame, "raqqa", "sdf")
    frame.wait_for_function("() => !document.querySelector('path.euphrates-play-raqqa')", timeout=20_000)
    assert sent[0] > before
    paused_on = page.evaluate("() => new URLSearchParams(location.search).get('date')")
    assert frame.get_attribute(".euphrates-title [data-date]", "data-date") == paused_on


def test_static_site_plays_from_file_and_keeps_the_day_in_the_address(browser, tmp_path):
    from euphrates.export import write_site
    from euphrates.geodata import load_geodata
    from euphrates.view import ViewState

    write_site(tmp_path / "site", [ViewState.model_validate({"date": "2017-06-01"})], load_geodata())
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto((tmp_path / "site" / "index.html").as_uri())
        page.select_option(".euphrates-playback select", "30")
        page.click(".euphrates-playback button")
        page.wait_for_function(f"() => window.euphratesPlayback.state.day >= {NOVEMBER_1_2017}", timeout=60_000)
        page.click(".euphrates-playback button")
        assert raqqa_fill(page) == SDF_YELLOW
        day = page.evaluate("() => location.hash")
        assert day.startswith("#date=2017-1")
        # Opening that address shows that day again.
        page.goto((tmp_path / "site" / "index.html").as_uri() + day)
        page.wait_for_selector("path.euphrates-play-raqqa")
        assert raqqa_fill(page) == SDF_YELLOW
        assert page.get_attribute(".euphrates-title [data-date]", "data-date") == day.removeprefix("#date=")
        assert errors == []
    finally:
        page.close()
