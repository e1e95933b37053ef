"""Comparing two days: `euphrates.compare` and `python -m euphrates diff` against the towns' own histories."""
from __future__ import annotations

import json
from datetime import date

import pytest

from euphrates.compare import diff_report, ground_changes, place_changes
from euphrates.geodata import load_geodata
from euphrates.timeline import town_control_on
from test_cli import run_cli

SEED_TOWNS = ("raqqa", "tabqa", "manbij", "mayadeen", "deir-ez-zor", "bukamal", "qaim")


@pytest.fixture(scope="module")
def geodata():
    return load_geodata()


@pytest.fixture(scope="module")
def report() -> dict:
    result = run_cli("diff", "--from", "2017-06-01", "--to", "2017-12-31")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_diff_agrees_with_control_for_the_seed_towns(report):
    def control(day: str) -> dict:
        result = run_cli("control", "--date", day)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    before, after = control("2017-06-01"), control("2017-12-31")
    listed = {place["id"]: place for place in report["places"] if place["layer"] == "towns"}
    for town in SEED_TOWNS:
        if town in listed:
            assert listed[town]["from"]["controller"] == before[town]
            assert listed[town]["to"]["controller"] == after[town]
        else:  # a town left out held still
            assert before[town] == after[town], town
    # The story of the seed: Raqqa to the SDF, Mayadeen and Deir ez-Zor to the government, Al-Qaim to Iraq.
    assert listed["raqqa"]["to"]["controller"] == "sdf"
    assert listed["mayadeen"]["changes"][-1]["to"]["controller"] == "government"
    assert listed["qaim"]["to"]["controller"] == "iraq"


def test_every_change_has_a_date_inside_the_span_and_a_source(report):
    assert len(report["places"]) > 20
    for place in report["places"]:
        assert place["changes"], place["id"]
        for change in place["changes"]:
            assert "2017-06-01" < change["date"] <= "2017-12-31"
            assert change["from"] != change["to"]
            assert change["sources"] and all(source["publication"] for source in change["sources"])


def test_ground_gained_and_lost_follow_the_campaigns(report):
    ground = report["ground_km2"]
    assert ground["isis"]["lost"] > 1000 and ground["isis"]["gained"] == 0
    assert ground["sdf"]["gained"] > 500
    assert ground["government"]["gained"] > 500


def test_the_span_reads_either_way_and_mayadeen_changes_once(geodata):
    forward = place_changes(geodata, date(2017, 6, 1), date(2017, 12, 31))
    backward = place_changes(geodata, date(2017, 12, 31), date(2017, 6, 1))
    assert [place.id for place in forward] == [place.id for place in backward]
    mayadeen = next(place for place in forward if place.id == "mayadeen")
    assert mayadeen.start.controller == "isis" and mayadeen.end.controller == "government"
    # Mayadeen held still in November: a span after its capture leaves it out.
    assert "mayadeen" not in {place.id for place in place_changes(geodata, date(2017, 11, 1), date(2017, 11, 20))}


def test_same_day_compares_to_nothing(geodata):
    day = date(2017, 10, 19)
    assert place_changes(geodata, day, day) == []
    assert all(change.gained_km2 == 0 and change.lost_km2 == 0 for change in ground_changes(geodata, day, day))
    assert diff_report(geodata, day, day)["places"] == []


def test_towns_in_the_report_match_the_timeline(geodata):
    start, end = date(2016, 7, 1), date(2017, 3, 1)
    before, after = town_control_on(geodata, start), town_control_on(geodata, end)
    changed = {place.id for place in place_changes(geodata, start, end) if place.layer == "towns"}
    for town, holder in after.items():
        if before[town] != holder:
            assert town in changed, town


@pytest.mark.parametrize("args, message", [
    (("--from", "2017-12-31", "--to", "2017-06-01"), "is before --from"),
    (("--from", "2015-01-01", "--to", "2017-06-01"), "outside the data"),
    (("--from", "2017-06-01",), "required"),
])
def test_bad_spans_exit_2_with_a_message(args, message):
    result = run_cli("diff", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
