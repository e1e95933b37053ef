"""The "Your overlay" feature: a user's own GeoJSON or KML file, checked and drawn over the project's layers.

`load_overlay` turns the uploaded bytes into an `Overlay` (a GeoDataFrame in EPSG:4326, property values kept as
the user's text) or raises `OverlayError` with a message naming the file, the feature and the problem.
`overlay_group` draws it as one Folium feature group, coloured by a chosen property, with a legend.

Features that cannot be drawn (no geometry, empty, invalid, coordinates out of range) are skipped with a
warning when at least one feature can be drawn, since a user wants to see their file even if a few features
are broken; when none can, the file is refused. Feature numbers in messages count from 0, as in GeoJSON's
feature list and in `geodata.py`.

GeoJSON is parsed here (json + shapely) rather than by GDAL so that every problem names the user's feature
and so that GDAL does not retype property values; KML and KMZ are read with pyogrio (GDAL's LIBKML driver).
"""
from __future__ import annotations

import io
import json
import math
import re
import warnings as python_warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePath

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from branca.element import MacroElement
from folium.template import Template
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from euphrates.geodata import THEATRE_BOUNDS
from euphrates.mapbuilder import _BOX_STYLE, _GroupControl, esc

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_FEATURES = 50_000
GEOJSON_SUFFIXES = (".geojson", ".json")
KML_SUFFIXES = (".kml", ".kmz")
# Coordinates this far past ±180/±90 are not mistyped degrees but metres (UTM, Web Mercator).
METRE_LIKE_COORDINATE = 1000.0
MAX_LISTED_PROBLEMS = 10
# Paul Tol's "muted" palette: colour-blind safe and distinct from the factions' Okabe-Ito colours.
CATEGORY_PALETTE = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77", "#CC6677", "#882255",
                    "#AA4499")
# Viridis in five steps: sequential and colour-blind safe.
SEQUENTIAL_PALETTE = ("#440154", "#3B528B", "#21918C", "#5EC962", "#FDE725")
NUMERIC_CLASSES = len(SEQUENTIAL_PALETTE)
DEFAULT_COLOR = "#AA3377"
NO_VALUE_COLOR = "#BBBBBB"
MAX_LEGEND_ROWS = 12
MAX_TOOLTIP_ROWS = 15
MAX_TOOLTIP_VALUE_CHARS = 200
# LIBKML's drawing fields: how Google Earth draws a placemark, not the user's data.
KML_DRAWING_FIELDS = {"altitudeMode", "tessellate", "extrude", "visibility", "drawOrder", "icon"}
KML_FOLDER_PROPERTY = "KML folder"
# GDAL parses the whole KML again for each folder it reads: this bounds folders × size.
MAX_KML_PARSE_BYTES = 64 * 1024 * 1024


class OverlayError(ValueError):
    """Why an uploaded file cannot be shown, in words for the person who uploaded it."""


@dataclass
class Overlay:
    name: str
    frame: gpd.GeoDataFrame  # EPSG:4326; indexed by the feature's number in the file; values are text or None
    warnings: list[str] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)  # the properties with a value somewhere: for styling


@dataclass
class _RawFeature:
    index: int
    label: str | None  # the feature's id or name, to point the user at it
    geometry: BaseGeometry | None
    problem: str | None
    properties: dict[str, str | None]

    def where(self) -> str:
        return f"feature {self.index}" + (f" ({self.label!r})" if self.label else "")

    def problem_line(self) -> str:
        return f"{self.where()}: {self.problem}"


# --- loading -----------------------------------------------------------------------------------------------

