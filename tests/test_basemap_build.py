"""scripts/build_basemap.py: the TopoJSON decoder on a hand-made topology, and the built river course."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from pyproj import Geod
from shapely.geometry import LineString, Point, shape
from shapely.ops import nearest_points

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import build_basemap  # noqa: E402

# Two unit squares sharing the edge x=2 (grid units), quantized and delta-encoded:
# arc 0 is the shared edge (2,0)->(2,2), arc 1 the rest of the left square, arc 2 the rest of the right one.
TWO_SQUARES = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [30.0, 10.0]},
    "arcs": [
        [[2, 0], [0, 2]],
        [[2, 2], [-2, 0], [0, -2], [2, 0]],
        [[2, 0], [2, 0], [0, 2], [-2, 0]],
    ],
    "objects": {"squares": {"type": "GeometryCollection", "geometries": [
        {"type": "Polygon", "arcs": [[0, 1]], "id": "left"},
        {"type": "Polygon", "arcs": [[-1, 2]], "id": "right"},
        {"type": "MultiPolygon", "arcs": [[[0, 1]], [[-1, 2]]], "id": "both"},
        {"type": "LineString", "arcs": [1, 0]},
        {"type": None},
    ]}},
}


def grid(*points: tuple[int, int]) -> list[tuple[float, float]]:
    """Grid units to lon/lat under TWO_SQUARES' transform."""
    return [(30.0 + 0.5 * x, 10.0 + 0.25 * y) for x, y in points]


LEFT_RING = grid((2, 0), (2, 2), (0, 2), (0, 0), (2, 0))
RIGHT_RING = grid((2, 2), (2, 0), (4, 0), (4, 2), (2, 2))


def decoded(index: int) -> dict | None:
    geometries = TWO_SQUARES["objects"]["squares"]["geometries"]
    return build_basemap.topojson_geometry(geometries[index], build_basemap.decode_arcs(TWO_SQUARES))


def test_arcs_are_undeltaed_and_transformed():
    arcs = build_basemap.decode_arcs(TWO_SQUARES)
    assert arcs[0] == grid((2, 0), (2, 2))
    assert arcs[2] == grid((2, 0), (4, 0), (4, 2), (2, 2))


def test_arcs_without_transform_are_taken_as_they_are():
    topology = {"arcs": [[[36.5, 35.0], [37.25, 35.5, 99]]]}
    assert build_basemap.decode_arcs(topology) == [[(36.5, 35.0), (37.25, 35.5)]]


def test_polygon_rings_join_arcs_without_repeating_shared_points():
    assert decoded(0) == {"type": "Polygon", "coordinates": [LEFT_RING]}


def test_negative_index_reverses_the_arc():
    assert decoded(1) == {"type": "Polygon", "coordinates": [RIGHT_RING]}


def test_multipolygon_and_linestring():
    assert decoded(2) == {"type": "MultiPolygon", "coordinates": [[LEFT_RING], [RIGHT_RING]]}
    assert decoded(3) == {"type": "LineString", "coordinates": grid((2, 2), (0, 2), (0, 0), (2, 0), (2, 2))}
    assert decoded(4) is None


def test_decoded_squares_are_valid_and_share_one_edge():
    left, right = shape(decoded(0)), shape(decoded(1))
    assert left.is_valid and right.is_valid
    assert left.area == pytest.approx(1.0 * 0.5)
    assert left.intersection(right).length == pytest.approx(0.5)
    assert left.intersection(right).area == 0


def test_unsupported_geometry_type_is_refused():
    with pytest.raises(ValueError):
        build_basemap.topojson_geometry({"type": "Point", "coordinates": [0, 0]}, [])


def test_cut_shares_one_node_between_the_pieces():
    edge = LineString([(0, 0), (1, 0), (1, 1)])
    (before, after), node = build_basemap.cut(edge, 1.5)
    assert node == (1.0, 0.5)
    assert list(before.coords) == [(0, 0), (1, 0), (1, 0.5)]
    assert list(after.coords) == [(1, 0.5), (1, 1)]


RIVERS_FILE = ROOT / "geodata" / "rivers.geojson"


@pytest.mark.skipif(not RIVERS_FILE.exists(), reason="rivers.geojson not built")
@pytest.mark.parametrize("river, lon, lat", [
    ("euphrates", 39.008, 35.953),  # Raqqa
    ("euphrates", 40.141, 35.336),  # Deir ez-Zor
    ("khabur", 40.748, 36.502),  # Hasakah
])
def test_built_river_passes_within_5_km_of_town(river: str, lon: float, lat: float):
    features = json.loads(RIVERS_FILE.read_text(encoding="utf-8"))["features"]
    course = next(shape(item["geometry"]) for item in features if item["properties"]["id"] == river)
    nearest = nearest_points(Point(lon, lat), course)[1]
    metres = Geod(ellps="WGS84").inv(lon, lat, nearest.x, nearest.y)[2]
    assert metres < 5000
