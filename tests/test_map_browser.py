"""The Map page in headless Chromium, as a person uses it: it draws, toggles keep the view, the date changes
colours, links restore a view, and nothing is fetched from outside localhost."""
from __future__ import annotations

import re
import time
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SDF_YELLOW = "#F0E442"


def map_frame(page, timeout: float = 45):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" in frame.url:
                try:
                    frame.wait_for_selector(".leaflet-container", timeout=1000)
                    return frame
                except Exception:
                    pass
        page.wait_for_timeout(200)
    raise AssertionError("the map iframe never drew a Leaflet container")


def open_map(page, app_url: str, query: str = ""):
    page.goto(f"{app_url}/{query}")
    frame = map_frame(page)
    frame.wait_for_selector(".euphrates-town", state="attached")
    return frame


def town_controller(frame, town_id: str) -> str | None:
    element = frame.query_selector(f'.euphrates-town[data-town="{town_id}"]')
    return element.get_attribute("data-controller") if element else None


def wait_for_town_controller(frame, town_id: str, controller: str, timeout_ms: int = 20_000) -> None:
    frame.wait_for_function(
        """([town, controller]) => {
            const el = document.querySelector(`.euphrates-town[data-town="${town}"]`);
            return el && el.dataset.controller === controller;
        }""", arg=[town_id, controller], timeout=timeout_ms)


def filled_paths(frame, colour: str) -> int:
    return frame.evaluate("""(colour) => [...document.querySelectorAll('path.leaflet-interactive')]
        .filter(p => (p.getAttribute('fill') || '').toLowerCase() === colour.toLowerCase()).length""", colour)


def test_map_draws_areas_towns_and_legend(page, app_url):
    frame = open_map(page, app_url)
    assert frame.locator("path.leaflet-interactive").count() > 10  # countries, areas, rivers, routes, events
    assert frame.locator(".euphrates-town").count() >= 30
    assert filled_paths(frame, SDF_YELLOW) >= 1
    legend = frame.locator(".euphrates-legend")
    assert "SDF" in legend.inner_text() and "approximate" in legend.inner_text()
    assert "19 October 2017" in frame.locator(".euphrates-title").inner_text()
    assert town_controller(frame, "raqqa") == "sdf"


def test_unticking_a_faction_removes_its_layer_and_keeps_the_zoom(page, app_url):
    frame = open_map(page, app_url)
    frame.evaluate("() => { window.map.setView([35.3, 40.1], 9, {animate: false}); window.__marker = 'same map'; }")
    page.wait_for_timeout(1500)  # let the debounced bounds reach the app and rerun settle
    zoom_before = frame.evaluate("() => window.map.getZoom()")
    assert filled_paths(frame, SDF_YELLOW) >= 1

    page.get_by_role("checkbox", name="SDF").uncheck(force=True)
    frame.wait_for_function("(c) => ![...document.querySelectorAll('path.leaflet-interactive')]"
                            ".some(p => (p.getAttribute('fill') || '').toLowerCase() === c.toLowerCase())",
                            arg=SDF_YELLOW.lower(), timeout=20_000)
    assert frame.locator('.euphrates-town[data-controller="sdf"]').count() == 0
    assert frame.evaluate("() => window.__marker") == "same map"  # not reloaded
    assert frame.evaluate("() => window.map.getZoom()") == zoom_before
    page.wait_for_timeout(1500)  # any echo from the map's layer control would arrive by now
    assert "sdf" not in page.url.split("factions=")[1].split("&")[0]
    expect(page.get_by_role("checkbox", name="Government")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Rivers")).to_be_checked()


def test_unticking_in_the_layer_control_unticks_the_sidebar(page, app_url):
    frame = open_map(page, app_url)
    page.wait_for_timeout(1000)
    frame.hover(".leaflet-control-layers")
    frame.locator(".leaflet-control-layers-overlays label", has_text="Government").locator("input").uncheck()
    page.wait_for_function("() => new URL(location.href).searchParams.get('factions') === 'sdf,isis,iraq,turkey,rebels'",
                           timeout=20_000)
    expect(page.get_by_role("checkbox", name="Government")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="SDF")).to_be_checked()
    # The rerun's control lists SDF ticked and Government unticked (a stand-in, to tick it back on).
    frame.wait_for_function("() => { const ticked = {}; document.querySelectorAll("
                            "'.leaflet-control-layers-overlays label').forEach(l => "
                            "ticked[l.innerText.trim()] = l.querySelector('input').checked);"
                            "return ticked.SDF === true && ticked.Government === false; }", timeout=20_000)
    assert frame.locator('.euphrates-town[data-controller="government"]').count() == 0


