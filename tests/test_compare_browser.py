"""Comparing two days on the Map page in headless Chromium: the changes on the map, the table under it, and an
address that holds both days."""
from __future__ import annotations

import pytest

from test_map_browser import SDF_YELLOW, open_map

pytestmark = pytest.mark.browser


def test_compare_marks_raqqa_hatches_gains_and_lists_the_changes(page, app_url):
    frame = open_map(page, app_url, "?date=2017-10-19&compare=2017-06-01")
    frame.wait_for_selector('svg[data-place="raqqa"]', state="attached", timeout=20_000)
    raqqa = frame.query_selector('svg[data-place="raqqa"]')
    assert (raqqa.get_attribute("data-before"), raqqa.get_attribute("data-after")) == ("isis", "sdf")
    # Hatching: unfilled lines in the SDF's colour (its ground gained since June).
    hatch = frame.evaluate("""(colour) => [...document.querySelectorAll('path.leaflet-interactive')]
        .filter(p => (p.getAttribute('stroke') || '').toLowerCase() === colour.toLowerCase()
                     && p.getAttribute('fill') === 'none').length""", SDF_YELLOW)
    assert hatch >= 1
    assert "compared with 1 June 2017" in frame.inner_text(".euphrates-title")
    page.get_by_text("What changed hands, 01 Jun 2017 → 19 Oct 2017").wait_for(timeout=20_000)
    assert "compare=2017-06-01" in page.url and "date=2017-10-19" in page.url
