"""Two replicas behind nginx (`make serve REPLICAS=2`), as readers use them: fresh sessions spread over both, each
draws the map, toggles a faction and uploads an overlay (the upload must reach the replica that holds the
session), and killing one replica leaves the other's readers working."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from euphrates.replicas import REPLICA_HEADER, STICKY_COOKIE, ReplicaSet
from euphrates.serve import ROOT
from test_map_browser import SDF_YELLOW, filled_paths, map_frame

pytestmark = pytest.mark.browser

SDF_FILL_IS = ("([c, present]) => [...document.querySelectorAll('path.leaflet-interactive')]"
               ".some(p => (p.getAttribute('fill') || '').toLowerCase() === c) === present")


@pytest.fixture(scope="module")
def proxied():
    with ReplicaSet(2) as replica_set:
        yield replica_set


def open_session(browser, url: str):
    """A fresh reader (own cookies): the replica that served its first page, and the page with the map drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    response = page.goto(url)
    replica = response.headers.get(REPLICA_HEADER.lower())
    frame = map_frame(page)
    frame.wait_for_selector(".euphrates-town", state="attached")
    return replica, page


def sticky_cookie(page) -> str | None:
    return next((cookie["value"] for cookie in page.context.cookies() if cookie["name"] == STICKY_COOKIE), None)


def flip_sdf(page) -> None:
    """Tick or untick SDF in the sidebar and wait for the map to gain or lose its areas."""
    checkbox = page.get_by_role("checkbox", name="SDF")
    shown = checkbox.is_checked()
    assert (filled_paths(map_frame(page), SDF_YELLOW) >= 1) == shown
    checkbox.set_checked(not shown, force=True)
    map_frame(page).wait_for_function(SDF_FILL_IS, arg=[SDF_YELLOW.lower(), not shown], timeout=30_000)


def upload_overlay(page, url: str, path) -> None:
    page.goto(f"{url}overlay")
    page.locator("input[type='file']").set_input_files(str(path))
    expect(page.get_by_text(f"{path.name}: 1 features")).to_be_visible(timeout=45_000)
    expect(map_frame(page).locator(".euphrates-overlay-legend")).to_contain_text(path.name)


def test_sessions_spread_over_both_replicas_stick_to_them_and_survive_losing_one(proxied, browser, tmp_path):
    overlay = tmp_path / "post.geojson"
    overlay.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Observation post"},
         "geometry": {"type": "Point", "coordinates": [40.2, 35.2]}}]}))

    sessions = [open_session(browser, proxied.url) for _ in range(4)]
    replicas = [replica for replica, _ in sessions]
    assert set(replicas) == {"replica-1", "replica-2"}, replicas
    for replica, page in sessions:
        assert sticky_cookie(page) == replica
        flip_sdf(page)
        upload_overlay(page, proxied.url, overlay)  # a PUT to the session's replica, or Streamlit refuses it
        # Still on the replica it started on: the address it asks for next is answered by the same one.
        assert page.request.get(f"{proxied.url}_stcore/health").headers[REPLICA_HEADER.lower()] == replica

    proxied.kill("replica-1")
    for replica, page in sessions:
        if replica == "replica-2":
            # Untouched by the loss: the same session keeps its overlay, goes back to the map and a toggle still
            # redraws it.
            expect(map_frame(page).locator(".euphrates-overlay-legend")).to_contain_text(overlay.name)
            page.get_by_role("link", name="Map").click()
            flip_sdf(page)
            assert sticky_cookie(page) == "replica-2"
        else:
            # Its replica is gone: nginx moves the reader to the other one, which draws a fresh map.
            response = page.goto(proxied.url)
            assert response.headers[REPLICA_HEADER.lower()] == "replica-2"
            map_frame(page).wait_for_selector(".euphrates-town", state="attached")
            assert sticky_cookie(page) == "replica-2"
    for _, page in sessions:
        page.context.close()


def test_nginx_serves_the_static_site_that_draws_the_map(browser, tmp_path):
    """The path for read-only readers: the site from `python -m euphrates site`, served by the same nginx config."""
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "euphrates", "site", str(site), "--date", "2017-10-19"], cwd=ROOT,
                   check=True, capture_output=True)
    with ReplicaSet(0, site_dir=site) as server:
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        page = context.new_page()
        try:
            response = page.goto(f"{server.url}site/")
            assert response.status == 200 and response.headers["content-type"].startswith("text/html")
            page.wait_for_selector(".euphrates-town", state="attached", timeout=30_000)
            assert filled_paths(page, SDF_YELLOW) >= 1
            script = page.request.get(f"{server.url}site/vendor/leaflet/dist/leaflet.js")
            assert script.headers["content-type"] == "application/javascript"
        finally:
            context.close()