def test_moving_the_date_changes_raqqa(page, app_url):
    frame = open_map(page, app_url, "?date=2017-06-01")
    assert town_controller(frame, "raqqa") == "isis"
    page.get_by_label("Jump to a key date").click()  # opens the select
    page.get_by_role("option", name=re.compile("The article's day")).click()
    wait_for_town_controller(frame, "raqqa", "sdf")
    assert "date=2017-10-19" in page.url


def test_deep_link_restores_the_view(page, app_url):
    query = "?date=2017-06-01&factions=sdf,isis&layers=control_areas,towns&basemap=vector&bbox=38.5,35.0,40.5,36.5"
    frame = open_map(page, app_url, query)
    expect(page.get_by_role("checkbox", name="Government")).not_to_be_checked()
    expect(page.get_by_role("checkbox", name="SDF")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Events")).not_to_be_checked()
    assert frame.locator('.euphrates-town[data-controller="government"]').count() == 0
    assert town_controller(frame, "raqqa") == "isis"
    assert "1 June 2017" in frame.locator(".euphrates-title").inner_text()
    bounds = frame.evaluate("() => { const b = window.map.getBounds(); return [b.getWest(), b.getSouth(), "
                            "b.getEast(), b.getNorth()]; }")
    west, south, east, north = bounds
    assert west <= 38.6 and east >= 40.4 and south <= 35.1 and north >= 36.4
    assert east - west < 8  # framed on the link's box, not the whole region


def test_searching_a_town_by_another_spelling_moves_the_map(page, app_url):
    frame = open_map(page, app_url)
    page.get_by_label("Find a town").fill("Abu Kamal")
    page.get_by_label("Find a town").press("Enter")
    frame.wait_for_function("() => window.map.getZoom() === 10", timeout=20_000)
    center = frame.evaluate("() => window.map.getCenter()")
    assert abs(center["lat"] - 34.45) < 0.05 and abs(center["lng"] - 40.92) < 0.05


def test_no_request_leaves_localhost(browser, app_url):
    context = browser.new_context()
    page = context.new_page()
    hosts = set()
    page.on("request", lambda request: hosts.add(urlparse(request.url).hostname))
    frame = open_map(page, app_url)
    frame.locator(".euphrates-town").first.wait_for()
    page.wait_for_timeout(1000)
    context.close()
    assert hosts - {"127.0.0.1", "localhost", None} == set(), hosts


def test_export_button_downloads_what_is_on_screen(page, app_url, tmp_path):
    from PIL import Image

    from pixels import count_colour

    frame = open_map(page, app_url, "?factions=sdf,government,isis")
    page.wait_for_timeout(1000)
    size = frame.evaluate("() => { const r = window.map.getContainer().getBoundingClientRect(); "
                          "return [Math.round(r.width), Math.round(r.height)]; }")
    with page.expect_download(timeout=30_000) as download_info:
        frame.get_by_role("button", name="2×").click()
    download = download_info.value
    assert download.suggested_filename == "euphrates_2017-10-19.png"
    png = tmp_path / download.suggested_filename
    download.save_as(png)
    assert Image.open(png).size == (size[0] * 2, size[1] * 2)
    assert count_colour(png, SDF_YELLOW) > 200
    assert count_colour(png, "#D55E00") > 200
    assert count_colour(png, "#009E73") == 0  # Turkey is unticked
    assert "Saved euphrates_2017-10-19.png" in frame.locator(".euphrates-export-status").inner_text()


def test_the_story_towns_labels_lie_above_their_neighbours(page, app_url):
    """Leaflet stacks markers by latitude, so Dhiban's label, just south, covered Mayadeen's."""
    frame = open_map(page, app_url)
    z_index = frame.evaluate("""() => Object.fromEntries(['mayadeen', 'dhiban'].map(town => [town, Number(
        document.querySelector(`.euphrates-town[data-town="${town}"]`).closest('.leaflet-marker-icon')
            .style.zIndex)]))""")
    assert z_index["mayadeen"] > z_index["dhiban"]


def test_contested_town_has_its_own_symbol_and_arabic_search_finds_it(page, app_url):
    frame = open_map(page, app_url, "?date=2017-08-01")
    raqqa = frame.locator('.euphrates-town[data-town="raqqa"]')
    expect(raqqa).to_have_attribute("data-state", "contested")
    # contested: a square split on its diagonal (two filled triangles), not the held circle
    assert raqqa.locator("svg path").count() == 3 and raqqa.locator("svg circle").count() == 0
    held = frame.locator('.euphrates-town[data-town="damascus"]')
    assert held.locator("svg circle").count() == 1 and held.locator("svg path").count() == 0
    page.get_by_label("Find a town").fill("الرقّة")
    page.get_by_label("Find a town").press("Enter")
    frame.wait_for_function("() => window.map.getZoom() === 10", timeout=20_000)
    center = frame.evaluate("() => window.map.getCenter()")
    assert abs(center["lat"] - 35.95) < 0.05 and abs(center["lng"] - 39.01) < 0.05
    raqqa.click()
    popup = frame.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("contested: held by ISIS, fought over with SDF")
    expect(popup).to_contain_text("الرقة")


def test_panning_keeps_an_open_popup(page, app_url):
    """A pan reports its bounds and reruns the page; the same view must not re-add the overlays."""
    frame = open_map(page, app_url)
    page.wait_for_timeout(1000)
    frame.evaluate("() => { window.__overlay_marker = true; }")
    frame.locator('.euphrates-town[data-town="raqqa"]').click()
    expect(frame.locator(".leaflet-popup-content")).to_contain_text("Raqqa")
    frame.evaluate("() => window.map.panBy([120, 60], {animate: false})")
    page.wait_for_function("() => new URL(location.href).searchParams.get('bbox') !== null")
    page.wait_for_timeout(2500)  # the rerun the pan caused has come and gone
    expect(frame.locator(".leaflet-popup-content")).to_contain_text("Raqqa")


def test_back_leaves_the_map_after_view_changes(page, app_url):
    """Issue 11, item 5: view changes update the address without piling up history entries, so one Back
    returns to the page the reader came from."""
    page.goto("about:blank")
    frame = open_map(page, app_url, "?date=2017-06-01")
    page.wait_for_function("() => window.__euphratesHistoryPatched === true", timeout=20_000)
    entries = page.evaluate("() => history.length")
    for label, controller in (("The article's day", "sdf"), ("SDF take Tabqa", "isis"),
                              ("SDF take Raqqa", "sdf"), ("Battle of Raqqa begins", "isis")):
        page.get_by_label("Jump to a key date").click()
        page.get_by_role("option", name=re.compile(label)).click()
        wait_for_town_controller(frame, "raqqa", controller)
    page.wait_for_timeout(500)
    assert "date=2017-06-06" in page.url
    assert page.evaluate("() => history.length") == entries
    page.go_back()
    assert page.url == "about:blank"


def _layer_entry(frame, name: str):
    frame.hover(".leaflet-control-layers")
    return frame.locator(".leaflet-control-layers-overlays label", has_text=name).locator("input")


def test_the_layer_control_switches_a_faction_off_and_back_on(page, app_url):
    """Issue 11, item 6: an unticked faction stays in the map's layer control, unticked, and ticking it there
    brings it back in the map and the sidebar; so does "Other places", which has its own sidebar box."""
    frame = open_map(page, app_url)
    page.wait_for_timeout(1000)
    _layer_entry(frame, "Government").uncheck()
    expect(page.get_by_role("checkbox", name="Government")).not_to_be_checked(timeout=20_000)
    frame.wait_for_function("() => !document.querySelector('.euphrates-town[data-controller=\"government\"]')",
                            timeout=20_000)
    expect(_layer_entry(frame, "Government")).not_to_be_checked(timeout=20_000)
    page.wait_for_timeout(500)  # the rerun has rebuilt the control; hover it again, as a person would
    _layer_entry(frame, "Government").check()
    expect(page.get_by_role("checkbox", name="Government")).to_be_checked(timeout=20_000)
    frame.wait_for_selector('.euphrates-town[data-controller="government"]', state="attached", timeout=20_000)
    expect(_layer_entry(frame, "Government")).to_be_checked()

    page.wait_for_timeout(500)
    _layer_entry(frame, "Other places").uncheck()
    expect(page.get_by_role("checkbox", name="Other places (control not tracked)")).not_to_be_checked(timeout=20_000)
    page.get_by_label("Jump to a key date").click()
    page.get_by_role("option", name=re.compile("SDF take Raqqa")).click()
    wait_for_town_controller(frame, "raqqa", "sdf")
    expect(page.get_by_role("checkbox", name="Other places (control not tracked)")).not_to_be_checked()
    expect(_layer_entry(frame, "Other places")).not_to_be_checked()


def test_a_quick_untick_and_retick_in_the_layer_control_leaves_the_faction_on(page, app_url):
    frame = open_map(page, app_url)
    page.wait_for_timeout(1000)
    frame.hover(".leaflet-control-layers")
    box = frame.locator(".leaflet-control-layers-overlays label", has_text="ISIS").locator("input")
    box.uncheck()
    box.check()
    page.wait_for_timeout(3000)  # the debounced report and any rerun
    expect(page.get_by_role("checkbox", name="ISIS")).to_be_checked()
    expect(_layer_entry(frame, "ISIS")).to_be_checked()
    assert frame.locator('.euphrates-town[data-controller="isis"]').count() > 0
