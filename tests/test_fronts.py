"""Contact zones: a band where two sides' ground meets, drawn instead of a front line the data cannot vouch for."""
from __future__ import annotations

from datetime import date

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Point

from euphrates.fronts import HALF_WIDTH_METRES, contact_zones
from euphrates.geodata import load_geodata
from euphrates.mapbuilder import build_map
from euphrates.timeline import control_areas_on
from euphrates.view import ViewState

DAY = date(2017, 10, 19)


@pytest.fixture(scope="module")
def geodata():
    return load_geodata()


def test_zones_lie_where_two_sides_ground_meets(geodata):
    zones = contact_zones(geodata, DAY)
    pairs = set(zones["factions"])
    assert {("government", "isis"), ("government", "sdf"), ("isis", "sdf")} <= pairs
    assert ("iraq", "turkey") not in pairs  # their ground is hundreds of km apart
    near = control_areas_on(geodata, DAY, grounds=("near",)).to_crs("EPSG:32637")
    metric = zones.to_crs("EPSG:32637")
    for (first, second), band in zip(metric["factions"], metric.geometry):
        assert first < second
        for faction in (first, second):
            ground = shapely.union_all(list(near.geometry[near["faction"] == faction]))
            # Every part of the band is within reach of both sides' ground (plus the simplification).
            assert band.difference(ground.buffer(HALF_WIDTH_METRES + 600)).area < 1e5, (first, second, faction)


def test_no_zone_in_the_empty_desert(geodata):
    zones = contact_zones(geodata, DAY)
    assert not any(zone.contains(Point(39.3, 33.6)) for zone in zones.geometry)


def test_a_day_with_no_areas_has_no_zones(small_geodata):
    assert contact_zones(load_geodata(small_geodata), date(2010, 1, 1)).empty


def test_the_map_draws_zones_only_between_the_factions_shown(geodata):
    html = build_map(ViewState(date=DAY), geodata).assemble().get_root().render()
    assert html.count("euphrates-contact") >= 3 and "Contact zone: Government and SDF" in html
    only_sdf = ViewState(date=DAY, factions=("sdf", "isis"))
    html = build_map(only_sdf, geodata).assemble().get_root().render()
    assert "Contact zone: ISIS and SDF" in html and "Government" not in html.split("Contact zone")[1][:40]
    off = ViewState(date=DAY, layers=("control_areas", "towns"))
    assert "euphrates-contact" not in build_map(off, geodata).assemble().get_root().render()


def test_grounds_kept_from_earlier_days_give_the_zones_computed_afresh(monkeypatch):
    """On a day when one faction's area changes, the others' grounds come from the days before."""
    from euphrates import fronts
    from euphrates.bounded_cache import BoundedCache

    geodata = load_geodata()
    day = date(2017, 10, 20)
    monkeypatch.setattr(fronts, "_cache", BoundedCache(64))
    for earlier in (date(2017, 10, 17), date(2017, 10, 18), date(2017, 10, 19)):
        contact_zones(geodata, earlier)
    kept = contact_zones(geodata, day)
    monkeypatch.setattr(fronts, "_cache", BoundedCache(64))
    afresh = contact_zones(geodata, day)
    assert len(kept) == len(afresh) >= 3
    assert list(kept["factions"]) == list(afresh["factions"]) and list(kept["km2"]) == list(afresh["km2"])
    assert all(a.equals_exact(b, 0) for a, b in zip(kept.geometry, afresh.geometry))
