"""Figures for the analysis pages: each faction's area over time and the race down the Euphrates.

Areas are measured in an equal-area projection and distances on the WGS84 ellipsoid, never in degrees.
Areas and distances count only the ground near sourced places, not the pale hinterland. Control areas cover Syria
and Anbar up the Euphrates to Hit; `distance_km_to(..., ground="towns")` gives the distance to the nearest town a
faction held instead.
"""
from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Literal

import pandas as pd
import shapely
from pyproj import CRS, Geod, Transformer
from shapely.geometry.base import BaseGeometry

from euphrates.geodata import GeoData
from euphrates.schema import TownProps
from euphrates.timeline import DATA_END, DATA_START, control_areas_on, events_until, town_states_on

# Lambert azimuthal equal-area centred on Syria: areas are exact by construction, and shapes stay close to
# true within the ~800 km of the country, unlike a world-wide equal-area CRS such as EPSG:6933.
EQUAL_AREA_CRS = "+proj=laea +lat_0=35 +lon_0=38.5 +datum=WGS84 +units=m +no_defs"
WGS84 = Geod(ellps="WGS84")
# Polygon edges are straight in lon/lat, and some run for degrees across the desert; cut them into pieces of
# this many degrees so they keep their drawn course once projected.
DENSIFY_DEGREES = 0.05

RACE_TARGETS = ("mayadeen", "bukamal", "qaim")
RACE_FACTIONS = ("sdf", "government")

METHOD_NOTE = (
    "Distance is the geodesic distance (WGS84 ellipsoid) from the town to the nearest point of the faction's "
    "approximate control area that day, 0 when the town lies inside it. Control areas cover Syria only and "
    "are a schematic of who held which places, not front lines, so the distance to Al-Qaim, in Iraq, never falls to 0."
)

Ground = Literal["area", "towns"]


def geodesic_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """The shortest distance on the WGS84 ellipsoid, in km."""
    _, _, metres = WGS84.inv(lon1, lat1, lon2, lat2)
    return metres / 1000.0


def area_km2_by_faction(geodata: GeoData, day: date) -> dict[str, float]:
    """Faction id → km² of its control area valid on `day`; factions with no area are left out."""
    areas = control_areas_on(geodata, day, grounds=("near",))
    totals: dict[str, float] = {}
    for faction, geometry in zip(areas["faction"], areas.geometry):
        totals[faction] = totals.get(faction, 0.0) + _area_km2(geometry)
    return {faction: km2 for faction, km2 in totals.items() if km2 > 0}


def _area_km2(geometry: BaseGeometry) -> float:
    projected = shapely.transform(_densified(geometry), _to_equal_area().transform, interleaved=False)
    return projected.area / 1e6


@lru_cache(maxsize=1)
def _to_equal_area() -> Transformer:
    return Transformer.from_crs("EPSG:4326", EQUAL_AREA_CRS, always_xy=True)


