"""The user's overlay: good GeoJSON and KML load (reprojected when a CRS is declared); each kind of bad file is
refused with a message naming the file, the feature and the problem; hostile property text never reaches the
page unescaped."""
from __future__ import annotations

import gzip
import html
import io
import json
import re
import zipfile

import folium
import pytest

from euphrates import overlay as overlay_module
from euphrates.mapbuilder import _GroupControl
from euphrates.overlay import (CATEGORY_PALETTE, MAX_UPLOAD_BYTES, NO_VALUE_COLOR, SEQUENTIAL_PALETTE, Overlay,
                               OverlayError, load_overlay, overlay_group)

RAQQA = (39.0, 35.95)
BOWTIE = {"type": "Polygon", "coordinates": [[[39, 35], [40, 36], [40, 35], [39, 36], [39, 35]]]}
HOSTILE = ["<img src=x onerror=alert(1)>", "${alert(1)}", "{{7*7}}", "javascript:alert(1)",
           "</script><script>alert(1)</script>", "`backtick`"]


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def feature(geometry: dict | None, **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(*features: dict, **members) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features), **members}).encode()


def good_collection() -> bytes:
    return collection(
        feature(point(*RAQQA), name="Raqqa", population=220000, kind="city", nested={"a": [1, 2]}, capital=True),
        feature({"type": "LineString", "coordinates": [[39.0, 35.95], [40.14, 35.33]]}, name="Road", kind="road",
                population=None),
        feature({"type": "Polygon", "coordinates": [[[39, 35], [40, 35], [40, 36], [39, 35]]]}, name="Area",
                kind="city", population=12.5, zip="00123"),
    )


def refused(name: str, data: bytes) -> str:
    with pytest.raises(OverlayError) as error:
        load_overlay(name, data)
    return str(error.value)


# --- good files --------------------------------------------------------------------------------------------

def test_good_geojson_loads_points_lines_and_polygons():
    overlay = load_overlay("mine.geojson", good_collection())
    assert isinstance(overlay, Overlay) and overlay.name == "mine.geojson"
    assert overlay.frame.crs.to_epsg() == 4326
    assert list(overlay.frame.geom_type) == ["Point", "LineString", "Polygon"]
    assert overlay.warnings == []
    assert overlay.properties == ["name", "population", "kind", "nested", "capital", "zip"]


def test_property_values_are_kept_as_text():
    frame = load_overlay("mine.geojson", good_collection()).frame
    assert frame.loc[0, "population"] == "220000"
    assert frame.loc[0, "capital"] == "true"
    assert json.loads(frame.loc[0, "nested"]) == {"a": [1, 2]}
    assert frame.loc[2, "zip"] == "00123"
    assert frame.loc[1, "population"] is None


def test_a_single_feature_or_bare_geometry_is_accepted():
    assert len(load_overlay("one.geojson", json.dumps(feature(point(*RAQQA), name="x")).encode()).frame) == 1
    assert len(load_overlay("bare.json", json.dumps(point(*RAQQA)).encode()).frame) == 1


@pytest.mark.parametrize("crs", [
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32637"}},
    {"type": "name", "properties": {"name": "EPSG:32637"}},
    {"type": "EPSG", "properties": {"code": 32637}},
])
def test_declared_projected_crs_is_reprojected_to_lon_lat(crs):
    # UTM zone 37N: easting 500000 is the zone's central meridian, 39°E.
    overlay = load_overlay("utm.geojson", collection(feature(point(500000, 3900000), name="x"), crs=crs))
    converted = overlay.frame.geometry.iloc[0]
    assert converted.x == pytest.approx(39.0, abs=1e-6)
    assert converted.y == pytest.approx(35.2431, abs=1e-3)
    assert overlay.frame.crs.to_epsg() == 4326
    assert any("EPSG:32637" in warning for warning in overlay.warnings)


def test_declared_wgs84_is_left_as_it_is():
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4326"}}
    overlay = load_overlay("wgs.geojson", collection(feature(point(*RAQQA)), crs=crs))
    assert (overlay.frame.geometry.iloc[0].x, overlay.frame.geometry.iloc[0].y) == RAQQA
    assert overlay.warnings == []


