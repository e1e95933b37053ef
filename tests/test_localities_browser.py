"""The dense layer in headless Chromium: the ground the SDF took east of Deir ez-Zor is drawn, and a village's
dot opens a popup built from text."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from test_map_browser import SDF_YELLOW, open_map

pytestmark = pytest.mark.browser

# Inside the SDF's ground on 20 Nov 2017 east of the river from Deir ez-Zor (the Conoco field, taken 23 Sep),
# and inside the ISIS-held valley below Hajin; both away from any marker.
SDF_EAST_OF_DEIR_EZ_ZOR = (35.351, 40.309)
DEIR_EZ_ZOR = (35.3359, 40.1408)
MARRAT = (35.31407, 40.23865)
VIEW = ("?date=2017-11-20&layers=control_areas,contact_zones,localities,towns&basemap=vector"
        "&bbox=39.9,35.1,40.6,35.6")


def fill_at(frame, lat: float, lon: float) -> str | None:
    """The fill colour of the topmost faction area drawn at a place (markers and contact zones set aside)."""
    return frame.evaluate("""([lat, lon]) => {
        const point = window.map.latLngToContainerPoint([lat, lon]);
        const box = window.map.getContainer().getBoundingClientRect();
        for (const element of document.elementsFromPoint(box.left + point.x, box.top + point.y)) {
            if (element.tagName === 'path' && element.getAttribute('fill') &&
                    !element.classList.contains('euphrates-locality') &&
                    !element.classList.contains('euphrates-contact')) {
                return element.getAttribute('fill');
            }
        }
        return null;
    }""", [lat, lon])


def test_the_map_draws_sdf_ground_east_of_deir_ez_zor_on_20_november_2017(page, app_url):
    frame = open_map(page, app_url, VIEW)
    assert (fill_at(frame, *SDF_EAST_OF_DEIR_EZ_ZOR) or "").lower() == SDF_YELLOW.lower()
    # ... across the river from the city, which the government held; where the two met, a contact zone.
    assert (fill_at(frame, *DEIR_EZ_ZOR) or "").lower() != SDF_YELLOW.lower()
    assert frame.locator("path.euphrates-contact").count() >= 1


def test_the_same_place_was_not_sdf_before_the_offensive(page, app_url):
    frame = open_map(page, app_url, VIEW.replace("2017-11-20", "2017-08-20"))
    assert (fill_at(frame, *SDF_EAST_OF_DEIR_EZ_ZOR) or "").lower() != SDF_YELLOW.lower()


# The factories by the 7 km roundabout on the Hasakah road, which the SDF took in mid-September 2017: 8 km
# north-east of the city, across the river. The point is 900 m north of the place's dot.
SDF_FACTORIES_NORTH_EAST_OF_DEIR_EZ_ZOR = (35.3785, 40.2156)


@pytest.mark.parametrize(("day", "sdf"), [("2017-09-20", True), ("2017-09-01", False)])
def test_on_20_september_2017_the_map_draws_sdf_ground_north_east_of_deir_ez_zor(page, app_url, day, sdf):
    frame = open_map(page, app_url, VIEW.replace("2017-11-20", day))
    fill = (fill_at(frame, *SDF_FACTORIES_NORTH_EAST_OF_DEIR_EZ_ZOR) or "").lower()
    assert (fill == SDF_YELLOW.lower()) is sdf, fill


def test_a_village_dot_opens_a_popup_with_its_holder_and_sources(page, app_url):
    frame = open_map(page, app_url, VIEW)
    assert frame.locator("path.euphrates-locality").count() >= 3
    # Marrat, on the east bank by Deir ez-Zor: a person clicks its dot.
    x, y = frame.evaluate("""([lat, lon]) => {
        const p = window.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }""", list(MARRAT))
    frame.locator(".leaflet-container").click(position={"x": x, "y": y})
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    # Its whole story comes from the stories script, loaded when this first popup opened.
    expect(popup).to_contain_text("History and sources", timeout=20_000)
    text = popup.inner_text()
    assert text.startswith("Marrat") and "held by Government" in text and "since 2017-09-19" in text
    assert "held by ISIS" in text and "Position:" in text  # the history before the government took it
    assert popup.locator("a[href^='http']").count() >= 1
    assert popup.locator("script, img").count() == 0


def hover_tooltip(page, frame, lat: float, lon: float) -> str:
    x, y = frame.evaluate("""([lat, lon]) => {
        const p = window.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }""", [lat, lon])
    frame.locator(".leaflet-container").hover(position={"x": x, "y": y})
    tooltip = frame.locator(".leaflet-tooltip")
    tooltip.first.wait_for()
    return tooltip.first.inner_text()


def test_dots_carry_their_holder_and_a_contested_one_the_other_sides_ring(page, app_url):
    """Records share their group's colours and holder; a contested district keeps its own: the other side's
    ring, and its own words."""
    frame = open_map(page, app_url, "?date=2017-08-01&layers=localities,towns&basemap=vector"
                                    "&bbox=38.955,35.94,39.0,35.975")
    rings = frame.evaluate("""() => Array.from(document.querySelectorAll('path.euphrates-locality'))
        .map(path => path.getAttribute('stroke').toLowerCase())""")
    assert "#000000" in rings and "#333" in rings  # ISIS's black ring on the contested districts, grey on the rest
    # Hittin, west of the town's label.
    assert (hover_tooltip(page, frame, 35.95639, 38.97778)
            == "Hittin (Raqqa): contested: held by ISIS, fought over with SDF")


def test_a_held_village_says_who_held_it_on_hover(page, app_url):
    frame = open_map(page, app_url, VIEW)
    assert hover_tooltip(page, frame, *MARRAT) == "Marrat: held by Government"