def _densified(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.segmentize(geometry, DENSIFY_DEGREES)


def area_series(geodata: GeoData, start: date = DATA_START, end: date = DATA_END) -> pd.DataFrame:
    """Columns date, faction, km2: every faction at `start`, `end` and each date the control areas change.

    A faction with no area on a date gets km2 0, so a step chart drops to zero rather than skipping the gap.
    Rows are sorted by date, then faction. Dates are `datetime.date`.
    """
    per_date = {day: area_km2_by_faction(geodata, day) for day in _area_change_dates(geodata, start, end)}
    factions = sorted({faction for areas in per_date.values() for faction in areas})
    rows = [{"date": day, "faction": faction, "km2": areas.get(faction, 0.0)}
            for day, areas in per_date.items() for faction in factions]
    return pd.DataFrame(rows, columns=["date", "faction", "km2"])


def _area_change_dates(geodata: GeoData, start: date, end: date) -> list[date]:
    """`start`, `end`, and each day in between when an area starts or ends (the day after its last)."""
    layer = geodata.layer("control_areas")
    days = {start, end}
    for area in layer.records if layer else []:
        days.add(area.valid_from)
        if area.valid_to is not None:
            days.add(area.valid_to + timedelta(days=1))
    return sorted(day for day in days if start <= day <= end)


def distance_km_to(geodata: GeoData, faction: str, town_id: str, day: date,
                   ground: Ground = "area") -> float | None:
    """Geodesic km from the faction's nearest held ground on `day` to the town; None if it held none.

    ground="area": the nearest point of its control area (0 if the town is inside). Control areas cover Syria
    only. ground="towns": the nearest town it controlled that day (0 if it controlled this one).
    """
    lon, lat = _town_lon_lat(geodata, town_id)
    if ground == "area":
        return _distance_to_area_km(geodata, faction, lon, lat, day)
    if ground == "towns":
        return _distance_to_held_town_km(geodata, faction, lon, lat, day)
    raise ValueError(f"ground must be 'area' or 'towns', not {ground!r}")


def _town_lon_lat(geodata: GeoData, town_id: str) -> tuple[float, float]:
    towns = geodata.layer("towns")
    matches = towns.frame.geometry[towns.frame["id"] == town_id] if towns else []
    if len(matches) == 0:
        raise ValueError(f"unknown town id {town_id!r}")
    point = matches.iloc[0]
    return float(point.x), float(point.y)


def _distance_to_area_km(geodata: GeoData, faction: str, lon: float, lat: float, day: date) -> float | None:
    areas = control_areas_on(geodata, day, grounds=("near",))
    geometries = areas.geometry[areas["faction"] == faction]
    if len(geometries) == 0:
        return None
    return min(_distance_to_polygon_km(geometry, lon, lat) for geometry in geometries)


# An area stays valid for weeks; race_table asks for it again at every town change in between.
@lru_cache(maxsize=4096)
def _distance_to_polygon_km(geometry: BaseGeometry, lon: float, lat: float) -> float:
    # Azimuthal equidistant centred on the town: the planar distance from the origin to any projected point
    # is its geodesic distance from the town, so the nearest projected point gives the exact figure.
    projected = shapely.transform(_densified(geometry), _to_town_centred(lon, lat).transform, interleaved=False)
    return projected.distance(shapely.Point(0, 0)) / 1000.0


@lru_cache(maxsize=256)
def _to_town_centred(lon: float, lat: float) -> Transformer:
    crs = CRS.from_proj4(f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs")
    return Transformer.from_crs("EPSG:4326", crs, always_xy=True)


def _distance_to_held_town_km(geodata: GeoData, faction: str, lon: float, lat: float, day: date) -> float | None:
    held = [town_id for town_id, state in town_states_on(geodata, day).items()
            if state is not None and state.controller == faction]
    if not held:
        return None
    return min(geodesic_km(lon, lat, *_town_lon_lat(geodata, town_id)) for town_id in held)


def race_table(geodata: GeoData, start: date = DATA_START, end: date = DATA_END) -> pd.DataFrame:
    """Columns date, faction, target, km (NaN when unknown): RACE_FACTIONS × RACE_TARGETS, at `start`, `end`
    and each date the control areas or a target town's control change. Sorted by date, faction, target."""
    targets = _race_targets(geodata)
    rows = [{"date": day, "faction": faction, "target": target, "km": _race_km(geodata, faction, target, day, targets)}
            for day in _race_dates(geodata, start, end, targets)
            for faction in RACE_FACTIONS for target in RACE_TARGETS]
    return pd.DataFrame(rows, columns=["date", "faction", "target", "km"])


def _race_targets(geodata: GeoData) -> list[TownProps]:
    """The target towns present in the towns layer (a trimmed geodata folder may lack some)."""
    towns = geodata.layer("towns")
    return [town for town in (towns.records if towns else []) if town.id in RACE_TARGETS]


def _race_dates(geodata: GeoData, start: date, end: date, targets: list[TownProps]) -> list[date]:
    town_days = {entry.from_ for town in targets for entry in town.control if start <= entry.from_ <= end}
    return sorted(set(_area_change_dates(geodata, start, end)) | town_days)


def _race_km(geodata: GeoData, faction: str, target: str, day: date, targets: list[TownProps]) -> float:
    if target not in {town.id for town in targets}:
        return float("nan")
    km = distance_km_to(geodata, faction, target, day)
    return float("nan") if km is None else km


def state_on(geodata: GeoData, day: date) -> dict:
    """The whole state on `day` as plain JSON-able data (towns' control, areas in km², events so far)."""
    towns = {
        town_id: None if state is None else {
            "controller": state.controller,
            "state": state.state,
            "factions": list(state.factions),
            "since": state.since.isoformat(),
        }
        for town_id, state in town_states_on(geodata, day).items()
    }
    areas = {faction: round(km2, 1) for faction, km2 in area_km2_by_faction(geodata, day).items()}
    events = [str(event_id) for event_id in events_until(geodata, day).get("id", [])]
    return {"date": day.isoformat(), "towns": towns, "areas_km2": areas, "events": events}
