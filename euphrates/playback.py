"""The states the in-map playback needs, sent once: every place's control changes and every version of the
control areas, as days since DATA_START, in one compact script the browser loads when the reader first presses
play (a script, not a fetch, so the static site plays from file:// too)."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from datetime import date
from pathlib import Path

import numpy as np
import shapely

from euphrates.geodata import GeoData
from euphrates.timeline import DATA_END, DATA_START, KEY_DATES

# Areas are drawn coarser while playing than on a still map: about 1 km, written to 3 decimals.
SIMPLIFY_DEGREES = 0.01
STATES = ("held", "contested", "besieged", "mixed")
GLOBAL_NAME = "euphratesPlaybackData"
# Scripts of earlier geodata versions kept beside the newest (servers of several versions may share the folder).
KEEP_SCRIPTS = 8
# Slivers left by the edges of nearly equal versions (about 0.1 km²) are not cells.
MIN_CELL_SQ_DEGREES = 1e-5


def day_number(day: date) -> int:
    return (day - DATA_START).days


def playback_data(geodata: GeoData) -> dict:
    """Factions, key dates, places (towns and localities) with their changes, and the control areas as cells
    with their holders; days are numbers of days since DATA_START."""
    faction_ids = list(geodata.factions)
    index = {faction_id: number for number, faction_id in enumerate(faction_ids)}
    places = []
    for layer_name, size in (("towns", 0), ("localities", 1)):
        layer = geodata.layer(layer_name)
        for record, point in zip(layer.records if layer else [], layer.frame.geometry if layer else []):
            if not record.control:
                continue  # places abroad whose control is not tracked
            changes = []
            for entry in record.control:
                others = [faction for faction in entry.factions if faction != entry.controller]
                changes.append([max(0, day_number(entry.from_)), index.get(entry.controller, -1),
                                STATES.index(entry.state) if entry.state in STATES else 0,
                                index.get(others[0], -1) if others else -1])
            places.append([record.id, record.name, round(point.y, 4), round(point.x, 4), size, changes])
    cells, holders = cached_control_cells(geodata)
    holders = [[[day, index.get(faction, -1) if faction else -1, far] for day, faction, far in changes]
               for changes in holders]
    return {
        "start": DATA_START.isoformat(), "days": day_number(DATA_END),
        "factions": [[faction_id, geodata.factions[faction_id].color] for faction_id in faction_ids],
        "keyDates": [[day_number(day), label] for day, label in KEY_DATES],
        "places": places,
        "cells": cells,
        "holders": holders,
    }


CELLS_FILE = "control_cells.json"


def cached_control_cells(geodata: GeoData) -> tuple[list, list]:
    """The cells `make geodata` wrote beside the control areas, if they were made with these areas; otherwise
    computed now from the areas' versions (a minute or more)."""
    areas_file = geodata.directory / "control_areas.geojson"
    cells_file = geodata.directory / CELLS_FILE
    if areas_file.exists() and cells_file.exists():
        try:
            stored = json.loads(cells_file.read_text(encoding="utf-8"))
            if stored.get("control_areas_sha256") == _sha256(areas_file):
                return stored["cells"], stored["holders"]
        except (ValueError, KeyError, AttributeError):
            pass  # a broken cache is recomputed
    return control_cells(geodata)


