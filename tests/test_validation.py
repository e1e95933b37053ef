"""The validator: a good folder loads clean; each kind of breakage is reported with file, feature and problem,
and only the broken layer is skipped."""
from __future__ import annotations

import copy
import json

import pytest

from conftest import SMALL_LAYERS, write_layer
from euphrates.geodata import LAYERS, load_geodata


def test_small_geodata_loads_without_problems(small_geodata):
    geodata = load_geodata(small_geodata)
    assert geodata.problems == []
    assert set(geodata.layers) == {spec.name for spec in LAYERS}
    assert len(geodata.layer("towns")) == 2
    assert geodata.layer("towns").frame.crs.to_epsg() == 4326


def _break_town(mutate):
    towns = copy.deepcopy(SMALL_LAYERS["towns"])
    mutate(towns)
    return towns


def _set(path, value):
    def mutate(features):
        target = features[0]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return mutate


BROKEN_TOWNS = {
    "missing geometry": (_set(["geometry"], None), "geometry is missing"),
    "lat/lon swapped": (_set(["geometry", "coordinates"], [35.95, 39.0]), "lon/lat swapped?"),
    "latitude out of range": (_set(["geometry", "coordinates"], [39.0, 135.95]), "out of range"),
    "wrong geometry type": (_set(["geometry"], {"type": "LineString", "coordinates": [[39, 35], [40, 35]]}),
                            "this layer takes Point"),
    "unknown faction": (_set(["properties", "control", 0, "controller"], "martians"), "martians"),
    "bad date": (_set(["properties", "control", 0, "from"], "13/01/2014"), "ISO date"),
    "impossible date": (_set(["properties", "control", 0, "from"], "2017-02-30"), "ISO date"),
    "unsorted history": (_set(["properties", "control", 2, "from"], "2015-01-01"), "not sorted"),
    "bad state": (_set(["properties", "control", 1, "state"], "occupied"), "state"),
    "contested with one faction": (_set(["properties", "control", 1, "factions"], ["isis"]), "at least two"),
    "missing sources": (_set(["properties", "control", 0, "sources"], []), "sources"),
    "bad id": (_set(["properties", "id"], "Raqqa City"), "id"),
    "not a feature": (lambda features: features.__setitem__(0, [1, 2]), "not a GeoJSON Feature"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_TOWNS))
def test_broken_town_is_reported_and_only_its_layer_skipped(small_geodata, case):
    mutate, expected = BROKEN_TOWNS[case]
    write_layer(small_geodata, "towns", _break_town(mutate))
    geodata = load_geodata(small_geodata)
    assert "towns" not in geodata.layers
    assert {"events", "control_areas", "sites", "countries"} <= set(geodata.layers)
    messages = [str(problem) for problem in geodata.problems]
    assert any(expected in message for message in messages), messages
    assert all(message.startswith("geodata/towns.geojson: feature 0") for message in messages), messages


def test_duplicate_id_names_both_features(small_geodata):
    towns = copy.deepcopy(SMALL_LAYERS["towns"])
    towns[1]["properties"]["id"] = "raqqa"
    write_layer(small_geodata, "towns", towns)
    problems = [str(problem) for problem in load_geodata(small_geodata).problems]
    assert problems == ["geodata/towns.geojson: feature 1 (id 'raqqa'): duplicate id (also feature 0)"]


def test_self_crossing_polygon_is_invalid(small_geodata):
    areas = copy.deepcopy(SMALL_LAYERS["control_areas"])
    areas[0]["geometry"]["coordinates"] = [[[38.5, 35.5], [39.5, 36.5], [39.5, 35.5], [38.5, 36.5], [38.5, 35.5]]]
    write_layer(small_geodata, "control_areas", areas)
    geodata = load_geodata(small_geodata)
    assert "control_areas" not in geodata.layers and "towns" in geodata.layers
    (problem,) = geodata.problems
    assert str(problem).startswith("geodata/control_areas.geojson: feature 0 (id 'isis-2016-06-01'): geometry is invalid")
    assert "Self-intersection" in str(problem)


@pytest.mark.parametrize("content, expected", [
    ("", "file is empty"),
    ("{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
    ("[]", "top level is not a GeoJSON FeatureCollection"),
    ('{"type": "FeatureCollection", "features": {}}', "'features' is not a list"),
])
def test_unreadable_file_is_reported(small_geodata, content, expected):
    (small_geodata / "events.geojson").write_text(content)
    geodata = load_geodata(small_geodata)
    assert [str(problem) for problem in geodata.problems] == [f"geodata/events.geojson: {expected}"]
    assert "events" not in geodata.layers and "towns" in geodata.layers


def test_missing_file_is_reported(small_geodata):
    (small_geodata / "sites.geojson").unlink()
    geodata = load_geodata(small_geodata)
    assert [str(problem) for problem in geodata.problems] == ["geodata/sites.geojson: file not found"]


def test_route_naming_unknown_town_is_reported(small_geodata):
    routes = copy.deepcopy(SMALL_LAYERS["routes"])
    routes[0]["properties"]["via"] = ["raqqa", "atlantis"]
    write_layer(small_geodata, "routes", routes)
    problems = [str(problem) for problem in load_geodata(small_geodata).problems]
    assert problems == ["geodata/routes.geojson: feature 0 (id 'advance'): via names unknown town(s): atlantis"]


def test_reload_sees_a_changed_file(small_geodata):
    assert load_geodata(small_geodata).ok
    (small_geodata / "towns.geojson").write_text("{}")
    assert not load_geodata(small_geodata).ok


def test_bundled_geodata_is_valid():
    geodata = load_geodata()
    assert [str(problem) for problem in geodata.problems] == []
    for name in ("towns", "events", "sites", "routes", "control_areas", "rivers", "countries", "deconfliction"):
        assert len(geodata.layer(name)) > 0, name


def test_every_bundled_feature_carries_sources_and_approximate_flag():
    geodata = load_geodata()
    for name in ("towns", "events", "sites", "routes", "control_areas", "deconfliction"):
        for record in geodata.layer(name).records:
            sources = list(record.sources) + [s for entry in getattr(record, "control", []) for s in entry.sources]
            assert sources, f"{name}/{record.id} has no sources"
            assert isinstance(record.approximate, bool)


def test_factions_registry_has_the_required_ids_and_distinct_colours():
    factions = load_geodata().factions
    assert {"sdf", "government", "isis", "iraq", "turkey"} <= set(factions)
    colours = [faction.color.lower() for faction in factions.values()]
    assert len(set(colours)) == len(colours)


def test_geojson_files_are_diffable_one_feature_per_line():
    from conftest import GEODATA

    for spec in LAYERS:
        text = (GEODATA / spec.filename).read_text(encoding="utf-8")
        data = json.loads(text)
        assert text.count("\n") >= len(data["features"]), spec.filename
