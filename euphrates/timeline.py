"""The state of the map on a given day: who holds each town, which control areas apply, which events happened."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Mapping, Sequence

import geopandas as gpd

from euphrates.geodata import GeoData
from euphrates.schema import ControlEntry

DATA_START = date(2016, 6, 1)
DATA_END = date(2017, 12, 31)
DEFAULT_DATE = date(2017, 10, 19)

# Named days a user can jump to; each is a turn of the story told by the sources in geodata/.
KEY_DATES: tuple[tuple[date, str], ...] = (
    (date(2016, 6, 1), "SDF offensive on Manbij under way"),
    (date(2016, 8, 12), "SDF take Manbij"),
    (date(2016, 8, 24), "Turkey's Euphrates Shield takes Jarabulus"),
    (date(2017, 5, 10), "SDF take Tabqa and its dam"),
    (date(2017, 6, 6), "Battle of Raqqa begins"),
    (date(2017, 9, 5), "Siege of Deir ez-Zor broken"),
    (date(2017, 9, 18), "Government crosses the Euphrates"),
    (date(2017, 10, 14), "Government takes Mayadeen"),
    (date(2017, 10, 17), "SDF take Raqqa"),
    (date(2017, 10, 19), "The article's day"),
    (date(2017, 11, 3), "Deir ez-Zor city and Al-Qaim taken"),
    (date(2017, 11, 19), "Government retakes Bukamal"),
    (date(2017, 12, 31), "End of 2017"),
)


@dataclass(frozen=True)
class PlaceState:
    """A place's control on one day: the entry in force and since when."""

    state: str
    controller: str | None
    factions: tuple[str, ...]
    since: date
    entry: ControlEntry


def entry_on(history: Sequence[ControlEntry], day: date) -> ControlEntry | None:
    """The history entry in force on `day` (entries are sorted; each holds until the next starts)."""
    current = None
    for entry in history:
        if entry.from_ > day:
            break
        current = entry
    return current


def place_state_on(history: Sequence[ControlEntry], day: date) -> PlaceState | None:
    entry = entry_on(history, day)
    if entry is None:
        return None
    factions = tuple(entry.factions) or ((entry.controller,) if entry.controller else ())
    return PlaceState(entry.state, entry.controller, factions, entry.from_, entry)


def state_words(state: PlaceState | None, factions: Mapping[str, object]) -> str:
    """How a place was held, in words: "held by SDF", "contested: held by ISIS, fought over with SDF"…
    `factions` maps ids to objects with a `short_name`."""
    if state is None:
        return "control not tracked"
    name = lambda faction_id: factions[faction_id].short_name if faction_id in factions else faction_id
    others = [name(f) for f in state.factions if f != state.controller]
    if state.state == "contested":
        return f"contested: held by {name(state.controller)}, fought over with {', '.join(others)}"
    if state.state == "besieged":
        return f"besieged: held by {name(state.controller)}, besieged by {', '.join(others)}"
    if state.state == "mixed":
        return f"mixed control: {', '.join(name(f) for f in state.factions)}"
    return f"held by {name(state.controller)}"


def town_states_on(geodata: GeoData, day: date) -> dict[str, PlaceState | None]:
    towns = geodata.layer("towns")
    if towns is None:
        return {}
    return {town.id: place_state_on(town.control, day) for town in towns.records}


def town_control_on(geodata: GeoData, day: date) -> dict[str, str | None]:
    """Town id → the faction controlling it on `day` (None where unknown or not tracked)."""
    return {town_id: (state.controller if state else None) for town_id, state in town_states_on(geodata, day).items()}


def control_areas_on(geodata: GeoData, day: date, grounds: tuple[str, ...] = ("near", "far")) -> gpd.GeoDataFrame:
    """The approximate control polygons valid on `day`: per faction, its ground near sourced places ("near")
    and the hinterland tinted for it ("far"), as asked."""
    layer = geodata.layer("control_areas")
    if layer is None:
        return _empty_frame()
    keep = [area.ground in grounds and area.valid_from <= day and (area.valid_to is None or day <= area.valid_to)
            for area in layer.records]
    return layer.frame[keep]


def events_until(geodata: GeoData, day: date, since: date | None = None) -> gpd.GeoDataFrame:
    """Events dated on or before `day` (and on or after `since`, if given), oldest first."""
    layer = geodata.layer("events")
    if layer is None:
        return _empty_frame()
    keep = [event.date <= day and (since is None or event.date >= since) for event in layer.records]
    return layer.frame[keep].sort_values("date", kind="stable")


def _empty_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs="EPSG:4326")
