"""The Map page's "Export animation" in headless Chromium: it runs in the background with progress, the page
stays usable meanwhile, and the file downloaded is the animation asked for."""
from __future__ import annotations

import re

import pytest
from PIL import Image

from test_map_browser import open_map, wait_for_town_controller

pytestmark = pytest.mark.browser


def test_export_animation_downloads_a_gif_of_the_view(page, app_url, tmp_path):
    # Comparing with 1 Oct starts the animation there; the view's day, 20 Oct, ends it: 1, 8, 15 and 20 Oct.
    frame = open_map(page, app_url, "?date=2017-10-20&compare=2017-10-01&bbox=38.6,35.6,39.4,36.2")
    page.get_by_text("Export animation").click()
    page.get_by_role("button", name="Make the animation").click()
    page.get_by_text("Drawing frame").wait_for(timeout=30_000)
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