def load_overlay(name: str, data: bytes) -> Overlay:
    """The features of the uploaded file `name` that can be drawn, in WGS84 lon/lat. Raises OverlayError."""
    _check_size(name, data)
    suffix = PurePath(name).suffix.lower()
    archive = _archive_kind(data)
    if suffix == ".kmz" or (archive == _ZIP and suffix in KML_SUFFIXES):
        data = _kml_in_kmz(name, data)  # a zip named .kml is a KMZ: unpacked here, with the size cap
        archive = _archive_kind(data)
    if archive is not None:
        raise OverlayError(f"{name}: the file is {archive}; upload the GeoJSON or KML file itself (KML may be "
                           "zipped as .kmz).")
    if suffix in GEOJSON_SUFFIXES:
        raw, crs = _read_geojson(name, data)
    elif suffix in KML_SUFFIXES:
        raw, crs = _read_kml(name, data), CRS.from_epsg(4326)  # KML is WGS84 lon/lat by definition
    else:
        raise OverlayError(f"{name}: only GeoJSON and KML files can be shown; the file name should end in "
                           f"{', '.join(GEOJSON_SUFFIXES + KML_SUFFIXES)}.")
    _check_feature_count(name, len(raw))
    _flag(raw, _bad_shapes, _shape_problem)
    if crs is None:
        _refuse_projected_coordinates(name, raw)
    notes = []
    if crs is not None and not _is_wgs84(crs):
        _reproject(raw, crs)
        notes.append(f"{name}: coordinates converted from {_crs_words(crs)} to longitude/latitude.")
    _flag(raw, _outside_degrees, _range_problem)
    good = _drawable(raw)
    bad = [feature for feature in raw if feature.problem is not None]
    if not good:
        raise OverlayError(_nothing_drawable_message(name, bad))
    frame = _frame(good)
    return Overlay(name=name, frame=frame, warnings=_skipped_warnings(name, bad, len(raw)) + notes
                   + _placement_warnings(name, frame), properties=_usable_properties(frame))


def _check_size(name: str, data: bytes) -> None:
    if len(data) > MAX_UPLOAD_BYTES:
        megabytes = math.ceil(len(data) / 2**20 * 10) / 10  # rounded up: over the limit never reads as equal
        raise OverlayError(f"{name}: the file is {megabytes:.1f} MB; the limit is {MAX_UPLOAD_BYTES // 2**20} MB.")
    if not data.strip():
        raise OverlayError(f"{name}: the file is empty.")


def _check_feature_count(name: str, count: int) -> None:
    if count == 0:
        raise OverlayError(f"{name}: the file contains no features.")
    if count > MAX_FEATURES:
        raise OverlayError(f"{name}: the file has {count:,} features; at most {MAX_FEATURES:,} can be shown. "
                           "Split it or keep only the features you need.")


def _read_geojson(name: str, data: bytes) -> tuple[list[_RawFeature], CRS | None]:
    document = _parse_json(name, data)
    features = _geojson_features(name, document)
    _check_feature_count(name, len(features))  # before the costly per-feature work
    crs = _declared_crs(name, document)
    return [_geojson_feature(index, feature) for index, feature in enumerate(features)], crs


def _parse_json(name: str, data: bytes) -> object:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise OverlayError(f"{name}: the file is not UTF-8 text (byte {error.start} cannot be read); save it "
                           "as UTF-8 GeoJSON.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise OverlayError(f"{name}: the file is not valid JSON: {error.msg} at line {error.lineno}, column "
                           f"{error.colno}.") from None
    except RecursionError:
        raise OverlayError(f"{name}: the file is not usable JSON: it is nested too deeply.") from None


def _geojson_features(name: str, document: object) -> list:
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        features = document.get("features")
        if features is None:
            raise OverlayError(f"{name}: the FeatureCollection has no 'features' list.")
        if not isinstance(features, list):
            raise OverlayError(f"{name}: the FeatureCollection's 'features' is {_json_kind(features)}, "
                               "not a list.")
        return features
    if kind == "Feature":
        return [document]
    if kind in _GEOMETRY_TYPES:
        return [{"type": "Feature", "geometry": document, "properties": {}}]
    raise OverlayError(f"{name}: the file is JSON but not GeoJSON: the top level is {_json_kind(document)}; "
                       "expected a FeatureCollection.")


_GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon",
                   "GeometryCollection"}


