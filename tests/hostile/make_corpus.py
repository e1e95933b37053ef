"""Write the corpus of broken geodata files: one folder per case, holding one layer file broken one way.

Each file is a copy of a valid layer of the small test geodata (`tests/conftest.py`, `SMALL_LAYERS`; for
factions.json a small registry written out below) with one defect. A test copies the small valid folder and drops one case's file over it.
The huge-file case is not written here (a test makes it in tmp_path with `write_huge_layer`).

Run `python tests/hostile/make_corpus.py` after changing the cases or `SMALL_LAYERS`; a test checks that the
committed files are what this script writes.
"""
from __future__ import annotations

import copy
import json
import shutil
import sys
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conftest import SMALL_LAYERS  # noqa: E402

NESTING_DEPTH = 20_000  # far past any JSON parser's recursion limit, still only 40 KB


def layer_text(features: list) -> str:
    """A FeatureCollection, one feature per line, like the bundled layers."""
    lines = ",\n".join(json.dumps(feature, ensure_ascii=False) for feature in features)
    return '{"type":"FeatureCollection","features":[\n' + lines + "\n]}\n"


def layer(name: str) -> list[dict]:
    return copy.deepcopy(SMALL_LAYERS[name])


def edited(name: str, edit: Callable[[list[dict]], None]) -> Callable[[], tuple[str, bytes]]:
    def build() -> tuple[str, bytes]:
        features = layer(name)
        edit(features)
        return f"{name}.geojson", layer_text(features).encode("utf-8")
    return build


def raw(filename: str, make: Callable[[], bytes]) -> Callable[[], tuple[str, bytes]]:
    return lambda: (filename, make())


