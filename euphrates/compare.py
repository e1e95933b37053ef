"""What changed between two days: the places that changed hands, with the date and sources of each change, and
the ground each faction gained and lost (near ground only, in km², measured like `analysis`)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from euphrates.analysis import _area_km2
from euphrates.geodata import GeoData
from euphrates.schema import ControlEntry
from euphrates.timeline import control_areas_on, entry_on

# Place layers whose features carry a dated control history, in the order the table lists them.
PLACE_LAYERS = ("towns", "localities", "sites")
LAYER_WORDS = {"towns": "town", "localities": "village or district", "sites": "field, dam or base"}
# Ground gained or lost below this is the rounding between two versions of an area, not a change.
MIN_CHANGE_KM2 = 0.5
# Hatch lines of ground gained: about 2.5 km apart, so a village's worth of ground still shows a line or two.
HATCH_SPACING_DEGREES = 0.025


@dataclass(frozen=True)
class Holding:
    controller: str | None
    state: str

    @classmethod
    def of(cls, entry: ControlEntry | None) -> Holding:
        return cls(None, "unknown") if entry is None else cls(entry.controller, entry.state)

    def as_dict(self) -> dict:
        return {"controller": self.controller, "state": self.state}


@dataclass(frozen=True)
class Change:
    """One entry of a history that took effect in the compared span."""

    date: date
    before: Holding
    after: Holding
    approximate: bool
    note: str | None
    sources: tuple[dict, ...]


@dataclass(frozen=True)
class PlaceChanges:
    layer: str
    id: str
    name: str
    lon: float
    lat: float
    start: Holding
    end: Holding
    changes: tuple[Change, ...]

    def as_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "layer": self.layer,
            "from": self.start.as_dict(), "to": self.end.as_dict(),
            "changes": [{"date": change.date.isoformat(), "from": change.before.as_dict(),
                         "to": change.after.as_dict(), "date_approximate": change.approximate,
                         "note": change.note, "sources": list(change.sources)} for change in self.changes],
        }


def place_changes(geodata: GeoData, start: date, end: date) -> list[PlaceChanges]:
    """Every town, locality and site whose controller or state changed after `start`, up to and including
    `end`, with each change; a place that changed and changed back is listed too. Sorted by first change."""
    if end < start:
        start, end = end, start
    found = []
    for layer_name in PLACE_LAYERS:
        layer = geodata.layer(layer_name)
        if layer is None:
            continue
        for record, point in zip(layer.records, layer.frame.geometry):
            changes = _changes_in(record.control, start, end)
            if changes:
                found.append(PlaceChanges(layer_name, record.id, record.name, float(point.x), float(point.y),
                                          Holding.of(entry_on(record.control, start)),
                                          Holding.of(entry_on(record.control, end)), tuple(changes)))
    return sorted(found, key=lambda place: (place.changes[0].date, place.layer, place.name))


def _changes_in(history: list[ControlEntry], start: date, end: date) -> list[Change]:
    changes = []
    for previous, entry in zip([None, *history], history):
        if not start < entry.from_ <= end:
            continue
        before, after = Holding.of(previous), Holding.of(entry)
        if before == after:  # a new source or note for the same holding is not a change of hands
            continue
        changes.append(Change(entry.from_, before, after, entry.date_approximate, entry.note,
                              tuple(source.model_dump(mode="json", exclude_none=True) for source in entry.sources)))
    return changes


def ground_by_faction(geodata: GeoData, day: date) -> dict[str, BaseGeometry]:
    """Faction id → the union of its near ground on `day`."""
    areas = control_areas_on(geodata, day, grounds=("near",))
    merged: dict[str, list[BaseGeometry]] = {}
    for faction, geometry in zip(areas["faction"], areas.geometry):
        merged.setdefault(faction, []).append(geometry)
    return {faction: shapely.union_all(parts) for faction, parts in merged.items()}


@dataclass(frozen=True)
class GroundChange:
    faction: str
    gained: BaseGeometry
    lost: BaseGeometry
    gained_km2: float
    lost_km2: float


def ground_changes(geodata: GeoData, start: date, end: date) -> list[GroundChange]:
    """Per faction, the near ground it held on `end` but not on `start` (gained) and the reverse (lost)."""
    before, after = ground_by_faction(geodata, start), ground_by_faction(geodata, end)
    empty = shapely.Polygon()
    result = []
    for faction in sorted(set(before) | set(after)):
        old, new = before.get(faction, empty), after.get(faction, empty)
        gained, lost = shapely.difference(new, old), shapely.difference(old, new)
        gained_km2, lost_km2 = _area_km2(gained), _area_km2(lost)
        result.append(GroundChange(faction, gained if gained_km2 >= MIN_CHANGE_KM2 else empty,
                                   lost if lost_km2 >= MIN_CHANGE_KM2 else empty,
                                   gained_km2 if gained_km2 >= MIN_CHANGE_KM2 else 0.0,
                                   lost_km2 if lost_km2 >= MIN_CHANGE_KM2 else 0.0))
    return result


def diff_report(geodata: GeoData, start: date, end: date) -> dict:
    """The `diff` command's JSON: the places that changed and the km² each faction gained and lost."""
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "places": [place.as_dict() for place in place_changes(geodata, start, end)],
        "ground_km2": {change.faction: {"gained": round(change.gained_km2, 1), "lost": round(change.lost_km2, 1)}
                       for change in ground_changes(geodata, start, end)},
    }


def hatch_lines(area: BaseGeometry, spacing: float = HATCH_SPACING_DEGREES) -> BaseGeometry:
    """Diagonal lines `spacing` degrees apart across `area`, clipped to it: a hatch drawn as plain lines, which
    Leaflet, the PNG export and the static site all draw without a pattern plugin."""
    if area.is_empty:
        return shapely.MultiLineString()
    west, south, east, north = area.bounds
    height = north - south
    # Lines of slope 1 (south-west to north-east), one every `spacing` along the x axis, wide enough to cross
    # the whole box.
    starts = np.arange(west - height, east + spacing, spacing)
    lines = shapely.linestrings(np.stack([np.stack([starts, np.full_like(starts, south)], axis=1),
                                          np.stack([starts + height, np.full_like(starts, north)], axis=1)],
                                         axis=1))
    return shapely.intersection(shapely.MultiLineString(list(lines)), area)


def change_rows(geodata: GeoData, start: date, end: date, factions: tuple[str, ...] | None = None) -> list[dict]:
    """One row per change of hands in the span, for a table: place, layer, date, before, after (faction names),
    whether the date is approximate, the sources as text and the first source's link. With `factions`, only the
    changes that involve one of them."""
    names = {faction_id: faction.short_name for faction_id, faction in geodata.factions.items()}

    def holder(holding: Holding) -> str:
        name = names.get(holding.controller or "", holding.controller or "no one")
        return name if holding.state == "held" else f"{name} ({holding.state})"

    rows = []
    for place in place_changes(geodata, start, end):
        for change in place.changes:
            involved = {change.before.controller, change.after.controller}
            if factions is not None and not involved & set(factions):
                continue
            rows.append({
                "place": place.name, "layer": LAYER_WORDS[place.layer], "date": change.date,
                "before": holder(change.before), "after": holder(change.after),
                "approximate": change.approximate,
                "sources": "; ".join(", ".join(str(source[key]) for key in ("publication", "date", "title")
                                               if source.get(key)) for source in change.sources),
                "link": next((source["url"] for source in change.sources
                              if str(source.get("url", "")).startswith(("https://", "http://"))), None),
            })
    return sorted(rows, key=lambda row: (row["date"], row["place"]))
