"""Shared fixtures: a small, valid geodata folder that tests copy and break one way at a time."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GEODATA = ROOT / "geodata"
SOURCE = {"publication": "Test Gazette", "date": "2017-10-20", "title": "A test source"}


def _feature(geometry: dict, properties: dict) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def _town(town_id: str, lon: float, lat: float, control: list[dict]) -> dict:
    return _feature(_point(lon, lat), {
        "id": town_id, "name": town_id.title(), "aliases": [], "country": "SY", "role": "theatre",
        "coord_source": "test", "approximate": False, "control": control, "sources": [SOURCE],
    })


def _held(day: str, faction: str, **extra) -> dict:
    entry = {"from": day, "state": "held", "controller": faction, "factions": [faction], "sources": [SOURCE]}
    entry.update(extra)
    return entry


SMALL_LAYERS: dict[str, list[dict]] = {
    "countries": [_feature(
        {"type": "Polygon", "coordinates": [[[36, 32], [42, 32], [42, 37], [36, 37], [36, 32]]]},
        {"id": "SY", "name": "Syria", "source": "test", "licence": "test", "approximate": False})],
    "rivers": [_feature(
        {"type": "LineString", "coordinates": [[38.0, 36.8], [39.0, 35.95], [40.1, 35.3], [40.95, 34.4]]},
        {"id": "euphrates", "name": "Euphrates", "source": "test", "licence": "test", "approximate": True})],
    "control_areas": [_feature(
        {"type": "Polygon", "coordinates": [[[38.5, 35.5], [39.5, 35.5], [39.5, 36.5], [38.5, 36.5], [38.5, 35.5]]]},
        {"id": "isis-2016-06-01", "faction": "isis", "valid_from": "2016-06-01", "valid_to": "2017-10-16",
         "approximate": True, "method": "test", "anchors": ["raqqa"], "sources": [SOURCE]}),
        _feature(
        {"type": "Polygon", "coordinates": [[[38.5, 35.5], [39.5, 35.5], [39.5, 36.5], [38.5, 36.5], [38.5, 35.5]]]},
        {"id": "sdf-2017-10-17", "faction": "sdf", "valid_from": "2017-10-17", "valid_to": None,
         "approximate": True, "method": "test", "anchors": ["raqqa"], "sources": [SOURCE]})],
    "deconfliction": [_feature(
        {"type": "LineString", "coordinates": [[39.0, 35.95], [40.1, 35.3]]},
        {"id": "line", "name": "Line", "status": "tentative", "certain": ["a"], "uncertain": ["b"],
         "derived_from": "rivers", "approximate": True, "broken_on": "2017-09-18", "sources": [SOURCE]})],
    "routes": [_feature(
        {"type": "LineString", "coordinates": [[39.0, 35.95], [40.45, 35.02]]},
        {"id": "advance", "name": "Advance", "kind": "planned_advance", "factions": ["sdf"],
         "via": ["raqqa", "mayadeen"], "status": "cut_off", "description": "test", "approximate": True,
         "sources": [SOURCE]})],
    "sites": [_feature(_point(40.55, 35.05), {
        "id": "al-omar", "name": "Al-Omar", "kind": "oil_field", "coord_source": "test", "approximate": True,
        "control": [_held("2014-07-01", "isis"), _held("2017-10-22", "sdf")], "sources": [SOURCE]})],
    "events": [_feature(_point(39.0, 35.95), {
        "id": "raqqa-captured", "date": "2017-10-17", "kind": "capture", "title": "Raqqa taken",
        "description": "test", "factions": ["sdf", "isis"], "place": "raqqa", "coord_source": "test",
        "approximate": False, "sources": [SOURCE]})],
    "towns": [
        _town("raqqa", 39.0, 35.95, [
            _held("2014-01-13", "isis"),
            {"from": "2017-06-06", "state": "contested", "controller": "isis", "factions": ["isis", "sdf"],
             "sources": [SOURCE]},
            _held("2017-10-17", "sdf"),
        ]),
        _town("mayadeen", 40.45, 35.02, [_held("2014-07-03", "isis"), _held("2017-10-14", "government")]),
    ],
    "localities": [_feature(_point(39.2, 35.98), {
        "id": "hamrat", "name": "Hamrat", "country": "SY", "admin": "Raqqa Governorate", "kind": "village",
        "bank": "east", "coord_source": "test", "approximate": False,
        "control": [_held("2014-01-13", "isis"), _held("2017-06-03", "sdf")]})],
}


def write_layer(directory: Path, name: str, features: list[dict]) -> Path:
    path = directory / f"{name}.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@pytest.fixture
def small_geodata(tmp_path: Path) -> Path:
    """A valid geodata folder of a few features per layer, with the real faction registry."""
    directory = tmp_path / "geodata"
    directory.mkdir()
    shutil.copy(GEODATA / "factions.json", directory / "factions.json")
    for name, features in SMALL_LAYERS.items():
        write_layer(directory, name, json.loads(json.dumps(features)))
    return directory


def read_features(directory: Path, name: str) -> list[dict]:
    return json.loads((directory / f"{name}.geojson").read_text(encoding="utf-8"))["features"]


# --- browser tests: one Streamlit server and one headless Chromium per test session ----------------------

@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    from euphrates.serve import free_port, start_streamlit, stop

    port = free_port()
    # Its log goes to a file: a pipe nobody reads would stall the server once full.
    process = start_streamlit(ROOT / "app.py", port, log=tmp_path_factory.mktemp("streamlit") / "server.log")
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from euphrates.browser import launch_chromium

    with sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()
