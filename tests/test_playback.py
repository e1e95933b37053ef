"""The playback's data: cells that agree with the control areas, places that agree with their histories, the
cache `make geodata` writes, and a script that cannot break out of its element."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
import shapely

from euphrates.geodata import load_geodata
from euphrates.playback import (CELLS_FILE, _changes, cached_control_cells, control_cells, day_number,
                                playback_data, playback_script)
from euphrates.timeline import DATA_START, control_areas_on, entry_on


@pytest.fixture(scope="module")
def geodata():
    return load_geodata()


@pytest.fixture(scope="module")
def data(geodata):
    return playback_data(geodata)


def _holder(changes, day):
    found = None
    for change in changes:
        if change[0] > day:
            break
        found = change
    return found


@pytest.mark.parametrize("day", [date(2016, 8, 20), date(2017, 7, 15), date(2017, 10, 19), date(2017, 12, 31)])
def test_each_cell_has_the_holder_of_the_area_it_lies_in(geodata, data, day):
    factions = [faction_id for faction_id, _ in data["factions"]]
    areas = control_areas_on(geodata, day)
    grown = shapely.buffer(areas.geometry.values, 0.02)  # the cells are simplified to 0.01°
    checked = 0
    for cell, changes in zip(data["cells"], data["holders"]):
        shape = shapely.MultiPolygon([shapely.Polygon(polygon[0], polygon[1:]) for polygon in cell])
        point = shape.representative_point()
        holder = _holder(changes, day_number(day))
        containing = areas[shapely.contains(grown, point)]
        if holder is None or holder[1] < 0:
            continue
        checked += 1
        # The area version of that day, of the cell's faction and ground, covers the cell (to simplification).
        ground = "far" if holder[2] else "near"
        mine = containing[(containing["faction"] == factions[holder[1]]) & (containing["ground"] == ground)]
        assert len(mine) == 1, (day, factions[holder[1]], ground, point)
    assert checked > 50


def test_places_change_hands_as_their_histories_say(geodata, data):
    factions = [faction_id for faction_id, _ in data["factions"]]
    raqqa = next(place for place in data["places"] if place[0] == "raqqa")
    town = next(town for town in geodata.layer("towns").records if town.id == "raqqa")
    for day in (date(2016, 6, 1), date(2017, 6, 1), date(2017, 8, 1), date(2017, 10, 20)):
        change = _holder(raqqa[5], day_number(day))
        assert factions[change[1]] == entry_on(town.control, day).controller
    assert {place[4] for place in data["places"]} == {0, 1}  # towns and localities


def test_changes_fill_gaps_with_no_one_and_merge_repeats():
    assert _changes([(0, 9, "isis", 0), (10, 19, "isis", 0), (30, 40, "sdf", 1)]) == [
        [0, "isis", 0], [20, None, 0], [30, "sdf", 1], [41, None, 0]]


def test_the_stored_cells_are_used_only_while_the_areas_are_the_same(small_geodata, tmp_path):
    geodata = load_geodata(small_geodata)
    fresh = control_cells(geodata)
    assert fresh[0], "the small geodata has areas"
    stored = small_geodata / CELLS_FILE
    areas_file = small_geodata / "control_areas.geojson"
    import hashlib
    stored.write_text(json.dumps({"control_areas_sha256": hashlib.sha256(areas_file.read_bytes()).hexdigest(),
                                  "cells": ["marker"], "holders": [[]]}))
    assert cached_control_cells(geodata) == (["marker"], [[]])
    stored.write_text(json.dumps({"control_areas_sha256": "stale", "cells": ["marker"], "holders": [[]]}))
    assert cached_control_cells(geodata) == fresh
    stored.write_text("{broken")
    assert cached_control_cells(geodata) == fresh


def test_bundled_cells_file_matches_the_bundled_areas(geodata):
    stored = json.loads((geodata.directory / CELLS_FILE).read_text())
    import hashlib
    assert stored["control_areas_sha256"] == hashlib.sha256(
        (geodata.directory / "control_areas.geojson").read_bytes()).hexdigest(), "run make geodata"


def test_script_sets_one_global_and_escapes_angle_brackets(geodata):
    script = playback_script(geodata)
    assert script.startswith("window.euphratesPlaybackData={") and script.rstrip().endswith("};")
    assert "<" not in script
    assert len(script.encode()) < 400_000  # sent once, on the first press of play
    assert day_number(DATA_START + timedelta(days=5)) == 5


def test_the_static_site_carries_the_scripts_its_pages_load(tmp_path, geodata):
    from euphrates.export import write_site
    from euphrates.view import ViewState

    write_site(tmp_path, [ViewState()], geodata)
    page = (tmp_path / "index.html").read_text()
    assert '"scriptUrl":"data/playback.js"' in page and '"url":"data/stories.js"' in page
    stories = (tmp_path / "data" / "stories.js").read_text()
    assert stories.startswith("window.euphratesStories={") and '"marrat"' in stories.lower()
    assert (tmp_path / "data" / "playback.js").read_text().startswith("window.euphratesPlaybackData=")


def test_scripts_are_named_by_content_and_old_versions_pruned(tmp_path):
    from euphrates.playback import KEEP_SCRIPTS, write_script

    names = [write_script("stories", f"window.x={number};", tmp_path) for number in range(KEEP_SCRIPTS + 3)]
    assert write_script("stories", "window.x=0;", tmp_path) == names[0]  # same content, same name
    assert len(set(names)) == KEEP_SCRIPTS + 3
    assert len(list(tmp_path.glob("stories-*.js"))) <= KEEP_SCRIPTS + 1
    assert (tmp_path / names[-1]).read_text() == f"window.x={KEEP_SCRIPTS + 2};"
    assert not list(tmp_path.glob("*.partial"))
