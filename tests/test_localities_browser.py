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
