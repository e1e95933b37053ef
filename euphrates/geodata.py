"""Loading and validating the geodata layers.

Each layer is one GeoJSON file checked feature by feature against its declared schema (`schema.py`), its
geometry type, validity and extent. A layer with any problem is reported and skipped; the others still load.
Problems name the file, the feature (index and id) and what is wrong; nothing raises to the caller.
"""
from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import geopandas as gpd
import shapely
from pydantic import BaseModel, ValidationError
from shapely.geometry import shape
from shapely.validation import explain_validity

from euphrates import geodata_cache, schema

DEFAULT_GEODATA_DIR = Path(__file__).resolve().parent.parent / "geodata"
MAX_LAYER_BYTES = 50 * 1024 * 1024
# Where the war's features can be: lon/lat box around Syria, Iraq and Tehran. A point outside it is most
# likely a swapped or mistyped coordinate.
THEATRE_BOUNDS = (34.0, 29.0, 53.0, 38.0)
WORLD_BOUNDS = (-180.0, -90.0, 180.0, 90.0)


@dataclass(frozen=True)
class LayerSpec:
    name: str
    filename: str
    props: type[BaseModel]
    geometry_types: tuple[str, ...]
    bounds: tuple[float, float, float, float]
    title: str


LAYERS: tuple[LayerSpec, ...] = (
    LayerSpec("countries", "countries.geojson", schema.CountryProps, ("Polygon", "MultiPolygon"), WORLD_BOUNDS,
              "Countries (Natural Earth)"),
    LayerSpec("rivers", "rivers.geojson", schema.RiverProps, ("LineString", "MultiLineString"), THEATRE_BOUNDS,
              "Rivers"),
    LayerSpec("control_areas", "control_areas.geojson", schema.ControlAreaProps, ("Polygon", "MultiPolygon"),
              THEATRE_BOUNDS, "Control areas (approximate)"),
    LayerSpec("deconfliction", "deconfliction.geojson", schema.DeconflictionProps,
              ("LineString", "MultiLineString"), THEATRE_BOUNDS, "Deconfliction line"),
    LayerSpec("routes", "routes.geojson", schema.RouteProps, ("LineString", "MultiLineString"), THEATRE_BOUNDS,
              "Routes and corridors"),
    LayerSpec("sites", "sites.geojson", schema.SiteProps, ("Point",), THEATRE_BOUNDS, "Oil, gas and dams"),
    LayerSpec("events", "events.geojson", schema.EventProps, ("Point",), THEATRE_BOUNDS, "Events"),
    LayerSpec("towns", "towns.geojson", schema.TownProps, ("Point",), THEATRE_BOUNDS, "Towns"),
    LayerSpec("localities", "localities.geojson", schema.LocalityProps, ("Point",), THEATRE_BOUNDS,
              "Villages and districts"),
)
LAYER_BY_NAME = {spec.name: spec for spec in LAYERS}
FACTIONS_FILE = "factions.json"


