"""Each page in headless Chromium: its charts draw, and an uploaded overlay shows on the map."""
from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from test_map_browser import map_frame

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path, charts", [("timeline", 2), ("factions", 1), ("race", 3)])
def test_page_draws_its_charts(page, app_url, path, charts):
    page.goto(f"{app_url}/{path}")
    drawn = page.locator(".vega-embed canvas, .vega-embed svg.marks")
    expect(drawn).to_have_count(charts, timeout=45_000)
    for index in range(charts):
        box = drawn.nth(index).bounding_box()
        assert box["width"] > 200 and box["height"] > 100


def test_data_page_shows_tables_and_report(page, app_url):
    page.goto(f"{app_url}/data")
    expect(page.get_by_text("Every layer passed validation")).to_be_visible(timeout=45_000)
    expect(page.locator("[data-testid='stDataFrame']").first).to_be_visible()
    expect(page.get_by_role("button", name="Download towns.geojson")).to_be_visible()


def test_uploaded_overlay_is_drawn_over_the_map(page, app_url, tmp_path):
    overlay = tmp_path / "my_points.geojson"
    overlay.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Observation <b>post</b>", "kind": "a"},
         "geometry": {"type": "Point", "coordinates": [40.2, 35.2]}},
        {"type": "Feature", "properties": {"name": "Line", "kind": "b"},
         "geometry": {"type": "LineString", "coordinates": [[39.0, 35.9], [40.1, 35.3]]}},
    ]}))
    page.goto(f"{app_url}/overlay")
    page.locator("input[type='file']").set_input_files(str(overlay))
    expect(page.get_by_text("my_points.geojson: 2 features")).to_be_visible(timeout=45_000)
    frame = map_frame(page)
    frame.wait_for_selector(".euphrates-town", state="attached")
    expect(frame.locator(".euphrates-overlay-legend")).to_contain_text("my_points.geojson")
    overlay_circles = frame.locator("path.leaflet-interactive[stroke-linecap]")
    assert overlay_circles.count() > 0


def test_bad_upload_explains_itself_and_keeps_the_map(page, app_url, tmp_path):
    bad = tmp_path / "broken.geojson"
    bad.write_text("{not json")
    page.goto(f"{app_url}/overlay")
    page.locator("input[type='file']").set_input_files(str(bad))
    expect(page.get_by_text("broken.geojson").first).to_be_visible(timeout=45_000)
    expect(page.locator("[data-testid='stAlertContentError']")).to_contain_text("JSON")
    frame = map_frame(page)
    frame.wait_for_selector(".euphrates-town", state="attached")


NAVIGATION = ["Map", "Timeline", "Factions and territory", "The race", "Data and sources", "Your overlay", "About"]


@pytest.mark.parametrize("path, heading", [
    ("", "Eastern Syria, 2016–2017"), ("timeline", "Timeline"),
    ("factions", "Factions and territory"), ("race", "The race down the Euphrates"),
    ("data", "Data and sources"), ("overlay", "Your overlay"), ("about", "About Euphrates 2017"),
])
def test_every_page_opens_by_its_address_with_the_apps_own_navigation(browser, app_url, path, heading):
    """The pages live in pages/; Streamlit's own list of that folder (with an "app" entry) stays off and the
    sidebar shows the app's navigation, the same on every page, whichever address a fresh browser opens."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    try:
        page.goto(f"{app_url}/{path}")
        expect(page.get_by_text(heading, exact=True).first).to_be_visible(timeout=45_000)
        sidebar = page.locator("[data-testid='stSidebar']")
        links = sidebar.locator("[data-testid='stPageLink'] a, a[data-testid='stPageLink-NavLink']")
        expect(links.first).to_be_visible()
        assert [text.strip() for text in links.all_inner_texts()] == NAVIGATION
        assert page.locator("[data-testid='stSidebarNav']").count() == 0  # Streamlit's own list is off
        assert "Page not found" not in page.content()
        assert page.url.split("?")[0].rstrip("/") == f"{app_url}/{path}".rstrip("/")  # the map adds its view
    finally:
        context.close()