def _json_kind(value: object) -> str:
    if isinstance(value, dict):
        kind = value.get("type")
        return f"an object of type {kind!r}" if isinstance(kind, str) else "an object without a GeoJSON 'type'"
    if value is None:
        return "null"
    names = {list: "an array (a list)", str: "a string", bool: "true or false", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def _geojson_feature(index: int, feature: object) -> _RawFeature:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return _RawFeature(index, None, None, f"not a GeoJSON Feature (it is {_json_kind(feature)})", {})
    properties = feature.get("properties")
    label = _label(feature.get("id"), properties)
    if properties is not None and not isinstance(properties, dict):
        return _RawFeature(index, label, None, f"the properties are {_json_kind(properties)}, not an object", {})
    texts = {_property_key(key): _json_text(value) for key, value in (properties or {}).items()}
    geometry, problem = _geojson_geometry(feature)
    return _RawFeature(index, label, geometry, problem, texts)


def _label(feature_id: object, properties: object) -> str | None:
    candidates = [feature_id] + ([properties.get(key) for key in ("id", "name", "Name")]
                                 if isinstance(properties, dict) else [])
    for candidate in candidates:
        if isinstance(candidate, (str, int)) and not isinstance(candidate, bool) and str(candidate).strip():
            return str(candidate)[:60]
    return None


def _property_key(key: str) -> str:
    return "geometry (property)" if key == "geometry" else key  # "geometry" is the frame's geometry column


def _json_text(value: object) -> str | None:
    """Property values are the user's text: numbers, booleans and nested values as they would be written."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _geojson_geometry(feature: dict) -> tuple[BaseGeometry | None, str | None]:
    if "geometry" not in feature:
        return None, "no geometry"
    raw = feature["geometry"]
    if raw is None:
        return None, "no geometry (it is null)"
    if not isinstance(raw, dict) or raw.get("type") not in _GEOMETRY_TYPES:
        return None, f"the geometry is not a GeoJSON geometry (it is {_json_kind(raw)})"
    try:
        return shape(raw), None
    except Exception as error:  # shapely raises several types for malformed coordinates
        return None, f"the geometry is malformed ({raw['type']}: {error})"


def _declared_crs(name: str, document: object) -> CRS | None:
    """The GeoJSON 2008 `crs` member, if any. RFC 7946 dropped it, but GDAL and QGIS still write it."""
    declared = document.get("crs") if isinstance(document, dict) else None
    if declared is None:
        return None
    properties = declared.get("properties") if isinstance(declared, dict) else None
    text = None
    if isinstance(properties, dict):
        text = properties.get("name") or (f"EPSG:{properties['code']}" if "code" in properties else None)
    if not text:
        raise OverlayError(f"{name}: the file's 'crs' member cannot be read; declare it as "
                           '{"type": "name", "properties": {"name": "EPSG:32637"}} or remove it.')
    try:
        return CRS.from_user_input(str(text))
    except CRSError:
        raise OverlayError(f"{name}: the file declares a coordinate reference system that is not recognised "
                           f"({text!r}); use an EPSG code such as EPSG:32637, or convert to WGS84 lon/lat."
                           ) from None


def _read_kml(name: str, data: bytes) -> list[_RawFeature]:
    layers = _kml_layers(name, data)
    raw: list[_RawFeature] = []
    for layer, frame in layers:
        for row in frame.drop(columns=[c for c in frame.columns if c in KML_DRAWING_FIELDS]).to_dict("records"):
            geometry = row.pop("geometry")
            texts = {_property_key(key): _pandas_text(value) for key, value in row.items()}
            if len(layers) > 1:
                texts[KML_FOLDER_PROPERTY] = layer
            label = _label(texts.get("id"), {"name": texts.get("Name")})
            raw.append(_RawFeature(len(raw), label, geometry, None if geometry is not None else "no geometry",
                                   texts))
    return raw


# Archives by their first bytes, not their name: GDAL opens a zip whatever it is called, and inflates it whole.
_ZIP = "a zip archive"
_ARCHIVE_MAGIC = ((b"PK\x03\x04", _ZIP), (b"PK\x05\x06", _ZIP), (b"PK\x07\x08", _ZIP),
                  (b"\x1f\x8b", "a gzip archive"), (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ\x00", "an xz archive"),
                  (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"\x28\xb5\x2f\xfd", "a zstd archive"))


def _archive_kind(data: bytes) -> str | None:
    for magic, kind in _ARCHIVE_MAGIC:
        if data.startswith(magic):
            return kind
    if data[257:262] == b"ustar":
        return "a tar archive"
    return None


def _kml_in_kmz(name: str, data: bytes) -> bytes:
    """The KMZ's document: its first .kml file, as Google Earth reads it, unpacked with a size cap (a small
    archive can hold a huge file)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            documents = [entry for entry in archive.infolist() if entry.filename.lower().endswith(".kml")]
            if not documents:
                raise OverlayError(f"{name}: the KMZ archive holds no .kml file.")
            with archive.open(documents[0]) as document:
                kml = document.read(MAX_UPLOAD_BYTES + 1)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, zlib.error):
        raise OverlayError(f"{name}: the file is not a readable KMZ (zip) archive.") from None
    if len(kml) > MAX_UPLOAD_BYTES:
        raise OverlayError(f"{name}: the KML inside the archive is over the {MAX_UPLOAD_BYTES // 2**20} MB limit.")
    return kml