def store_control_cells(directory: Path, cells: list, holders: list) -> Path:
    """Store the cells beside the control areas they go with (for `make geodata`, which makes them from the
    grounds the areas are unions of)."""
    target = directory / CELLS_FILE
    record = {"about": "Control areas cut into cells that never split, with their holders over time as "
                       "[day since " + DATA_START.isoformat() + ", faction id or null, far 0/1]; for the map's "
                       "playback. Made by scripts/build_geodata.py with control_areas.geojson.",
              "control_areas_sha256": _sha256(directory / "control_areas.geojson"),
              "cells": cells, "holders": holders}
    target.write_text(json.dumps(record, separators=(",", ":")) + "\n", encoding="utf-8")
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def control_cells(geodata: GeoData) -> tuple[list, list]:
    """The control areas cut into cells that never split: the pieces the edges of every area version make.
    Each cell gets its holders over time as [[day, faction id or None, far], ...] (None: no one's ground), so a
    frame recolours the cells that change instead of redrawing whole areas. Cells are simplified together, as
    one coverage, so neighbours keep a shared edge."""
    layer = geodata.layer("control_areas")
    if layer is None or not layer.records:
        return [], []
    versions = [(area, geometry) for area, geometry in zip(layer.records, layer.frame.geometry)
                if not geometry.is_empty]
    edges = shapely.union_all([shapely.boundary(geometry) for _, geometry in versions])
    pieces = [piece for piece in shapely.get_parts(shapely.polygonize(shapely.get_parts(edges)))
              if piece.area > MIN_CELL_SQ_DEGREES]
    inside = shapely.point_on_surface(pieces)
    tree = shapely.STRtree([geometry for _, geometry in versions])
    cell_numbers, version_numbers = tree.query(inside, predicate="within")
    spans: dict[int, list] = {}
    for cell_number, version_number in zip(cell_numbers.tolist(), version_numbers.tolist()):
        area = versions[version_number][0]
        last = day_number(area.valid_to) if area.valid_to else day_number(DATA_END)
        spans.setdefault(cell_number, []).append((max(0, day_number(area.valid_from)), last, area.faction,
                                                  1 if area.ground == "far" else 0))
    kept = sorted(spans)  # a piece inside no version is a hole between areas: not a cell
    simplified = shapely.coverage_simplify(np.array([pieces[number] for number in kept], dtype=object),
                                           SIMPLIFY_DEGREES)
    cells, holders = [], []
    for number, geometry in zip(kept, simplified):
        geometry = shapely.set_precision(geometry, 1e-3, mode="pointwise")
        if geometry.is_empty:
            continue
        coordinates = shapely.geometry.mapping(geometry)["coordinates"]
        cells.append([coordinates] if geometry.geom_type == "Polygon" else coordinates)  # as a MultiPolygon
        holders.append(_changes(sorted(spans[number])))
    return cells, holders


def _changes(spans: list[tuple[int, int, str, int]]) -> list[list]:
    """Time-ordered, disjoint spans [(first day, last day, faction, far), ...] → the changes [[day, faction,
    far], ...], with [day, None, 0] where no one holds the cell."""
    changes: list[list] = []
    previous_last = None
    for first, last, faction, far in spans:
        if previous_last is not None and first > previous_last + 1:
            changes.append([previous_last + 1, None, 0])
        if not changes or changes[-1][1:] != [faction, far]:
            changes.append([first, faction, far])
        previous_last = last
    if previous_last is not None and previous_last < day_number(DATA_END):
        changes.append([previous_last + 1, None, 0])
    return changes


def playback_script(geodata: GeoData) -> str:
    """The data as a script that sets window.euphratesPlaybackData. JSON is a valid JS expression; `<` is
    escaped so no text in it can close a script element."""
    text = json.dumps(playback_data(geodata), ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"window.{GLOBAL_NAME}={text};\n"


def write_script(stem: str, script: str, directory: Path) -> str:
    """Write `script` to `directory` under a name that changes with its content (so no stale copy is ever
    served from a cache) unless it is there already; returns the file name."""
    data = script.encode("utf-8")
    name = f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}.js"
    target = directory / name
    if not target.exists():
        directory.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=directory, suffix=".partial")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.chmod(partial, 0o644)
        os.replace(partial, target)  # whole or not at all, even with two servers starting at once
        # Every change of the geodata writes a new name: keep the newest few, not every version ever served.
        older = sorted(directory.glob(f"{stem}-*.js"), key=lambda path: path.stat().st_mtime)[:-KEEP_SCRIPTS]
        for path in older:
            path.unlink(missing_ok=True)
    return name