def test_bad_features_are_skipped_with_a_warning_when_others_remain():
    overlay = load_overlay("mixed.geojson", collection(
        feature(None, id="lost"), feature(point(*RAQQA), name="Raqqa"), feature(BOWTIE, name="bow")))
    assert list(overlay.frame.index) == [1]  # numbered as in the file
    text = "\n".join(overlay.warnings)
    assert "2 of 3 features" in text
    assert "feature 0 ('lost'): no geometry" in text
    assert "feature 2 ('bow'): the Polygon is invalid: Self-intersection" in text


def test_swapped_lon_lat_gives_a_hint():
    swapped = collection(feature(point(35.95, 39.0)), feature(point(35.33, 40.14)))
    [warning] = load_overlay("points.geojson", swapped).warnings
    assert "with longitude and latitude swapped" in warning
    assert load_overlay("right.geojson", collection(feature(point(*RAQQA)))).warnings == []


def test_features_far_away_are_drawn_with_a_note():
    warnings = load_overlay("paris.geojson", collection(feature(point(2.35, 48.86)))).warnings
    assert len(warnings) == 1 and "no feature lies in the map's area" in warnings[0]


# --- bad files ---------------------------------------------------------------------------------------------

def test_too_large_is_refused_by_byte_length_before_parsing():
    message = refused("big.geojson", b"x" * (MAX_UPLOAD_BYTES + 1))
    assert message.startswith("big.geojson: ")
    assert "20.1 MB" in message and "limit is 20 MB" in message


@pytest.mark.parametrize("data", [b"", b"  \n\t"])
def test_empty_file_is_refused(data):
    assert refused("empty.geojson", data) == "empty.geojson: the file is empty."


def test_not_utf8_is_refused():
    assert "not UTF-8" in refused("latin.geojson", '{"name": "Dayr az-Zawr é"}'.encode("latin-1"))


def test_not_json_says_where():
    message = refused("broken.geojson", b'{"type": "FeatureCollection",\n "features": [}')
    assert "not valid JSON" in message and "line 2, column" in message


@pytest.mark.parametrize("document, expected", [
    ([1, 2], "the top level is an array"),
    ({"type": "Topology"}, "the top level is an object of type 'Topology'"),
    ({"name": "x"}, "the top level is an object without a GeoJSON 'type'"),
    ("text", "the top level is a string"),
])
def test_json_that_is_not_geojson_says_what_it_is(document, expected):
    message = refused("other.json", json.dumps(document).encode())
    assert "JSON but not GeoJSON" in message and expected in message


def test_feature_collection_without_features():
    no_list = json.dumps({"type": "FeatureCollection"}).encode()
    assert "no 'features' list" in refused("nofeatures.geojson", no_list)
    assert "contains no features" in refused("zero.geojson", collection())


@pytest.mark.parametrize("geometry, expected", [
    (None, "no geometry (it is null)"),
    (BOWTIE, "the Polygon is invalid: Self-intersection"),
    ({"type": "Point", "coordinates": []}, "the geometry is empty"),
    ({"type": "Polygon", "coordinates": []}, "the geometry is empty"),
    ({"type": "Polygon", "coordinates": [[[39, 35], [40, 35]]]}, "the geometry is malformed"),
    ({"type": "Circle", "coordinates": [39, 35]}, "not a GeoJSON geometry"),
    (point(39.0, 135.95), "out of range"),
])
def test_a_file_whose_only_feature_is_bad_is_refused_naming_it(geometry, expected):
    message = refused("bad.geojson", collection(feature(geometry, id="f1")))
    assert message.startswith("bad.geojson: feature 0 ('f1'): ")
    assert expected in message
    assert "projected" not in message


def test_missing_geometry_member_is_refused():
    data = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}}]}).encode()
    assert "feature 0: no geometry" in refused("bad.geojson", data)


def test_every_bad_feature_is_listed_when_none_can_be_drawn():
    message = refused("bad.geojson", collection(feature(None), feature(BOWTIE)))
    assert "none of the 2 features can be drawn" in message
    assert "feature 0: no geometry" in message and "feature 1: the Polygon is invalid" in message


def test_undeclared_metres_are_refused_as_projected():
    message = refused("utm.geojson", collection(feature(point(500000, 3900000)), feature(point(510000, 3910000))))
    assert "projected" in message and "declare the CRS or convert to WGS84" in message


def test_unknown_declared_crs_is_refused():
    crs = {"type": "name", "properties": {"name": "EPSG:999999"}}
    assert "not recognised" in refused("odd.geojson", collection(feature(point(*RAQQA)), crs=crs))