_GDAL_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FeatureError,
                pyogrio.errors.FieldError, pyogrio.errors.GeometryError)


def _kml_layers(name: str, data: bytes) -> list[tuple[str, pd.DataFrame]]:
    """(folder name, features) per layer GDAL finds; layers are read by number because a KML without folders
    gets a new random layer name each time it is opened."""
    try:
        names = [str(layer) for layer, _ in pyogrio.list_layers(io.BytesIO(data))]
        if len(names) * len(data) > MAX_KML_PARSE_BYTES:
            most = max(1, MAX_KML_PARSE_BYTES // len(data))
            raise OverlayError(f"{name}: the file has {len(names)} folders, too many for its size (at most {most} "
                               "can be read); merge the folders, or save the file as GeoJSON.")
        driver = pyogrio.read_info(io.BytesIO(data), layer=0)["driver"] if names else "LIBKML"
        if driver not in ("LIBKML", "KML"):
            raise OverlayError(f"{name}: the file is named like KML but is another format ({driver}).")
        with python_warnings.catch_warnings():
            python_warnings.simplefilter("ignore")  # GDAL's notes on KML it tolerates
            return [(layer, pyogrio.read_dataframe(io.BytesIO(data), layer=number))
                    for number, layer in enumerate(names)]
    except _GDAL_ERRORS as error:
        raise OverlayError(f"{name}: the file is not readable KML ({_gdal_words(error)}).") from None


def _gdal_words(error: Exception) -> str:
    message = str(error)
    if "not recognized as being in a supported file format" in message:
        return "it is not a KML document"
    message = re.sub(r"'?/vsimem/[^\s':]*'?\s*:?", "", message)  # GDAL's in-memory file name means nothing here
    return re.sub(r"\s+", " ", message.replace("ERROR parsing kml", "broken XML:")).strip()


def _pandas_text(value: object) -> str | None:
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):  # None, NaN, NaT
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


# --- geometry checks: screened for all features at once, described one by one --------------------------------

def _drawable(raw: list[_RawFeature]) -> list[_RawFeature]:
    return [feature for feature in raw if feature.problem is None]


def _flag(raw: list[_RawFeature], suspect, describe) -> None:
    """Give each still-drawable feature that `suspect` (a mask over an array of geometries) picks the problem
    `describe` finds in it."""
    todo = _drawable(raw)
    if not todo:
        return
    for feature, flagged in zip(todo, suspect(_geometry_array(todo))):
        if flagged:
            feature.problem = describe(feature.geometry)


def _geometry_array(features: list[_RawFeature]) -> np.ndarray:
    geometries = np.empty(len(features), dtype=object)
    geometries[:] = [feature.geometry for feature in features]
    return geometries


def _bad_shapes(geometries: np.ndarray) -> np.ndarray:
    return shapely.is_empty(geometries) | ~_finite(geometries) | ~shapely.is_valid(geometries)


def _finite(geometries: np.ndarray) -> np.ndarray:
    coordinates, owners = shapely.get_coordinates(geometries, return_index=True)
    finite = np.ones(len(geometries), dtype=bool)
    finite[owners[~np.isfinite(coordinates).all(axis=1)]] = False
    return finite


def _outside_degrees(geometries: np.ndarray) -> np.ndarray:
    west, south, east, north = shapely.bounds(geometries).T
    return ~_finite(geometries) | (west < -180) | (east > 180) | (south < -90) | (north > 90)


