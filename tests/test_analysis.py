"""Areas and race distances, checked against figures worked out by hand (spherical formulas, haversine)."""
from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, timedelta

import numpy as np
import pytest
import shapely
from pyproj import Geod

from conftest import read_features, write_layer
from euphrates.analysis import (RACE_FACTIONS, RACE_TARGETS, area_km2_by_faction, area_series, distance_km_to,
                                geodesic_km, race_table, state_on)
from euphrates.geodata import load_geodata
from euphrates.timeline import control_areas_on, town_control_on
from test_cli import run_cli

SYRIA_KM2 = 185_000
AUTHALIC_RADIUS_KM = 6371.0072


def haversine_km(lon1, lat1, lon2, lat2, radius=6371.0088):
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    h = (math.sin((phi2 - phi1) / 2) ** 2
         + math.cos(phi1) * math.cos(phi2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    return 2 * radius * math.asin(math.sqrt(h))


def town_lon_lat(geodata, town_id):
    point = geodata.layer("towns").frame.set_index("id").geometry[town_id]
    return point.x, point.y


# --- areas -----------------------------------------------------------------------------------------------

def test_one_degree_box_has_the_spherical_area(small_geodata):
    # small_geodata's isis area is the box lon 38.5..39.5, lat 35.5..36.5: on a sphere of Earth's authalic
    # radius its area is R² · Δλ · (sin φ2 − sin φ1) ≈ 10,003 km².
    expected = AUTHALIC_RADIUS_KM ** 2 * math.radians(1) * (math.sin(math.radians(36.5)) - math.sin(math.radians(35.5)))
    areas = area_km2_by_faction(load_geodata(small_geodata), date(2017, 6, 1))
    assert list(areas) == ["isis"]
    assert areas["isis"] == pytest.approx(expected, rel=0.005)
    assert areas["isis"] == pytest.approx(10_004, abs=20)


def test_area_matches_the_ellipsoidal_area_of_a_bundled_polygon():
    geodata = load_geodata()
    areas = control_areas_on(geodata, date(2017, 10, 19))
    sdf = areas.geometry[(areas["faction"] == "sdf") & (areas["ground"] == "near")].iloc[0]  # near: what is counted
    ellipsoidal_km2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(shapely.segmentize(sdf, 0.01))[0]) / 1e6
    assert area_km2_by_faction(geodata, date(2017, 10, 19))["sdf"] == pytest.approx(ellipsoidal_km2, rel=0.001)


def test_factions_without_an_area_are_absent(small_geodata):
    geodata = load_geodata(small_geodata)
    assert set(area_km2_by_faction(geodata, date(2017, 10, 17))) == {"sdf"}
    assert area_km2_by_faction(geodata, date(2010, 1, 1)) == {}


def test_bundled_areas_on_the_article_day():
    """Ground near sourced places only: every faction that held some, far less than Syria (the desert is not
    assigned), the SDF and the government holding the most."""
    areas = area_km2_by_faction(load_geodata(), date(2017, 10, 19))
    assert set(areas) == {"government", "iraq", "isis", "rebels", "sdf", "turkey"}
    assert 10_000 < sum(areas.values()) < SYRIA_KM2 / 2
    assert min(areas["sdf"], areas["government"]) > max(areas["isis"], areas["rebels"], areas["turkey"])


def test_area_series_steps_at_each_change_and_never_double_counts():
    geodata = load_geodata()
    series = area_series(geodata)
    assert list(series.columns) == ["date", "faction", "km2"]
    keys = list(zip(series["date"], series["faction"]))
    assert keys == sorted(keys)
    near = [area for area in geodata.layer("control_areas").records if area.ground == "near"]
    assert {area.valid_from for area in near} <= set(series["date"])
    for day, rows in series.groupby("date"):
        assert rows["km2"].sum() < SYRIA_KM2 / 2, day  # areas do not overlap, so no ground counts twice
        assert len(rows) == series["faction"].nunique()
    turkey = series[series["faction"] == "turkey"].set_index("date")["km2"]
    assert turkey[date(2016, 8, 12)] == 0 and turkey[date(2016, 8, 24)] > 100


def test_area_series_in_a_range_starts_at_start():
    geodata = load_geodata()
    start, end = date(2017, 10, 1), date(2017, 10, 31)
    series = area_series(geodata, start, end)
    changes = set()
    for area in geodata.layer("control_areas").records:
        changes.add(area.valid_from)
        if area.valid_to is not None:
            changes.add(area.valid_to + timedelta(days=1))
    assert sorted(set(series["date"])) == sorted({start, end} | {day for day in changes if start <= day <= end})
    assert date(2017, 10, 17) in set(series["date"])  # Raqqa


# --- distances -------------------------------------------------------------------------------------------

def test_geodesic_km_of_one_degree_of_latitude_at_the_equator():
    assert geodesic_km(0, 0, 0, 1) == pytest.approx(110.574, abs=0.001)


def test_raqqa_to_bukamal_is_about_241_km():
    geodata = load_geodata()
    km = geodesic_km(*town_lon_lat(geodata, "raqqa"), *town_lon_lat(geodata, "bukamal"))
    assert km == pytest.approx(241, abs=3)
    assert km == pytest.approx(haversine_km(*town_lon_lat(geodata, "raqqa"), *town_lon_lat(geodata, "bukamal")),
                               rel=0.005)


def test_town_inside_the_area_is_at_0_and_outside_at_the_nearest_corner(small_geodata):
    geodata = load_geodata(small_geodata)
    assert distance_km_to(geodata, "isis", "raqqa", date(2017, 6, 1)) == 0
    # Mayadeen (40.45E 35.02N) is south-east of the box; its nearest point is the corner 39.5E 35.5N.
    km = distance_km_to(geodata, "isis", "mayadeen", date(2017, 6, 1))
    assert km == pytest.approx(geodesic_km(40.45, 35.02, 39.5, 35.5), abs=0.05)
    assert km == pytest.approx(haversine_km(40.45, 35.02, 39.5, 35.5), rel=0.005)
    assert distance_km_to(geodata, "government", "mayadeen", date(2017, 6, 1)) is None


def test_distance_to_a_bundled_area_is_the_minimum_over_its_boundary():
    geodata = load_geodata()
    day = date(2017, 10, 19)
    areas = control_areas_on(geodata, day, grounds=("near",))
    boundary = shapely.segmentize(areas.geometry[areas["faction"] == "sdf"].iloc[0].boundary, 0.002)
    lons, lats = shapely.get_coordinates(boundary).T
    lon, lat = town_lon_lat(geodata, "bukamal")
    _, _, metres = Geod(ellps="WGS84").inv(np.full_like(lons, lon), np.full_like(lats, lat), lons, lats)
    brute_force_km = metres.min() / 1000
    km = distance_km_to(geodata, "sdf", "bukamal", day)
    assert km <= brute_force_km + 0.001
    assert km == pytest.approx(brute_force_km, abs=0.15)
    assert 90 < km < 110


def test_government_reaches_mayadeen_on_14_october_2017():
    geodata = load_geodata()
    assert town_control_on(geodata, date(2017, 10, 1))["mayadeen"] == "isis"
    assert town_control_on(geodata, date(2017, 10, 14))["mayadeen"] == "government"
    assert distance_km_to(geodata, "government", "mayadeen", date(2017, 10, 1)) > 10
    assert distance_km_to(geodata, "government", "mayadeen", date(2017, 10, 14)) == 0
    assert distance_km_to(geodata, "government", "mayadeen", date(2017, 10, 19)) == 0


def test_iraq_by_its_area_and_by_its_nearest_town():
    geodata = load_geodata()
    day = date(2017, 11, 4)
    assert distance_km_to(geodata, "iraq", "bukamal", day) < 15  # Anbar's areas: Al-Qaim's ground
    qaim_to_bukamal = geodesic_km(*town_lon_lat(geodata, "qaim"), *town_lon_lat(geodata, "bukamal"))
    assert distance_km_to(geodata, "iraq", "bukamal", day, ground="towns") == pytest.approx(qaim_to_bukamal)
    assert qaim_to_bukamal < 15
    assert distance_km_to(geodata, "iraq", "qaim", day, ground="towns") == 0


def test_nearest_held_town(small_geodata):
    geodata = load_geodata(small_geodata)
    assert distance_km_to(geodata, "sdf", "mayadeen", date(2017, 10, 17), ground="towns") == pytest.approx(
        haversine_km(39.0, 35.95, 40.45, 35.02), rel=0.005)
    assert distance_km_to(geodata, "sdf", "mayadeen", date(2017, 10, 16), ground="towns") is None


def test_bad_town_or_ground_raises(small_geodata):
    geodata = load_geodata(small_geodata)
    with pytest.raises(ValueError, match="unknown town"):
        distance_km_to(geodata, "isis", "atlantis", date(2017, 6, 1))
    with pytest.raises(ValueError, match="ground"):
        distance_km_to(geodata, "isis", "raqqa", date(2017, 6, 1), ground="sea")


# --- race table and state ----------------------------------------------------------------------------------

def test_race_table_on_the_bundled_data():
    table = race_table(load_geodata())
    assert list(table.columns) == ["date", "faction", "target", "km"]
    days = list(dict.fromkeys(table["date"]))
    assert days == sorted(days) and len(table) == 6 * len(days)
    assert date(2017, 10, 6) in days  # Mayadeen contested: a town change, not an area change
    km = table.set_index(["date", "faction", "target"])["km"]
    assert km[date(2017, 10, 14), "government", "mayadeen"] == 0
    assert km[date(2017, 10, 1), "government", "mayadeen"] > 10
    assert km[date(2017, 12, 31), "government", "bukamal"] == 0
    assert (table[table["target"] == "qaim"]["km"] > 0).all()  # in Iraq, outside every control area
    assert set(table["faction"]) == set(RACE_FACTIONS) and set(table["target"]) == set(RACE_TARGETS)


def test_race_table_unknowns_are_nan(small_geodata):
    table = race_table(load_geodata(small_geodata)).set_index(["date", "faction", "target"])["km"]
    assert math.isnan(table[date(2016, 6, 1), "sdf", "mayadeen"])
    assert math.isnan(table[date(2017, 10, 17), "government", "mayadeen"])
    assert math.isnan(table[date(2017, 10, 17), "sdf", "bukamal"])  # not in this towns layer
    assert table[date(2017, 10, 17), "sdf", "mayadeen"] == pytest.approx(101.53, abs=0.05)


def test_state_on_is_plain_json(small_geodata):
    state = state_on(load_geodata(small_geodata), date(2017, 10, 17))
    assert json.loads(json.dumps(state)) == state
    assert state["date"] == "2017-10-17"
    assert state["towns"]["raqqa"] == {"controller": "sdf", "state": "held", "factions": ["sdf"],
                                       "since": "2017-10-17"}
    assert state["areas_km2"]["sdf"] == pytest.approx(10_004, abs=20)
    assert state["events"] == ["raqqa-captured"]
    assert state_on(load_geodata(small_geodata), date(2017, 10, 16))["events"] == []


# --- command line ----------------------------------------------------------------------------------------

def test_stats_prints_km2_per_faction():
    result = run_cli("stats", "--date", "2017-10-19")
    assert result.returncode == 0, result.stderr
    areas = json.loads(result.stdout)
    assert set(areas) == {"government", "iraq", "isis", "rebels", "sdf", "turkey"}
    assert all(value == round(value, 1) for value in areas.values())
    assert 10_000 < sum(areas.values()) < SYRIA_KM2 / 2


def test_stats_on_the_small_geodata(small_geodata):
    result = run_cli("stats", "--date", "2017-06-01", "--geodata", str(small_geodata))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"isis": pytest.approx(10_004, abs=20)}