def _truncated_events() -> bytes:
    text = layer_text(layer("events"))
    return text[: len(text) // 2].encode("utf-8")


def _top_level_list() -> bytes:
    return json.dumps(layer("towns"), ensure_ascii=False).encode("utf-8")


def _top_level_feature() -> bytes:
    return json.dumps(layer("towns")[0], ensure_ascii=False).encode("utf-8")


def _latin1_river() -> bytes:
    features = layer("rivers")
    features[0]["properties"]["name"] = "Euphrat\u00e8s"
    return layer_text(features).encode("latin-1")  # è as the single byte 0xE8: not UTF-8


def _deeply_nested() -> bytes:
    text = layer_text(layer("deconfliction"))
    nested = "[" * NESTING_DEPTH + "]" * NESTING_DEPTH
    return text.replace('"status": "tentative"', f'"status": {nested}', 1).encode("utf-8")


def _huge_integer() -> bytes:
    text = layer_text(layer("towns"))
    return text.replace('"coord_source": "test"', '"population": ' + "9" * 5000 + ', "coord_source": "test"',
                        1).encode("utf-8")


def _lone_surrogate() -> bytes:
    text = layer_text(layer("towns"))
    return text.replace('"name": "Raqqa"', '"name": "Raqqa \\ud800"', 1).encode("utf-8")


def _nan_coordinate() -> bytes:
    text = layer_text(layer("sites"))
    return text.replace("[40.55, 35.05]", "[NaN, 35.05]", 1).encode("utf-8")


def _factions_bad_json() -> bytes:
    """A small valid registry (written out here, so that editing geodata/factions.json leaves the corpus as it
    is), cut short."""
    return json.dumps(_FACTIONS, indent=2, ensure_ascii=False)[:-30].encode("utf-8")


_SOURCE = {"publication": "Test Gazette", "date": "2017-10-20", "title": "A test source"}
_FACTIONS = {"factions": [
    {"id": "sdf", "name": "Syrian Democratic Forces (SDF)", "short_name": "SDF", "color": "#F0E442",
     "backers": ["US-led coalition"], "description": "Test.", "sources": [_SOURCE]},
    {"id": "isis", "name": "Islamic State (ISIS)", "short_name": "ISIS", "color": "#000000",
     "backers": [], "description": "Test.", "sources": [_SOURCE]},
]}


def _set(path: list, value) -> Callable[[list[dict]], None]:
    def edit(features: list[dict]) -> None:
        target = features
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return edit


def _delete(path: list) -> Callable[[list[dict]], None]:
    def edit(features: list[dict]) -> None:
        target = features
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
    return edit


def _swap_history(features: list[dict]) -> None:
    control = features[0]["properties"]["control"]
    control[0], control[1] = control[1], control[0]


# case name → builder returning (file name, bytes). The expected reports live in tests/test_hostile_data.py.
CASES: dict[str, Callable[[], tuple[str, bytes]]] = {
    "bad-json": raw("events.geojson", _truncated_events),
    "top-level-list": raw("towns.geojson", _top_level_list),
    "top-level-feature": raw("towns.geojson", _top_level_feature),
    "missing-geometry": edited("towns", _delete([1, "geometry"])),
    "null-geometry": edited("sites", _set([0, "geometry"], None)),
    "geometry-not-object": edited("events", _set([0, "geometry"], "POINT (39 35.95)")),
    "geometry-without-coordinates": edited("towns", _delete([0, "geometry", "coordinates"])),
    "string-coordinates": edited("towns", _set([1, "geometry", "coordinates"], ["40.45", "35.02"])),
    "unclosed-ring": edited("control_areas", _set([1, "geometry", "coordinates"],
                                                  [[[38.5, 35.5], [39.5, 35.5], [39.5, 36.5], [38.5, 36.5]]])),
    "ring-too-short": edited("control_areas", _set([0, "geometry", "coordinates"],
                                                   [[[38.5, 35.5], [39.5, 35.5], [38.5, 35.5]]])),
    "self-crossing-ring": edited("control_areas", _set([0, "geometry", "coordinates"], [[
        [38.5, 35.5], [39.5, 36.5], [39.5, 35.5], [38.5, 36.5], [38.5, 35.5]]])),
    "latlon-swapped": edited("events", _set([0, "geometry", "coordinates"], [35.95, 39.0])),
    "out-of-range": edited("towns", _set([1, "geometry", "coordinates"], [40.45, 135.02])),
    "nan-coordinate": raw("sites.geojson", _nan_coordinate),
    "unknown-faction": edited("events", _set([0, "properties", "factions"], ["sdf", "martians"])),
    "bad-date": edited("towns", _set([0, "properties", "control", 0, "from"], "13/01/2014")),
    "long-bad-date": edited("events", _set([0, "properties", "date"], "2017-10-17" + "x" * 20_000)),
    "unsorted-dates": edited("sites", _swap_history),
    "duplicate-ids": edited("towns", _set([1, "properties", "id"], "raqqa")),
    "control-characters-in-key": edited("routes", _set([0, "properties", "evil\nkey\x1b[31m"], "x")),
    "empty-file": raw("routes.geojson", lambda: b""),
    "non-utf8": raw("rivers.geojson", _latin1_river),
    "lone-surrogate": raw("towns.geojson", _lone_surrogate),
    "deeply-nested": raw("deconfliction.geojson", _deeply_nested),
    "huge-integer": raw("towns.geojson", _huge_integer),
    "factions-bad-json": raw("factions.json", _factions_bad_json),
}


def write_huge_layer(path: Path, size: int) -> None:
    """A layer file of `size` bytes, written sparse (instant, no disk used): valid JSON start, then zeros."""
    with path.open("wb") as handle:
        handle.write(b'{"type":"FeatureCollection","features":[')
        handle.truncate(size)


def write_corpus(target: Path = HERE) -> list[Path]:
    written = []
    for case, build in CASES.items():
        folder = target / case
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        filename, data = build()
        (folder / filename).write_bytes(data)
        written.append(folder / filename)
    return written


if __name__ == "__main__":
    for path in write_corpus():
        print(f"{path.relative_to(HERE)} ({path.stat().st_size} bytes)")