def _shape_problem(geometry: BaseGeometry) -> str:
    if geometry.is_empty:
        return f"the geometry is empty (a {geometry.geom_type} with no coordinates)"
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        return "the geometry has a coordinate that is not a number"
    return f"the {geometry.geom_type} is invalid: {explain_validity(geometry)}"


def _range_problem(geometry: BaseGeometry) -> str:
    if not np.isfinite(shapely.get_coordinates(geometry)).all():
        return "the coordinates cannot be converted to longitude/latitude"
    west, south, east, north = geometry.bounds
    return (f"the coordinates are out of range for longitude/latitude (longitude {west:g} to {east:g}, "
            f"latitude {south:g} to {north:g}; longitude must be within ±180 and latitude within ±90)")


def _refuse_projected_coordinates(name: str, raw: list[_RawFeature]) -> None:
    """No CRS declared and no feature in degrees, with metre-sized numbers: a projected file, not typos."""
    drawable = _drawable(raw)
    if not drawable:
        return
    geometries = _geometry_array(drawable)
    coordinates = shapely.get_coordinates(geometries)
    if _outside_degrees(geometries).all() and np.abs(coordinates).max() > METRE_LIKE_COORDINATE:
        x, y = coordinates[0]
        raise OverlayError(f"{name}: the coordinates (such as {x:.0f}, {y:.0f}) are not longitude/latitude: this "
                           "looks like projected coordinates in metres; declare the CRS or convert to WGS84 "
                           "lon/lat.")


def _is_wgs84(crs: CRS) -> bool:
    return crs.equals(CRS.from_epsg(4326), ignore_axis_order=True)


def _crs_words(crs: CRS) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def _reproject(raw: list[_RawFeature], crs: CRS) -> None:
    drawable = _drawable(raw)
    if not drawable:
        return
    converted = gpd.GeoSeries(_geometry_array(drawable), crs=crs).to_crs(epsg=4326)
    for feature, geometry in zip(drawable, converted):
        feature.geometry = geometry


# --- the result --------------------------------------------------------------------------------------------

def _frame(good: list[_RawFeature]) -> gpd.GeoDataFrame:
    keys = list(dict.fromkeys(key for feature in good for key in feature.properties))
    rows = [[feature.properties.get(key) for key in keys] for feature in good]
    table = pd.DataFrame(rows, columns=keys, index=[feature.index for feature in good], dtype=object)
    return gpd.GeoDataFrame(table, geometry=[feature.geometry for feature in good], crs="EPSG:4326")


def _usable_properties(frame: gpd.GeoDataFrame) -> list[str]:
    return [key for key in frame.columns if key != frame.geometry.name and frame[key].map(_has_value).any()]


def _has_value(value: object) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _nothing_drawable_message(name: str, bad: list[_RawFeature]) -> str:
    if len(bad) == 1:
        return f"{name}: {bad[0].problem_line()}."
    listed = "; ".join(feature.problem_line() for feature in bad[:MAX_LISTED_PROBLEMS])
    more = f"; and {len(bad) - MAX_LISTED_PROBLEMS} more" if len(bad) > MAX_LISTED_PROBLEMS else ""
    return f"{name}: none of the {len(bad)} features can be drawn: {listed}{more}."


def _skipped_warnings(name: str, bad: list[_RawFeature], total: int) -> list[str]:
    if not bad:
        return []
    messages = [f"{name}: {len(bad)} of {total} features cannot be drawn and were left out."]
    messages += [f"{name}: {feature.problem_line()}." for feature in bad[:MAX_LISTED_PROBLEMS]]
    if len(bad) > MAX_LISTED_PROBLEMS:
        messages.append(f"{name}: and {len(bad) - MAX_LISTED_PROBLEMS} more features left out.")
    return messages


