"""Control on a date, checked against the seed article's story (dates sourced in geodata/src/)."""
from __future__ import annotations

from datetime import date

import pytest

from euphrates.geodata import load_geodata
from euphrates.timeline import (DATA_END, DATA_START, control_areas_on, entry_on, events_until, place_state_on,
                                town_control_on, town_states_on)

# (day, town, controller): the turns the article and its context name.
SEED_CONTROL = [
    ("2016-06-01", "manbij", "isis"),
    ("2016-08-20", "manbij", "sdf"),
    ("2017-05-01", "tabqa", "isis"),
    ("2017-05-12", "tabqa", "sdf"),
    ("2017-06-01", "raqqa", "isis"),
    ("2017-10-16", "raqqa", "isis"),
    ("2017-10-19", "raqqa", "sdf"),
    ("2017-10-13", "mayadeen", "isis"),
    ("2017-10-15", "mayadeen", "government"),
    ("2016-06-01", "deir-ez-zor", "government"),
    ("2017-11-04", "deir-ez-zor", "government"),
    ("2017-10-19", "bukamal", "isis"),
    ("2017-11-20", "bukamal", "government"),
    ("2017-10-19", "qaim", "isis"),
    ("2017-11-04", "qaim", "iraq"),
    ("2017-10-19", "damascus", "government"),
]


@pytest.mark.parametrize("day, town, controller", SEED_CONTROL)
def test_bundled_control_on_seed_dates(day, town, controller):
    assert town_control_on(load_geodata(), date.fromisoformat(day))[town] == controller


def test_states_on_seed_dates():
    geodata = load_geodata()
    before_siege_broken = town_states_on(geodata, date(2017, 9, 1))["deir-ez-zor"]
    assert before_siege_broken.state == "besieged"
    assert set(before_siege_broken.factions) == {"government", "isis"}
    during_battle = town_states_on(geodata, date(2017, 8, 1))["raqqa"]
    assert (during_battle.state, during_battle.controller) == ("contested", "isis")
    assert "sdf" in during_battle.factions


def test_every_theatre_town_is_known_every_day_of_the_data():
    geodata = load_geodata()
    theatre = [town.id for town in geodata.layer("towns").records if town.role == "theatre"]
    for day in (DATA_START, date(2017, 1, 1), date(2017, 10, 19), DATA_END):
        control = town_control_on(geodata, day)
        unknown = [town for town in theatre if control[town] is None]
        assert unknown == [], (day, unknown)


def test_entry_on_picks_the_entry_in_force(small_geodata):
    raqqa = load_geodata(small_geodata).layer("towns").by_id()["raqqa"]
    assert entry_on(raqqa.control, date(2013, 1, 1)) is None
    assert entry_on(raqqa.control, date(2017, 6, 5)).state == "held"
    assert entry_on(raqqa.control, date(2017, 6, 6)).state == "contested"
    assert entry_on(raqqa.control, date(2017, 10, 17)).controller == "sdf"
    state = place_state_on(raqqa.control, date(2017, 7, 1))
    assert (state.state, state.controller, state.factions, state.since) == ("contested", "isis", ("isis", "sdf"),
                                                                           date(2017, 6, 6))


def test_control_areas_and_events_follow_the_date(small_geodata):
    geodata = load_geodata(small_geodata)
    assert list(control_areas_on(geodata, date(2017, 10, 16))["faction"]) == ["isis"]
    assert list(control_areas_on(geodata, date(2017, 10, 17))["faction"]) == ["sdf"]
    assert events_until(geodata, date(2017, 10, 16)).empty
    assert list(events_until(geodata, date(2017, 10, 17))["id"]) == ["raqqa-captured"]


def test_bundled_control_areas_give_one_area_per_faction_and_ground_each_day():
    geodata = load_geodata()
    for day in (DATA_START, date(2017, 9, 18), date(2017, 10, 19), DATA_END):
        areas = control_areas_on(geodata, day)
        assert not areas.empty
        assert not areas.duplicated(["faction", "ground"]).any(), day
        assert set(control_areas_on(geodata, day, grounds=("near",))["ground"]) == {"near"}


# (day, town, state, controller, factions): the states the reference maps show.
SEED_STATES = [
    ("2016-07-01", "manbij", "contested", "isis", {"isis", "sdf"}),
    ("2016-08-20", "manbij", "held", "sdf", {"sdf"}),
    ("2017-04-15", "tabqa", "contested", "isis", {"isis", "sdf"}),
    ("2017-09-01", "deir-ez-zor", "besieged", "government", {"government", "isis"}),
    ("2017-11-04", "deir-ez-zor", "held", "government", {"government"}),
    ("2017-08-01", "raqqa", "contested", "isis", {"isis", "sdf"}),
    ("2017-11-09", "bukamal", "held", "government", {"government"}),   # first change of hands
    ("2017-11-12", "bukamal", "held", "isis", {"isis"}),               # ISIS back in
    ("2017-11-20", "bukamal", "held", "government", {"government"}),   # second change of hands
    ("2017-10-19", "hasakah", "mixed", "sdf", {"sdf", "government"}),
]


@pytest.mark.parametrize("day, town, state, controller, factions", SEED_STATES)
def test_bundled_states_on_seed_dates(day, town, state, controller, factions):
    found = town_states_on(load_geodata(), date.fromisoformat(day))[town]
    assert (found.state, found.controller, set(found.factions)) == (state, controller, factions)
