"""Contact zones: where the ground of two sides meets on a day. The control areas' edge between two factions is
drawn where the nearest sourced places meet, not where a front ran, so the map marks a band on both sides of it
instead of a line it cannot vouch for."""
from __future__ import annotations

import itertools
from datetime import date

import geopandas as gpd
import shapely

from euphrates.geodata import GeoData
from euphrates.timeline import control_areas_on

METRIC_CRS = "EPSG:32637"  # UTM 37N, as the build uses
TOUCH_METRES = 1_000        # two sides' ground this close counts as meeting
HALF_WIDTH_METRES = 1_500   # the band reaches this far into each side's ground
SIMPLIFY_METRES = 500
MIN_BAND_KM2 = 0.5


def contact_zones(geodata: GeoData, day: date) -> gpd.GeoDataFrame:
    """One row per pair of factions whose ground near sourced places meets on `day`: `factions` (the two ids,
    sorted), `km2`, and the band (lon/lat) of ground within HALF_WIDTH_METRES of both."""
    areas = control_areas_on(geodata, day, grounds=("near",))
    rows = []
    if not areas.empty:
        metric = areas.to_crs(METRIC_CRS)
        ground = {faction: shapely.union_all(list(metric.geometry[metric["faction"] == faction]))
                  .simplify(SIMPLIFY_METRES) for faction in sorted(set(metric["faction"]))}
        reach = {faction: area.buffer(HALF_WIDTH_METRES, quad_segs=2) for faction, area in ground.items()}
        for first, second in itertools.combinations(sorted(ground), 2):
            if ground[first].distance(ground[second]) > TOUCH_METRES:
                continue
            band = reach[first].intersection(reach[second]).simplify(SIMPLIFY_METRES)
            if band.area / 1e6 >= MIN_BAND_KM2:
                rows.append({"factions": (first, second), "km2": round(band.area / 1e6, 1), "geometry": band})
    frame = gpd.GeoDataFrame(rows, columns=["factions", "km2", "geometry"], geometry="geometry", crs=METRIC_CRS)
    return frame.to_crs("EPSG:4326")