def _placement_warnings(name: str, frame: gpd.GeoDataFrame) -> list[str]:
    area = shapely.box(*THEATRE_BOUNDS)
    if frame.intersects(area).any():
        return []
    west, south, east, north = frame.total_bounds
    if shapely.box(south, west, north, east).within(area):
        return [f"{name}: every feature lies outside the map's area (Syria, Iraq and Iran), but would fall inside "
                "it with longitude and latitude swapped; check the coordinate order (GeoJSON is longitude, "
                "latitude)."]
    return [f"{name}: no feature lies in the map's area (Syria, Iraq and Iran); zoom out to see them."]


# --- drawing -----------------------------------------------------------------------------------------------

def overlay_group(overlay: Overlay, style_property: str | None, *,
                  name: str = "Your overlay") -> folium.FeatureGroup:
    """The overlay as one feature group, coloured by `style_property` (one of `overlay.properties`, or None
    for one colour), with a tooltip and popup listing each feature's properties and a legend box.

    `name` is shown by Leaflet's layer control as HTML, so it is escaped here; the layer control (and the
    page's layer-state reporter) therefore knows it by its escaped form."""
    if style_property is not None and style_property not in overlay.properties:
        raise ValueError(f"{style_property!r} is not one of the overlay's properties")
    frame = overlay.frame
    keys = [key for key in frame.columns if key != frame.geometry.name]
    colours, legend_rows = _colours(frame[style_property] if style_property else None, len(frame))
    geometries = shapely.transform(np.asarray(frame.geometry.array), lambda xy: np.round(xy, 6))  # 0.1 m
    features = [{"type": "Feature", "geometry": geometry.__geo_interface__,
                 "properties": {"color": colour, "values": values}}
                for geometry, colour, values in zip(geometries, colours, _escaped_values(frame, keys))]
    group = folium.FeatureGroup(name=_text(name), show=True)
    _OverlayShapes([_text(key) for key in keys], features).add_to(group)
    _GroupControl(_legend_html(overlay.name, style_property, legend_rows), "bottomright",
                  "euphrates-overlay-legend").add_to(group)
    return group


def _text(value: object) -> str:
    """`esc`, and braces and colons as entities too: user text must not read as a template (`{{…}}`) or a URL
    scheme (`javascript:`) to anything that later handles the page. Browsers show the same characters."""
    return esc(value).replace("{", "&#123;").replace("}", "&#125;").replace(":", "&#58;")


def _escaped_values(frame: gpd.GeoDataFrame, keys: list[str]) -> list[list[str | None]]:
    return [[_text(_shortened(value)) if _has_value(value) else None for value in row]
            for row in frame[keys].itertuples(index=False, name=None)]


def _shortened(value: str) -> str:
    return value if len(value) <= MAX_TOOLTIP_VALUE_CHARS else value[:MAX_TOOLTIP_VALUE_CHARS] + "…"


def _colours(values: pd.Series | None, count: int) -> tuple[list[str], list[tuple[str, str]]]:
    """A colour per feature and the legend rows (colour, label)."""
    if values is None:
        return [DEFAULT_COLOR] * count, [(DEFAULT_COLOR, f"{count:,} feature{'s' if count != 1 else ''}")]
    numbers = _as_numbers(values)
    return _numeric_colours(numbers) if numbers is not None else _category_colours(values)


def _as_numbers(values: pd.Series) -> pd.Series | None:
    """The values as floats (NaN where empty) if every non-empty value is a finite number, else None."""
    present = values[values.map(_has_value)]
    try:
        numbers = present.astype(str).str.strip().astype(float)
    except ValueError:
        return None
    if not np.isfinite(numbers).all():
        return None
    return numbers.reindex(values.index)


def _category_colours(values: pd.Series) -> tuple[list[str], list[tuple[str, str]]]:
    present = values[values.map(_has_value)]
    categories = list(present.value_counts(sort=True).index)  # most common first: they get distinct colours
    palette = {value: CATEGORY_PALETTE[i % len(CATEGORY_PALETTE)] for i, value in enumerate(categories)}
    colours = [palette[value] if _has_value(value) else NO_VALUE_COLOR for value in values]
    legend = [(palette[value], _shortened(value)) for value in categories[:MAX_LEGEND_ROWS]]
    if len(categories) > MAX_LEGEND_ROWS:
        legend.append(("", f"… {len(categories) - MAX_LEGEND_ROWS} more values (colours repeat)"))
    if len(present) < len(values):
        legend.append((NO_VALUE_COLOR, "(no value)"))
    return colours, legend