def test_race_prints_csv(small_geodata):
    result = run_cli("race", "--geodata", str(small_geodata))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "date,faction,target,km"
    assert len(lines) == 1 + 4 * 6  # 2016-06-01, Mayadeen taken 2017-10-14, areas change 2017-10-17, end
    assert "2016-06-01,sdf,mayadeen," in lines
    assert "2017-10-17,sdf,mayadeen,101.5" in lines


def test_race_on_the_bundled_data():
    result = run_cli("race")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert {"date": "2017-10-14", "faction": "government", "target": "mayadeen", "km": "0.0"} in rows
    assert all(row["km"] for row in rows)


def test_race_with_a_broken_layer_exits_1(small_geodata):
    features = read_features(small_geodata, "control_areas")
    features[0]["properties"]["faction"] = "martians"
    write_layer(small_geodata, "control_areas", features)
    result = run_cli("race", "--geodata", str(small_geodata))
    assert result.returncode == 1
    assert "martians" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (("stats", "--date", "2017-13-01"), "not a date in the form YYYY-MM-DD"),
    (("stats",), "the following arguments are required: --date"),
    (("race", "--geodata", "/no/such/dir"), "not a directory"),
])
def test_bad_arguments_exit_2(args, message):
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["stats", "race"])
def test_help(command):
    result = run_cli(command, "--help")
    assert result.returncode == 0 and f"usage: python -m euphrates {command}" in result.stdout
