"""Contact zones: where the ground of two sides meets on a day. The control areas' edge between two factions is
drawn where the nearest sourced places meet, not where a front ran, so the map marks a band on both sides of it
instead of a line it cannot vouch for."""
from __future__ import annotations

import itertools
from datetime import date

import geopandas as gpd
import shapely

from euphrates.bounded_cache import BoundedCache
from euphrates.geodata import GeoData
from euphrates.timeline import control_areas_on

METRIC_CRS = "EPSG:32637"  # UTM 37N, as the build uses
TOUCH_METRES = 1_000        # two sides' ground this close counts as meeting
HALF_WIDTH_METRES = 1_500   # the band reaches this far into each side's ground
SIMPLIFY_METRES = 500
MIN_BAND_KM2 = 0.5


def contact_zones(geodata: GeoData, day: date) -> gpd.GeoDataFrame:
    """One row per pair of factions whose ground near sourced places meets on `day`: `factions` (the two ids,
    sorted), `km2`, and the band (lon/lat) of ground within HALF_WIDTH_METRES of both.

    A faction's ground, and the band of two, are kept per version of their areas: a day on which one faction's
    area changes computes only that faction's ground and its bands."""
    areas = control_areas_on(geodata, day, grounds=("near",))
    rows = []
    if not areas.empty:
        versions, grounds = {}, {}
        for faction, held in areas.groupby("faction"):
            versions[faction] = (geodata.version, faction, tuple(sorted(held["id"])))
            grounds[faction] = _cache.get(versions[faction], lambda held=held: _ground(held))
        for first, second in itertools.combinations(sorted(versions), 2):
            band = _cache.get((versions[first], versions[second]),
                              lambda first=first, second=second: _band(grounds[first], grounds[second]))
            if band is not None:
                rows.append({"factions": (first, second), "km2": round(band.area / 1e6, 1), "geometry": band})
    frame = gpd.GeoDataFrame(rows, columns=["factions", "km2", "geometry"], geometry="geometry", crs=METRIC_CRS)
    return frame.to_crs("EPSG:4326")


def _ground(rows: gpd.GeoDataFrame) -> tuple:
    """A faction's near ground (metric, simplified) and its reach: the ground HALF_WIDTH_METRES around it."""
    parts = list(rows.to_crs(METRIC_CRS).geometry)
    # One version per faction and ground, already one dissolved area: its union was a third of the time here.
    ground = (parts[0] if len(parts) == 1 else shapely.union_all(parts)).simplify(SIMPLIFY_METRES)
    return ground, ground.buffer(HALF_WIDTH_METRES, quad_segs=2)


def _band(first: tuple, second: tuple):
    """The contact zone of two grounds (see `_ground`), or None where they do not meet."""
    (ground_a, reach_a), (ground_b, reach_b) = first, second
    if ground_a.distance(ground_b) > TOUCH_METRES:
        return None
    band = reach_a.intersection(reach_b).simplify(SIMPLIFY_METRES)
    return band if band.area / 1e6 >= MIN_BAND_KM2 else None


# Grounds and bands: a ground is up to a few hundred KB of coordinates.
_cache: BoundedCache = BoundedCache(max_entries=64)