def _numeric_colours(numbers: pd.Series) -> tuple[list[str], list[tuple[str, str]]]:
    lows, highs = _numeric_classes(numbers.dropna().to_numpy())
    steps = (np.linspace(0, len(SEQUENTIAL_PALETTE) - 1, len(lows)).round().astype(int) if len(lows) > 1
             else [len(SEQUENTIAL_PALETTE) // 2])
    palette = [SEQUENTIAL_PALETTE[step] for step in steps]
    values = numbers.to_numpy()
    classes_of = np.searchsorted(lows, values, side="right") - 1
    colours = [NO_VALUE_COLOR if math.isnan(value) else palette[i] for value, i in zip(values, classes_of)]
    legend = [(colour, _number(low) if low == high else f"{_number(low)} – {_number(high)}")
              for colour, low, high in zip(palette, lows, highs)]
    if numbers.isna().any():
        legend.append((NO_VALUE_COLOR, "(no value)"))
    return colours, legend


def _numeric_classes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each class's lowest and highest value: one class per value when there are few, else quantiles."""
    distinct = np.unique(values)
    if len(distinct) <= NUMERIC_CLASSES:
        return distinct, distinct
    breaks = np.unique(np.quantile(values, np.linspace(0, 1, NUMERIC_CLASSES + 1)))
    return breaks[:-1], breaks[1:]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _legend_html(overlay_name: str, style_property: str | None, rows: list[tuple[str, str]]) -> str:
    title = f"<b>{_text(overlay_name)}</b>"
    if style_property:
        title += f'<div style="color:#555">coloured by {_text(style_property)}</div>'
    swatch = ('<span style="display:inline-block;width:12px;height:12px;background:{};border:1px solid #333;'
              'vertical-align:-2px;margin-right:5px"></span>')
    lines = "".join(f'<div style="margin:2px 0">{swatch.format(colour) if colour else ""}{_text(label)}</div>'
                    for colour, label in rows)
    return f'<div style="{_BOX_STYLE}max-width:260px;max-height:300px;overflow:auto">{title}{lines}</div>'


class _OverlayShapes(MacroElement):
    """The overlay's features as one Leaflet GeoJSON layer: points as small circle markers, lines and polygons
    as paths, each in its feature's colour. The tooltip and popup list the feature's properties; the property
    names are sent once and each feature carries only its values, all escaped already."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(group) {
            var keys = {{ this.keys|tojson }};
            function isPoint(feature) { return /Point$/.test(feature.geometry.type); }
            function describe(values) {
                var rows = [];
                values.forEach(function(value, i) {
                    if (value !== null) { rows.push('<b>' + keys[i] + '</b>: ' + value); }
                });
                var more = rows.length - {{ this.max_rows }};
                rows = rows.slice(0, {{ this.max_rows }});
                if (more > 0) { rows.push('<i>and ' + more + ' more properties</i>'); }
                return '<div style="white-space:normal;min-width:140px;max-width:320px;overflow-wrap:anywhere">'
                    + (rows.length ? rows.join('<br>') : '<i>(no properties)</i>') + '</div>';
            }
            L.geoJSON({"type": "FeatureCollection", "features": {{ this.features|tojson }}}, {
                style: function(feature) {
                    var colour = feature.properties.color;
                    return isPoint(feature)
                        ? {radius: 5, color: '#222', weight: 1, fillColor: colour, fillOpacity: 0.9}
                        : {color: colour, weight: 2.5, opacity: 0.9, fillColor: colour, fillOpacity: 0.3};
                },
                pointToLayer: function(feature, latlng) { return L.circleMarker(latlng, {radius: 5}); },
                onEachFeature: function(feature, layer) {
                    var text = describe(feature.properties.values);
                    layer.bindTooltip(text, {sticky: true});
                    layer.bindPopup(text, {maxWidth: 340});
                }
            }).addTo(group);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, keys: list[str], features: list[dict]):
        super().__init__()
        self._name = "OverlayShapes"
        self.keys = keys
        self.features = features
        self.max_rows = MAX_TOOLTIP_ROWS