MAX_MESSAGE_CHARS = 300
MAX_ID_CHARS = 80
# Characters that would break "one line per problem" or restyle a terminal: C0/C1 controls, line and paragraph
# separators, and the bidi embedding/override/isolate controls (which could make a line read differently).
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` made safe for a one-line report: control characters escaped, length capped."""
    text = _UNPRINTABLE.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)
    if len(text) > limit:
        text = f"{text[:limit]}... ({len(text) - limit} more characters)"
    return text


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    feature_index: int | None = None
    feature_id: str | None = None

    def __str__(self) -> str:
        """One line, whatever the data held: control characters are escaped and long values cut."""
        where = one_line(self.file)
        if self.feature_index is not None:
            where += f": feature {self.feature_index}"
            if self.feature_id:
                where += f" (id {one_line(repr(self.feature_id), MAX_ID_CHARS)})"
        return f"{where}: {one_line(self.message)}"


@dataclass
class Layer:
    spec: LayerSpec
    records: list[BaseModel]
    frame: gpd.GeoDataFrame

    def __len__(self) -> int:
        return len(self.records)

    def by_id(self) -> dict[str, BaseModel]:
        return {record.id: record for record in self.records}


@dataclass
class GeoData:
    directory: Path
    factions: dict[str, schema.Faction]
    layers: dict[str, Layer]
    problems: list[Problem] = field(default_factory=list)
    # Which files these are (folder, names, mtimes, sizes): caches of what is made from the data key on it.
    version: tuple = ()

    def layer(self, name: str) -> Layer | None:
        return self.layers.get(name)

    @property
    def ok(self) -> bool:
        return not self.problems


class _LayerProblems(Exception):
    """Internal: the problems that make a layer unusable."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def load_geodata(directory: str | Path = DEFAULT_GEODATA_DIR) -> GeoData:
    """Load every layer of `directory`, cached until any of its files changes."""
    path = Path(directory).resolve()
    return _load_cached(path, directory_signature(path))


def directory_signature(path: Path) -> tuple:
    """Names, mtimes and sizes of the layer files: changes when any file changes (a cache key)."""
    names = [FACTIONS_FILE] + [spec.filename for spec in LAYERS]
    signature = []
    for name in names:
        try:
            stat = (path / name).stat()
            signature.append((name, stat.st_mtime_ns, stat.st_size))
        except OSError:
            signature.append((name, None, None))
    return tuple(signature)


@lru_cache(maxsize=8)
def _load_cached(path: Path, _signature: tuple) -> GeoData:
    problems: list[Problem] = []
    try:
        factions = _load_factions(path, problems)
    except Exception as error:  # a safety net, as for the layers below
        problems.append(_unexpected(path / FACTIONS_FILE, error))
        factions = {}
    # The bundled data, checked once per version of its files and of this code (other folders: tests, uploads).
    cache_key = (geodata_cache.key([path / FACTIONS_FILE] + [path / spec.filename for spec in LAYERS])
                 if path == DEFAULT_GEODATA_DIR and not problems else None)
    cached = geodata_cache.read(cache_key) if cache_key else None
    if cached is not None:
        try:
            layers = {spec.name: _layer_from_checked(spec, *cached[spec.name]) for spec in LAYERS}
            return GeoData(directory=path, factions=factions, layers=layers, version=(str(path), _signature))
        except (KeyError, TypeError, ValueError):  # not what this code writes: check the files again
            pass
    layers: dict[str, Layer] = {}
    for spec in LAYERS:
        try:
            layers[spec.name] = _load_layer(path, spec, set(factions))
        except _LayerProblems as failed:
            problems.extend(failed.problems)
        except Exception as error:  # a safety net: a file that breaks the loader is reported, not raised
            problems.append(_unexpected(path / spec.filename, error))
    problems.extend(_cross_layer_problems(path, layers))
    if cache_key and not problems:
        geodata_cache.write(cache_key, {
            name: ([record.model_dump(mode="json", by_alias=True) for record in layer.records],
                   list(layer.frame.geometry)) for name, layer in layers.items()})
    return GeoData(directory=path, factions=factions, layers=layers, problems=problems,
                   version=(str(path), _signature))


def _layer_from_checked(spec: LayerSpec, rows: list[dict], geometries: list) -> Layer:
    """A layer from records and geometries checked by an earlier load (the disk cache): the records are
    validated again, which is cheap; the geometries' checks are not repeated."""
    if len(rows) != len(geometries):
        raise ValueError("records and geometries differ in number")
    records = [spec.props.model_validate(row) for row in rows]
    frame = gpd.GeoDataFrame([record.model_dump(mode="json", by_alias=True) for record in records],
                             geometry=geometries, crs="EPSG:4326")
    return Layer(spec=spec, records=records, frame=frame)


def _unexpected(path: Path, error: Exception) -> Problem:
    return Problem(_display_name(path), f"could not be loaded (unexpected {type(error).__name__}: {error})")


def _display_name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def _read_json(path: Path) -> object:
    name = _display_name(path)
    if not path.exists():
        raise _LayerProblems([Problem(name, "file not found")])
    if not path.is_file():
        raise _LayerProblems([Problem(name, "not a regular file")])
    too_large = Problem(name, f"file is too large: {path.stat().st_size:,} bytes, over the limit of "
                              f"{MAX_LAYER_BYTES:,} ({MAX_LAYER_BYTES / 2**20:g} MB)")
    if path.stat().st_size > MAX_LAYER_BYTES:
        raise _LayerProblems([too_large])
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_LAYER_BYTES + 1)  # the file may have grown since stat
        if len(data) > MAX_LAYER_BYTES:
            raise _LayerProblems([too_large])
        if not data:
            raise _LayerProblems([Problem(name, "file is empty")])
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _LayerProblems([Problem(name, f"not UTF-8 text ({error.reason} at byte {error.start})")])
    except OSError as error:
        raise _LayerProblems([Problem(name, f"cannot be read: {error.strerror or error}")])
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        # "Unterminated string starting at" already ends in "at": the position is where the string starts.
        message = error.msg.removesuffix(" at")
        raise _LayerProblems([Problem(name, f"not valid JSON: {message} at line {error.lineno} column {error.colno}")])
    except RecursionError:
        raise _LayerProblems([Problem(name, "not readable: JSON nested too deeply (arrays or objects "
                                            f"inside each other more than about {sys.getrecursionlimit()} levels)")])
    except ValueError as error:  # e.g. an integer of more than 4300 digits
        raise _LayerProblems([Problem(name, f"not valid JSON: {str(error).split(';')[0]}")])
    if _MAYBE_SURROGATE.search(text):
        where = _lone_surrogate_path(raw)
        if where is not None:
            index = feature_id = None
            if len(where) > 2 and where[0] == "features" and isinstance(where[1], int):
                index, where = where[1], where[2:]
                feature_id = _feature_id(raw["features"][index])
            message = (f"{'.'.join(map(str, where)) or 'top level'}: text holds a lone UTF-16 surrogate escape "
                       "(\\ud800-\\udfff), not a valid Unicode character")
            raise _LayerProblems([Problem(name, message, index, feature_id)])
    return raw


# A lone surrogate can only come from a \uD800-\uDFFF escape: the file itself decoded as strict UTF-8.
_MAYBE_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _lone_surrogate_path(raw: object) -> list[str | int] | None:
    """Where (e.g. ["features", 0, "properties", "name"]) a string holds a lone surrogate, which no UTF-8 output
    (HTML, Arrow, protobuf) can carry; None if nowhere. Iterative, so any depth json.loads accepted is fine."""
    stack: list[tuple[object, list[str | int]]] = [(raw, [])]
    while stack:
        value, where = stack.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return where
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((key, where + [key]))
                stack.append((item, where + [key]))
        elif isinstance(value, list):
            stack.extend((item, where + [index]) for index, item in enumerate(value))
    return None


def _load_factions(directory: Path, problems: list[Problem]) -> dict[str, schema.Faction]:
    path = directory / FACTIONS_FILE
    try:
        raw = _read_json(path)
        registry = schema.FactionRegistry.model_validate(raw)
    except _LayerProblems as failed:
        problems.extend(failed.problems)
        return {}
    except ValidationError as error:
        problems.extend(Problem(_display_name(path), message) for message in _validation_messages(error))
        return {}
    factions: dict[str, schema.Faction] = {}
    for faction in registry.factions:
        if faction.id in factions:
            problems.append(Problem(_display_name(path), f"duplicate faction id {faction.id!r}"))
        factions[faction.id] = faction
    return factions


def _validation_messages(error: ValidationError) -> list[str]:
    messages = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"] if part != "__root__")
        text = item["msg"].removeprefix("Value error, ")
        messages.append(f"{location}: {text}" if location else text)
    return messages


def _load_layer(directory: Path, spec: LayerSpec, faction_ids: set[str]) -> Layer:
    path = directory / spec.filename
    name = _display_name(path)
    raw = _read_json(path)
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection":
        raise _LayerProblems([Problem(name, "top level is not a GeoJSON FeatureCollection")])
    features = raw.get("features")
    if not isinstance(features, list):
        raise _LayerProblems([Problem(name, "'features' is not a list")])

    problems: list[Problem] = []
    records: list[BaseModel] = []
    geometries = []
    seen_ids: dict[str, int] = {}
    for index, feature in enumerate(features):
        feature_id = _feature_id(feature)

        def report(message: str, index: int = index, feature_id: str | None = feature_id) -> None:
            problems.append(Problem(name, message, index, feature_id))

        try:
            record, geometry = _check_feature(feature, spec, faction_ids, report)
        except RecursionError:
            report("nested too deeply to check")
            continue
        if record is None or geometry is None:
            continue
        if record.id in seen_ids:
            report(f"duplicate id (also feature {seen_ids[record.id]})")
            continue
        seen_ids[record.id] = index
        records.append(record)
        geometries.append(geometry)
    if problems:
        raise _LayerProblems(problems)
    rows = [record.model_dump(mode="json", by_alias=True) for record in records]
    frame = gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4326")
    return Layer(spec=spec, records=records, frame=frame)


def _feature_id(feature: object) -> str | None:
    if isinstance(feature, dict):
        properties = feature.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get("id"), str):
            return properties["id"]
    return None


def _check_feature(feature, spec: LayerSpec, faction_ids: set[str], report):
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        report("not a GeoJSON Feature object")
        return None, None
    if "geometry" not in feature:
        report("geometry is missing (the feature has no 'geometry' member)")
        geometry = None
    else:
        geometry = _check_geometry(feature["geometry"], spec, report)
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        report("properties missing or not an object")
        return None, None
    try:
        record = spec.props.model_validate(properties)
    except ValidationError as error:
        for message in _validation_messages(error):
            report(message)
        return None, None
    unknown = sorted(set(_faction_refs(record)) - faction_ids)
    if unknown and faction_ids:
        report(f"unknown faction id(s): {', '.join(unknown)}")
        return None, None
    return record, geometry


def _check_geometry(raw, spec: LayerSpec, report):
    if raw is None:
        report("geometry is missing (null)")
        return None
    if not isinstance(raw, dict):
        report(f"geometry is not a GeoJSON geometry object (got {_json_kind(raw)})")
        return None
    kind = raw.get("type")
    if kind not in spec.geometry_types:
        shown = kind if isinstance(kind, str) else _json_kind(kind)
        report(f"geometry is a {one_line(shown, 40)}; this layer takes {' or '.join(spec.geometry_types)}")
        return None
    if "coordinates" not in raw:
        report(f"geometry has no 'coordinates' ({kind})")
        return None
    structure = _coordinates_problem(kind, raw["coordinates"])
    if structure:
        report(f"geometry is malformed: {structure}")
        return None
    try:
        geometry = shape(raw)
    except Exception as error:  # shapely raises several types for malformed GeoJSON
        report(f"geometry is malformed: {error}")
        return None
    if geometry.geom_type not in spec.geometry_types:
        report(f"geometry is a {geometry.geom_type}; this layer takes {' or '.join(spec.geometry_types)}")
        return None
    if geometry.is_empty:
        report("geometry is empty")
        return None
    coords = shapely.get_coordinates(geometry)
    if not all(math.isfinite(value) for value in coords.flat):
        report("geometry has a non-finite coordinate")
        return None
    min_lon, min_lat, max_lon, max_lat = geometry.bounds
    if min_lat < -90 or max_lat > 90 or min_lon < -180 or max_lon > 180:
        report(f"coordinates out of range (lon {min_lon:.4f}..{max_lon:.4f}, lat {min_lat:.4f}..{max_lat:.4f})")
        return None
    west, south, east, north = spec.bounds
    if min_lon < west or max_lon > east or min_lat < south or max_lat > north:
        report(
            f"coordinates outside the map's area lon {west}..{east}, lat {south}..{north} "
            f"(got lon {min_lon:.4f}..{max_lon:.4f}, lat {min_lat:.4f}..{max_lat:.4f}; lon/lat swapped?)"
        )
        return None
    if not geometry.is_valid:
        report(f"geometry is invalid: {explain_validity(geometry)}")
        return None
    return geometry


def _json_kind(value: object) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _short_json(value: object, limit: int = 60) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


_NUMBER = (int, float)  # exact types: bool, a subclass of int, is not a number here


def _position_problem(position: object) -> str | None:
    if (not isinstance(position, list) or len(position) not in (2, 3)
            or not all(isinstance(value, (int, float)) and not isinstance(value, bool) for value in position)):
        return f"a position must be [lon, lat] as two numbers, got {_short_json(position)}"
    return None


def _positions_problem(positions: object, minimum: int, what: str) -> str | None:
    if not isinstance(positions, list):
        return f"{what} must be an array of positions, got {_json_kind(positions)}"
    if len(positions) < minimum:
        return f"{what} needs at least {minimum} positions, has {len(positions)}"
    # The common case, checked without a call per position: control areas have hundreds of thousands.
    if all(type(p) is list and len(p) == 2 and type(p[0]) in _NUMBER and type(p[1]) in _NUMBER for p in positions):
        return None
    for index, position in enumerate(positions):
        problem = _position_problem(position)
        if problem:
            return f"{what}, position {index}: {problem}"
    return None


def _polygon_problem(rings: object, what: str) -> str | None:
    if not isinstance(rings, list) or not rings:
        return f"{what} must be a non-empty array of rings"
    for index, ring in enumerate(rings):
        ring_name = f"{what}, ring {index}"
        problem = _positions_problem(ring, 4, ring_name)
        if problem:
            return problem
        if ring[0] != ring[-1]:
            return (f"{ring_name} is not closed: its first position {_short_json(ring[0])} differs from its last "
                    f"{_short_json(ring[-1])} (GeoJSON rings end where they start)")
    return None


def _coordinates_problem(kind: str, coordinates: object) -> str | None:
    """What is wrong with a geometry's coordinates as GeoJSON (RFC 7946, section 3.1), before shapely sees them:
    shapely accepts strings for numbers and closes open rings silently, and raises on other mistakes."""
    if kind == "Point":
        return _position_problem(coordinates)
    if kind == "LineString":
        return _positions_problem(coordinates, 2, "the line")
    if kind == "Polygon":
        return _polygon_problem(coordinates, "the polygon")
    if not isinstance(coordinates, list) or not coordinates:
        return f"a {kind} needs a non-empty array of parts"
    for index, part in enumerate(coordinates):
        problem = (_positions_problem(part, 2, f"line {index}") if kind == "MultiLineString"
                   else _polygon_problem(part, f"polygon {index}") if kind == "MultiPolygon"
                   else _position_problem(part))
        if problem:
            return problem
    return None


def _faction_refs(record: BaseModel) -> Iterable[str]:
    for entry in getattr(record, "control", []) or []:
        if entry.controller:
            yield entry.controller
        yield from entry.factions
    yield from getattr(record, "factions", []) or []
    if isinstance(record, schema.ControlAreaProps):
        yield record.faction


def _cross_layer_problems(directory: Path, layers: dict[str, Layer]) -> list[Problem]:
    """References from one layer to another: routes and events name towns."""
    towns = layers.get("towns")
    if towns is None:
        return []
    town_ids = set(towns.by_id())
    problems = []
    for layer_name, attribute in (("routes", "via"), ("events", "place")):
        layer = layers.get(layer_name)
        if layer is None:
            continue
        for index, record in enumerate(layer.records):
            refs = getattr(record, attribute)
            refs = [refs] if isinstance(refs, str) else (refs or [])
            missing = [ref for ref in refs if ref not in town_ids]
            if missing:
                problems.append(Problem(_display_name(directory / layer.spec.filename),
                                        f"{attribute} names unknown town(s): {', '.join(missing)}", index, record.id))
    return problems