def test_too_many_features_is_refused(monkeypatch):
    monkeypatch.setattr(overlay_module, "MAX_FEATURES", 2)
    message = refused("many.geojson", collection(*[feature(point(*RAQQA))] * 3))
    assert "3 features" in message and "at most 2" in message


def test_other_formats_are_refused():
    assert "only GeoJSON and KML" in refused("roads.shp", b"\x00\x00\x27\x0a")


# --- KML (pyogrio's GDAL has the LIBKML driver) ------------------------------------------------------------

KML = b"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Folder><name>Towns</name>
  <Placemark><name>Raqqa</name><ExtendedData><Data name="pop"><value>220000</value></Data></ExtendedData>
    <Point><coordinates>39.0,35.95</coordinates></Point></Placemark>
  <Placemark><name>Road</name><LineString><coordinates>39,35.95 40.14,35.33</coordinates></LineString></Placemark>
</Folder>
<Folder><name>Areas</name>
  <Placemark><name>Area</name><Polygon><outerBoundaryIs><LinearRing>
    <coordinates>39,35 40,35 40,36 39,35</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
  <Placemark><name>Nowhere</name></Placemark>
</Folder>
</Document></kml>"""


def test_kml_loads_every_folder_with_its_properties():
    overlay = load_overlay("places.kml", KML)
    assert list(overlay.frame.geom_type) == ["Point", "LineString", "Polygon"]
    assert list(overlay.frame["Name"]) == ["Raqqa", "Road", "Area"]
    assert overlay.frame.loc[0, "pop"] == "220000"
    assert list(overlay.frame["KML folder"]) == ["Towns", "Towns", "Areas"]
    assert "tessellate" not in overlay.frame.columns
    assert any("feature 3 ('Nowhere'): no geometry" in warning for warning in overlay.warnings)


def kmz(**files: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


def test_kmz_loads():
    assert len(load_overlay("places.kmz", kmz(**{"doc.kml": KML, "files/icon.png": b"\x89PNG"})).frame) == 3


def test_bad_kmz_is_refused():
    assert "not a readable KMZ" in refused("places.kmz", KML)
    assert "holds no .kml file" in refused("places.kmz", kmz(**{"readme.txt": b"hello"}))
    bomb = kmz(**{"doc.kml": KML[:-len(b"</Document></kml>")] + b" " * MAX_UPLOAD_BYTES + b"</Document></kml>"})
    assert len(bomb) < MAX_UPLOAD_BYTES / 100
    assert "KML inside the archive is over the 20 MB limit" in refused("bomb.kmz", bomb)


def test_kml_with_too_many_folders_for_its_size_is_refused(monkeypatch):
    monkeypatch.setattr(overlay_module, "MAX_KML_PARSE_BYTES", len(KML))  # one folder's worth
    message = refused("places.kml", KML)
    assert "2 folders, too many for its size (at most 1" in message


def test_broken_kml_is_refused():
    message = refused("broken.kml", KML[:200])
    assert message.startswith("broken.kml: the file is not readable KML") and "vsimem" not in message
    assert "another format (GeoJSON)" in refused("really.kml", good_collection())


# --- drawing -----------------------------------------------------------------------------------------------

def drawn_shapes(group: folium.FeatureGroup) -> overlay_module._OverlayShapes:
    [shapes] = [child for child in group._children.values() if isinstance(child, overlay_module._OverlayShapes)]
    return shapes


def drawn_features(group: folium.FeatureGroup) -> list[dict]:
    return drawn_shapes(group).features


def legend(group: folium.FeatureGroup) -> str:
    [box] = [child for child in group._children.values() if isinstance(child, _GroupControl)]
    return box.content


def test_one_colour_without_a_style_property():
    group = overlay_group(load_overlay("a.geojson", good_collection()), None)
    assert {f["properties"]["color"] for f in drawn_features(group)} == {overlay_module.DEFAULT_COLOR}
    assert "3 features" in legend(group)


def test_categories_get_palette_colours_and_a_legend():
    overlay = load_overlay("a.geojson", collection(
        feature(point(*RAQQA), kind="city"), feature(point(39.1, 35.9), kind="village"),
        feature(point(39.2, 35.9), kind="city"), feature(point(39.3, 35.9))))
    group = overlay_group(overlay, "kind")
    colours = [f["properties"]["color"] for f in drawn_features(group)]
    assert colours[0] == colours[2] == CATEGORY_PALETTE[0]  # the most common value first
    assert colours[1] == CATEGORY_PALETTE[1]
    assert colours[3] == NO_VALUE_COLOR
    assert "coloured by kind" in legend(group) and "village" in legend(group) and "(no value)" in legend(group)
    assert "euphrates-overlay-legend" in _render(group)


def test_numbers_get_quantile_classes_on_a_sequential_palette():
    values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    overlay = load_overlay("n.geojson", collection(*[feature(point(39 + v / 100, 35.5), n=v) for v in values]))
    colours = [f["properties"]["color"] for f in drawn_features(overlay_group(overlay, "n"))]
    assert colours[0] == SEQUENTIAL_PALETTE[0] and colours[-1] == SEQUENTIAL_PALETTE[-1]
    ranks = [SEQUENTIAL_PALETTE.index(colour) for colour in colours]
    assert ranks == sorted(ranks) and len(set(ranks)) == len(SEQUENTIAL_PALETTE)
    assert ">1 – 2.8</div>" in legend(overlay_group(overlay, "n"))


def test_numbers_with_gaps_and_ties_still_get_classes():
    overlay = load_overlay("n.geojson", collection(
        feature(point(39.0, 35.5), n="5"), feature(point(39.1, 35.5), n="5"), feature(point(39.2, 35.5)),
        feature(point(39.3, 35.5), n=" 2500.5 ")))
    group = overlay_group(overlay, "n")
    colours = [f["properties"]["color"] for f in drawn_features(group)]
    assert colours[0] == colours[1] != colours[3]
    assert colours[2] == NO_VALUE_COLOR
    assert ">5</div>" in legend(group) and ">2,500</div>" in legend(group)  # a class per value


def test_unknown_style_property_is_an_error():
    with pytest.raises(ValueError):
        overlay_group(load_overlay("a.geojson", good_collection()), "no such property")


def _render(*groups: folium.FeatureGroup) -> str:
    m = folium.Map(tiles=None)
    for group in groups:
        group.add_to(m)
    folium.LayerControl().add_to(m)
    return m.get_root().render()


def _strings_in(page: str) -> list[str]:
    """The page as written, and every JSON/JS string literal in it decoded: tojson writes `<` as \\u003c, so a
    raw search alone would miss unescaped HTML inside the data."""
    decoded = []
    for literal in re.findall(r'"(?:[^"\\\n]|\\.)*"', page):
        try:
            decoded.append(json.loads(literal))
        except json.JSONDecodeError:
            pass
    return [page] + decoded


def _unescaped_hostile(page: str) -> set[str]:
    return {text for text in HOSTILE for string in _strings_in(page) if text in string}


def test_hostile_property_text_is_escaped_everywhere():
    properties = {text: text for text in HOSTILE}
    name = HOSTILE[0] + ".geojson"
    overlay = load_overlay(name, collection(feature(point(*RAQQA), **properties),
                                            feature({"type": "LineString", "coordinates": [[39, 35], [40, 36]]},
                                                    **properties)))
    assert set(overlay.properties) == set(HOSTILE)
    groups = [overlay_group(overlay, None, name=HOSTILE[0])]
    groups += [overlay_group(overlay, key, name=f"by {key}") for key in overlay.properties]
    page = _render(*groups)
    assert _unescaped_hostile(page) == set()
    # ...and the reader still sees the text as written.
    shapes = drawn_shapes(groups[0])
    assert [html.unescape(key) for key in shapes.keys] == HOSTILE
    assert [html.unescape(value) for value in shapes.features[0]["properties"]["values"]] == HOSTILE


def test_braces_in_property_text_never_reach_jinja():
    """branca renders each element's script output again as a Jinja template: `{{…}}` in data would run in
    Python. The page must show the text, not its evaluation."""
    probes = {"a": "{{ 7 * 7 }}", "b": "{{ self.__class__.__name__ }}",
              "c": "{% for x in [1, 2] %}loop{% endfor %}",
              "d": "{# gone #}", "e": "{{ unclosed"}
    overlay = load_overlay("jinja.geojson", collection(feature(point(*RAQQA), **probes)))
    page = _render(overlay_group(overlay, "a", name="{{ 6 * 7 }}"))
    decoded = html.unescape("\n".join(_strings_in(page)))
    for text in list(probes.values()) + ["{{ 6 * 7 }}"]:
        assert text in decoded
    assert "TemplateReference" not in decoded and "looploop" not in decoded


def test_the_hostile_check_catches_unescaped_text():
    group = folium.FeatureGroup(name="raw")
    folium.Marker(RAQQA[::-1], tooltip=folium.Tooltip(HOSTILE[0])).add_to(group)
    folium.Marker(RAQQA[::-1], tooltip=folium.Tooltip(HOSTILE[3])).add_to(group)
    assert _unescaped_hostile(_render(group)) == {HOSTILE[0], HOSTILE[3]}


@pytest.mark.browser
def test_overlay_draws_over_the_map_and_shows_hostile_text_as_text(browser, tmp_path):
    from euphrates.geodata import load_geodata
    from euphrates.mapbuilder import build_map
    from euphrates.offline import VENDOR_DIR
    from euphrates.view import ViewState

    properties = {text: text for text in HOSTILE}
    overlay = load_overlay("hostile.geojson", collection(
        feature(point(*RAQQA), **properties),
        feature({"type": "LineString", "coordinates": [[39.0, 35.95], [40.14, 35.33]]}, kind="road"),
        feature({"type": "Polygon", "coordinates": [[[39, 35], [40, 35], [40, 36], [39, 35]]]}, kind="area")))
    parts = build_map(ViewState(), load_geodata(), asset_base=VENDOR_DIR.as_uri())
    parts.overlays.append(overlay_group(overlay, None))
    page_file = tmp_path / "map.html"
    page_file.write_text(parts.assemble().get_root().render(), encoding="utf-8")

    context = browser.new_context(viewport={"width": 1200, "height": 800})
    page = context.new_page()
    dialogs, errors = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_file.as_uri())
    page.wait_for_selector(".euphrates-overlay-legend")
    colour = overlay_module.DEFAULT_COLOR.lower()
    drawn = page.evaluate("""(colour) => [...document.querySelectorAll('path.leaflet-interactive')]
        .filter(p => [p.getAttribute('fill'), p.getAttribute('stroke')]
            .some(value => (value || '').toLowerCase() === colour)).length""", colour)
    assert drawn >= 3  # the point's circle, the line, the polygon
    tooltip_text = page.evaluate("""() => {
        let found = null;
        for (const key in window) {
            if (key.startsWith('feature_group_') && window[key].eachLayer) {
                window[key].eachLayer(layer => layer.eachLayer && layer.eachLayer(shape => {
                    if (shape.getLatLng && !found) {
                        shape.openTooltip();
                        found = shape.getTooltip().getElement().textContent;
                    }
                }));
            }
        }
        return found;
    }""")
    page.wait_for_timeout(300)  # an injected <img onerror> would fire by now
    context.close()
    assert dialogs == [] and errors == []
    for text in HOSTILE:
        assert f"{text}: {text}" in tooltip_text


def _padded_kml_bomb() -> bytes:
    """A small zip that inflates to 64 MB of KML (spaces GDAL would read whole)."""
    return kmz(**{"doc.kml": KML[:-len(b"</Document></kml>")] + b" " * (64 * 2**20) + b"</Document></kml>"})


@pytest.mark.parametrize("name", ["x.kml", "x.KML"])
def test_a_zip_named_kml_is_read_as_kmz_with_the_size_cap(name):
    bomb = _padded_kml_bomb()
    assert len(bomb) < MAX_UPLOAD_BYTES
    assert "KML inside the archive is over the 20 MB limit" in refused(name, bomb)
    assert len(load_overlay(name, kmz(**{"doc.kml": KML})).frame) == 3  # a real KMZ under a .kml name still loads


@pytest.mark.parametrize("name", ["x.geojson", "x.json"])
def test_archives_named_geojson_are_refused_by_their_bytes(name):
    assert "the file is a zip archive" in refused(name, _padded_kml_bomb())
    assert "the file is a gzip archive" in refused(name, gzip.compress(b'{"type": "FeatureCollection"}'))


def test_an_archive_inside_a_kmz_is_refused():
    inner = gzip.compress(KML)
    assert "the file is a gzip archive" in refused("x.kmz", kmz(**{"doc.kml": inner}))


def test_the_uploader_accepts_kmz():
    from euphrates.streamlit_ui.overlay_page import UPLOAD_TYPES

    assert "kmz" in UPLOAD_TYPES
