"""The one map builder: `ViewState` → Folium map. The Streamlit page, the static site and the PNG export all call
`build_map`, so they draw the same thing.

The map comes in two parts: a base (basemap, country borders, title, legend) that stays the same while the user
toggles, and the overlay feature groups (one per faction, one per layer). The page hands the overlays to
st_folium separately so a toggle swaps layers without reloading the map; `MapParts.assemble()` joins them into
one self-contained `folium.Map` for the site and the export.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable
from datetime import date

import folium
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from euphrates.compare import ground_changes, hatch_lines, place_changes
from euphrates.compare_layer import ChangedPlaces
from euphrates.countries_layer import CountriesLayer
from euphrates.fronts import contact_zones
from euphrates.geodata import GeoData, Layer
from euphrates.html_escape import esc
from euphrates.layer_control_entries import SwitchedOffEntries
from euphrates.locality_layer import LocalityDots
from euphrates.offline import DEFAULT_BASE_URL, LeafletIconPathFix, vendored_links
from euphrates.playback_control import DayBound, PlaybackControl, PlaybackView
from euphrates.popup_fit import PopupFit
from euphrates.popup_text import POPUP_DOM_JS
from euphrates.schema import ControlEntry, Faction, Source
from euphrates.script_json import script_json
from euphrates.timeline import (PlaceState, control_areas_on, entry_on, events_until, place_state_on,
                                state_words)
from euphrates.view import ViewState

NEUTRAL = "#7a7a7a"
NEAR_FILL_OPACITY, FAR_FILL_OPACITY = 0.35, 0.12
LEGEND_COLLAPSE_BELOW_PX = 800  # a map narrower than this (phone, tablet) starts with the legend collapsed
ROUTE_COLOR = "#CC79A7"  # the one Okabe-Ito colour no faction uses
EVENT_COLOR = "#333333"
SITE_COLOR = "#8c6d1f"
_SITE_ICON = (f'<svg width="16" height="16" viewBox="0 0 16 16"><path d="M8 1.5L15 14.5H1Z" fill="{SITE_COLOR}" '
              'stroke="#111" stroke-width="1.2"/></svg>')
RIVER_COLOR = "#3a7fc1"
DECONFLICTION_COLOR = "#6a3d9a"
RECENT_EVENT_DAYS = 31
# Below this zoom the labels of small towns hide (their symbols stay), so the valley stays readable.
MINOR_LABEL_MIN_ZOOM = 8
# Past this a town fills the screen and the data (town points, schematic areas) says nothing more.
MAX_ZOOM = 16
DEFAULT_TITLE_PREFIX = "Eastern Syria, "
# Overlays besides the factions' that show the page's day; the playback hides them while it plays.
DAY_BOUND_LAYERS = ("contact_zones", "sites", "events")
MAJOR_TOWN_POPULATION = 40_000
MAJOR_TOWN_Z = 1000
MAJOR_TOWNS = {"raqqa", "tabqa", "manbij", "deir-ez-zor", "mayadeen", "bukamal", "qaim", "hajin", "al-busayrah"}
# Compact JSON in every script folium writes (the app's, the site's and the exports' maps): a map's data is
# mostly coordinates, and the spaces of json.dumps's default ", " were 3% of the default view's payload. folium's
# templates share this one Jinja environment.
folium.GeoJson._template.environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "separators": (",", ":")}

# Names of the non-faction overlay groups in the layer control, by ViewState layer.
GROUP_NAMES = {"contact_zones": "Contact zones", "rivers": "Rivers", "deconfliction": "Deconfliction line",
               "routes": "Routes and corridors", "sites": "Oil, gas and dams", "events": "Events",
               "other_places": "Other places"}

TILE_BASEMAPS = {
    "osm": dict(tiles="https://tile.openstreetmap.org/{z}/{x}/{y}.png", name="OpenStreetMap",
                attr="&copy; OpenStreetMap contributors"),
    "satellite": dict(tiles="https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}",
                      name="Satellite (Esri World Imagery)", attr="Imagery &copy; Esri, Maxar, Earthstar Geographics"),
}
ATTRIBUTION = ("Areas approximate, from sourced places and OCHA's settlements. Borders: Natural Earth. Rivers: "
               "CIA World Data Bank II. Places: GeoNames, OCHA, cited pages. Story: The Washington Post, "
               "20 Oct 2017; sources per feature.")


def http_url(url: str | None) -> str | None:
    """The URL if it is http(s); None for anything else (javascript:, data:, …)."""
    return url if url and url.lower().startswith(("https://", "http://")) else None


def safe_url(url: str | None) -> str | None:
    """The URL escaped for an href="…", if it is http(s); None for anything else."""
    url = http_url(url)
    return esc(url) if url else None


@dataclass
class MapParts:
    base: folium.Map
    overlays: list[folium.FeatureGroup] = field(default_factory=list)
    layer_control: folium.LayerControl = field(default_factory=lambda: folium.LayerControl(collapsed=True))

    def assemble(self) -> folium.Map:
        """One complete map with every overlay added: for the static site and the PNG export."""
        for group in self.overlays:
            group.add_to(self.base)
        self.layer_control.add_to(self.base)
        return self.base


def build_map(view: ViewState, geodata: GeoData, *, title: str | None = None,
              asset_base: str = DEFAULT_BASE_URL, playback_url: str | None = None,
              stories_url: str | None = None, group_cache: GroupCache | None = None) -> MapParts:
    """The map of `view`. `asset_base` is where the vendored web assets are, relative to the page that shows
    the map: the default suits st_folium's component iframe; the static site and the PNG export pass their own.
    `playback_url` (the playback data script, relative to the page) adds the play control; `stories_url` (the
    villages' stories script) keeps the villages' sources out of the page until a popup asks for them.
    `group_cache(key, make)` may return a stored group for `key` instead of calling `make()`: each key names
    everything its group shows (the page's cache, see streamlit_ui/overlay_cache.py)."""
    cached = group_cache or (lambda _key, make: make())
    version = geodata.version or id(geodata)  # changed files make new keys
    factions = geodata.factions
    base = _base_map(view, geodata)
    # Leaflet and jQuery (st_folium's frontend calls $); the map uses no Bootstrap or icon fonts, which cost
    # load time.
    base.default_js = vendored_links([link for link in folium.Map.default_js if link[0] in ("leaflet", "jquery")],
                                     asset_base)
    base.default_css = vendored_links([link for link in folium.Map.default_css if link[0] == "leaflet_css"],
                                      asset_base)
    LeafletIconPathFix(asset_base).add_to(base)
    _LayerStateReporter().add_to(base)
    _ZoomClasses().add_to(base)
    PopupFit().add_to(base)
    export = _ExportControl()
    export.default_js = vendored_links(_ExportControl.default_js, asset_base)
    export.add_to(base)
    if playback_url:
        PlaybackControl(playback_url).add_to(base)
    furniture = folium.FeatureGroup(name="Title and legend", control=False, show=True)
    span = view.compared_span
    compared = f" · compared with {_long_date(view.compare)}" if span else ""
    _add_title(furniture, title or f"{DEFAULT_TITLE_PREFIX}{_long_date(view.date)}{compared}", view.date)
    PlaybackView(view.date, view.factions, view.layers, None if title else DEFAULT_TITLE_PREFIX).add_to(furniture)
    _add_legend(furniture, [factions[f] for f in factions if f in view.factions])
    overlays = [furniture]
    drawn = tuple(layer for layer in ("control_areas", "towns", "localities") if layer in view.layers)
    held = _held_on(geodata, view.date)
    for faction_id in view.factions:
        if faction_id in factions:
            # Keyed by what the group draws, not by the day: on most days nothing changes hands, and the next
            # day's group is the same one.
            overlays.append(cached(("faction", version, faction_id, held.get(faction_id, ()), drawn, stories_url),
                                   lambda faction_id=faction_id: _stable(_faction_group(view, geodata, faction_id,
                                                                                        stories_url))))
    if span:
        overlays.append(cached(("changes", version, span, view.factions, view.layers),
                               lambda: _stable(_changes_group(view, geodata, *span))))
    for name, builder in (("contact_zones", _contact_zones_group), ("rivers", _rivers_group),
                          ("deconfliction", _deconfliction_group),
                          ("routes", _routes_group), ("sites", _sites_group), ("events", _events_group)):
        source = "control_areas" if name == "contact_zones" else name  # zones are drawn from the areas
        if name in view.layers and geodata.layer(source) is not None:
            if name == "contact_zones":  # drawn from the day's near ground of the factions shown
                key = (name, version, view.factions, held.get("", ()))
            else:
                key = (name, version, *((view.date,) if name in DATED_LAYERS else ()))
            overlays.append(cached(key, lambda builder=builder, name=name: _stable(
                _day_bound(builder(view, geodata)) if name in DAY_BOUND_LAYERS else builder(view, geodata))))
    if "other_places" in view.layers and geodata.layer("towns") is not None \
            and _reference_towns_group(view, geodata) is not None:
        overlays.append(cached(("other_places", version, view.date),
                               lambda: _stable(_reference_towns_group(view, geodata))))
    off = [esc(faction.short_name) for faction_id, faction in factions.items() if faction_id not in view.factions]
    off += [GROUP_NAMES[layer] for layer in GROUP_NAMES if layer not in view.layers]
    SwitchedOffEntries(off).add_to(furniture)
    _stable_ids(overlays)
    return MapParts(base=base, overlays=overlays)


GroupCache = Callable[[tuple, Callable[[], folium.FeatureGroup]], folium.FeatureGroup]
# Overlays whose content depends on the day shown (the others draw the same on every day).
DATED_LAYERS = ("contact_zones", "deconfliction", "sites", "events")


def _held_on(geodata: GeoData, day: date) -> dict[str, tuple]:
    """What each faction holds on `day`, as keys for the group cache: its area versions and the control entries
    in force at the places it holds (faction id → sorted tuple); "" → every near area version of the day."""
    held: dict[str, list] = {}
    areas = geodata.layer("control_areas")
    if areas is not None:
        for area in areas.records:
            if area.valid_from <= day and (area.valid_to is None or day <= area.valid_to):
                held.setdefault(area.faction, []).append(area.id)
                if area.ground == "near":
                    held.setdefault("", []).append(area.id)
    for name in ("towns", "localities"):
        layer = geodata.layer(name)
        for record in layer.records if layer else []:
            entry = entry_on(record.control, day)
            if entry is not None and entry.controller is not None:
                held.setdefault(entry.controller, []).append((record.id, entry.from_.isoformat()))
    return {key: tuple(sorted(value, key=str)) for key, value in held.items()}


def _stable(group: folium.FeatureGroup) -> folium.FeatureGroup:
    _stable_ids([group])
    return group


def _day_bound(group: folium.FeatureGroup) -> folium.FeatureGroup:
    DayBound().add_to(group)
    return group


def _stable_ids(groups: list[folium.FeatureGroup]) -> None:
    """Number every element in the overlay groups instead of folium's random ids, so the same view renders the
    same script. st_folium re-adds the overlays only when that script changes: a rerun that changes nothing
    (a pan reporting its bounds) then leaves the map alone, and an open popup stays open."""
    for group_index, group in enumerate(groups):
        numbers = iter(range(10**9))
        containers = [group]
        while containers:
            container = containers.pop(0)
            # A popup keeps its HTML in sub-elements outside _children.
            parts = [getattr(container, name, None) for name in ("header", "html", "script")]
            for element in [*container._children.values(), *(p for p in parts if isinstance(p, Element))]:
                element._id = f"g{group_index}n{next(numbers)}"  # no "_": st_folium splits names on it
                containers.append(element)
            # Templates name children by their key here (a popup's HTML, say), so re-key them.
            container._children = type(container._children)(
                (child.get_name(), child) for child in container._children.values())


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


# --- base --------------------------------------------------------------------------------------------------

def _base_map(view: ViewState, geodata: GeoData) -> folium.Map:
    west, south, east, north = view.bounds
    base = folium.Map(location=[(south + north) / 2, (west + east) / 2], zoom_start=7, tiles=None,
                      max_zoom=MAX_ZOOM, control_scale=True, max_bounds=False, attribution_control=True, zoomSnap=0.25,
                      zoomDelta=0.5)
    # Not animated: an animated fit leaves the scale bar on the first zoom and the vectors mid-transform for a
    # moment, which a PNG export then captures (issue 11, item 3).
    fit = folium.map.FitBounds([[south, west], [north, east]])
    fit.options["animate"] = False
    fit.add_to(base)
    if view.basemap in TILE_BASEMAPS:
        folium.TileLayer(**TILE_BASEMAPS[view.basemap], control=False).add_to(base)
    if geodata.layer("countries") is not None:
        CountriesLayer(geodata, filled=view.basemap == "vector").add_to(base)
    return base


class _GroupControl(MacroElement):
    """A box inside the map container (so the PNG export captures it) that lives and dies with its feature
    group: st_folium swaps overlay groups on a rerun without reloading the map, and the box goes with them."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function() {
            var group = {{ this._parent.get_name() }};
            var box = L.control({position: {{ this.position|tojson }}});
            box.onAdd = function(map) {
                var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
                div.innerHTML = {{ this.content|tojson }};
                var details = div.querySelector('details[data-collapse-below]');
                if (details) {
                    // Collapsed on a narrow map unless the reader opened it (remembered across reruns).
                    var key = 'euphrates-open-' + {{ this.css_class|tojson }}, remembered = null;
                    try { remembered = sessionStorage.getItem(key); } catch (e) {}
                    details.open = remembered !== null ? remembered === '1'
                        : map.getSize().x >= Number(details.dataset.collapseBelow);
                    details.addEventListener('toggle', function() {
                        try { sessionStorage.setItem(key, details.open ? '1' : '0'); } catch (e) {}
                    });
                }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            function attach() { if (group._map && !box._map) { box.addTo(group._map); } }
            group.on('add', attach);
            group.on('remove', function() { box.remove(); });
            attach();
            setTimeout(attach, 0);
        })();
        {% endmacro %}
    """)

    def __init__(self, content: str, position: str, css_class: str):
        super().__init__()
        self._name = "GroupControl"
        self.content = content
        self.position = position
        self.css_class = css_class


class _PointLayer(MacroElement):
    """Many point markers as one element: the markers are made in the browser from a JSON list. One element
    instead of four per marker (marker, icon, tooltip, popup) keeps the Python build and render fast.

    Each point: lat, lon, tooltip (HTML, already escaped), either `icon` (HTML for a DivIcon, with `z`, an
    optional zIndexOffset) or `circle` (Leaflet path options for a CircleMarker), and either `popup` (HTML,
    already escaped) or `story` (a place's control history as text, see `_town_story`), which the browser builds
    into a popup from text nodes only when it opens: whole histories as HTML cost about twice the bytes in the
    page."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(group) {
            {{ this.popup_dom_js }}
            function story(s) {
                var box = document.createElement('div');
                box.className = 'euphrates-popup';
                box.style.cssText = 'font:12px system-ui,sans-serif;max-height:300px;overflow:auto';
                add(box, 'b', s.name, 'font-size:14px');
                if (s.name_ar) {
                    var arabic = add(box, 'span', ' ' + s.name_ar);
                    arabic.dir = 'rtl';
                    arabic.lang = 'ar';
                }
                add(box, 'br');
                add(box, 'small', s.aliases ? 'Also: ' + s.aliases : '');
                add(box, 'br');
                add(box, 'b', s.holder);
                add(box, 'span', s.since);
                var table = add(box, 'table', null, 'margin-top:4px;border-collapse:collapse');
                s.history.forEach(function(row) {
                    var tr = add(table, 'tr');
                    add(tr, 'td', row[0], 'vertical-align:top;padding-right:6px;white-space:nowrap');
                    var what = add(tr, 'td', row[1]);
                    if (row[2]) { add(what, 'br'); add(what, 'small', row[2]); }
                });
                var sources = add(box, 'div', null, 'margin-top:4px');
                add(sources, 'b', 'Sources');
                addSources(sources, s.sources, 'margin:2px 0;padding-left:16px');
                add(box, 'small', 'Coordinates: ' + s.position, 'color:#666');
                return box;
            }
            {{ this.points_json }}.forEach(function(point) {
                var marker = point.icon
                    ? L.marker([point.lat, point.lon], {zIndexOffset: point.z || 0, icon: L.divIcon({
                        html: point.icon, iconSize: point.icon_size, iconAnchor: point.icon_anchor,
                        className: point.class_name})})
                    : L.circleMarker([point.lat, point.lon], point.circle);
                marker.bindTooltip(point.tooltip);
                if (point.story) {
                    marker.bindPopup(function() { return story(point.story); }, {maxWidth: 380});
                } else {
                    marker.bindPopup(point.popup, {maxWidth: 380});
                }
                marker.addTo(group);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, points: list[dict]):
        super().__init__()
        self._name = "PointLayer"
        self.popup_dom_js = POPUP_DOM_JS
        self.points = points
        # Not `tojson`: it writes every non-ASCII letter as a 6-byte escape.
        self.points_json = script_json(points)


def _icon_point(geometry, icon: str, tooltip: str, popup: str | dict, size=(150, 20), anchor=(9, 10),
                class_name: str = "euphrates-icon") -> dict:
    """A point for `_PointLayer`; `popup` is HTML, or a story (dict) the browser builds from text."""
    point = {"lat": geometry.y, "lon": geometry.x, "icon": icon, "icon_size": list(size),
             "icon_anchor": list(anchor), "class_name": class_name, "tooltip": tooltip}
    point["story" if isinstance(popup, dict) else "popup"] = popup
    return point


class _ExportControl(JSCSSMixin, MacroElement):
    """An "Export PNG" control: renders the map container (title, legend and attribution included; zoom,
    layer and export controls left out) with html-to-image in the reader's browser and downloads it."""

    default_js = [("html_to_image", "html-to-image/dist/html-to-image.js")]
    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(map) {
            var control = L.control({position: 'topright'});
            control.onAdd = function() {
                var box = L.DomUtil.create('div', 'leaflet-bar euphrates-export');
                box.style.cssText = 'background:#fff;padding:4px 6px;font:12px system-ui,sans-serif';
                box.innerHTML = '<span>Export PNG </span>'
                    + '<button type="button" data-scale="1" title="Download a PNG of this view">1×</button> '
                    + '<button type="button" data-scale="2" title="Download at twice the resolution, for print">2×</button>'
                    + '<div class="euphrates-export-status" role="status" style="max-width:220px"></div>';
                L.DomEvent.disableClickPropagation(box);
                box.querySelectorAll('button').forEach(function(button) {
                    button.addEventListener('click', function() { run(box, Number(button.dataset.scale)); });
                });
                return box;
            };
            function fileName() {
                var title = map.getContainer().querySelector('.euphrates-title [data-date]');
                return 'euphrates_' + (title ? title.dataset.date : 'map') + '.png';
            }
            function keep(node) {
                var cls = node.classList;
                return !(cls && (cls.contains('leaflet-control-zoom') || cls.contains('leaflet-control-layers')
                                 || cls.contains('euphrates-export')));
            }
            function run(box, scale) {
                var status = box.querySelector('.euphrates-export-status');
                var buttons = box.querySelectorAll('button');
                if (!window.htmlToImage) { status.textContent = 'Export unavailable: html-to-image did not load.'; return; }
                buttons.forEach(function(b) { b.disabled = true; });
                status.textContent = 'Rendering…';
                var name = fileName();
                // The PNG shows the legend whole, even if the reader collapsed it on screen.
                var closed = [].filter.call(map.getContainer().querySelectorAll('details'),
                                            function(d) { return !d.open; });
                closed.forEach(function(d) { d.open = true; });
                window.htmlToImage.toBlob(map.getContainer(), {
                    pixelRatio: scale, filter: keep, cacheBust: false,
                    imagePlaceholder: 'data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=='
                }).then(function(blob) {
                    var link = document.createElement('a');
                    link.download = name;
                    link.href = URL.createObjectURL(blob);
                    document.body.appendChild(link);
                    link.click();
                    link.remove();
                    setTimeout(function() { URL.revokeObjectURL(link.href); }, 10000);
                    status.textContent = 'Saved ' + name;
                }).catch(function(error) {
                    status.textContent = 'Export failed: ' + (error && error.message ? error.message : String(error))
                        + '. With an online basemap, try the bundled one.';
                }).finally(function() {
                    closed.forEach(function(d) { d.open = false; });
                    buttons.forEach(function(b) { b.disabled = false; });
                });
            }
            control.addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "ExportControl"


class _ZoomClasses(MacroElement):
    """Marks the map container `euphrates-zoomed-out` below MINOR_LABEL_MIN_ZOOM; a style rule then hides
    the minor towns' labels. The rule is added by script because st_folium drops the map's header."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(map) {
            if (!document.getElementById('euphrates-style')) {
                var style = document.createElement('style');
                style.id = 'euphrates-style';
                style.textContent = '.euphrates-zoomed-out .euphrates-town.minor span {display: none}';
                document.head.appendChild(style);
            }
            function mark() {
                L.DomUtil[map.getZoom() < {{ this.min_zoom }} ? 'addClass' : 'removeClass'](
                    map.getContainer(), 'euphrates-zoomed-out');
            }
            map.on('zoomend', mark);
            map.whenReady(mark);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "ZoomClasses"
        self.min_zoom = MINOR_LABEL_MIN_ZOOM


class _LayerStateReporter(MacroElement):
    """Under st_folium, report the overlays the layer control lists and which are ticked, so the page can keep
    its sidebar in step. streamlit-folium 0.27 tracks only WMS layers in `selected_layers`; this fills it for
    every overlay just before its own handler sends the value. Outside st_folium there is no __GLOBAL_DATA__
    and it does nothing."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(map) {
            map.on('overlayadd overlayremove', function() {
                var data = window.__GLOBAL_DATA__, control = window.layer_control;
                // Only the reader's clicks in the control: st_folium swapping the groups on a rerun removes and
                // adds them too, and reporting that would switch the sidebar's boxes off.
                if (!data || !control || !control._handlingClick) { return; }
                var listed = {}, decoder = document.createElement('textarea');
                control._layers.forEach(function(entry) {
                    if (entry.overlay) {
                        decoder.innerHTML = entry.name;  // names are HTML-escaped; a textarea only decodes them
                        listed[decoder.value] = {name: decoder.value, url: null, shown: map.hasLayer(entry.layer)};
                    }
                });
                data.selected_layers = listed;
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)


_BOX_STYLE = ("background:rgba(255,255,255,0.92);padding:6px 9px;border-radius:4px;box-shadow:0 1px 4px "
              "rgba(0,0,0,.35);font:12px/1.35 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#222;")


def _add_title(group: folium.FeatureGroup, title: str, day: date) -> None:
    content = (f'<div data-date="{day.isoformat()}" style="{_BOX_STYLE}font-size:15px;font-weight:600">'
               f'{esc(title)}</div>')
    _GroupControl(content, "topleft", "euphrates-title").add_to(group)


_SWATCH = ("display:inline-block;width:12px;height:12px;border:1px solid #333;vertical-align:-2px;"
           "margin:0 4px 0 2px;")


def _add_legend(group: folium.FeatureGroup, factions: list[Faction]) -> None:
    rows = "".join(
        f'<div style="margin:2px 0"><span style="display:inline-block;width:12px;height:12px;'
        f'background:{esc(f.color)};opacity:.8;border:1px solid #333;vertical-align:-2px;margin-right:5px"></span>'
        f'<b>{esc(f.short_name)}</b> <span style="color:#555">{esc("; ".join(f.backers))}</span></div>'
        for f in factions
    )
    symbols = (
        '<div style="margin-top:4px;color:#333">'
        f'{_town_symbol_svg(PlaceState("held", None, (), date.min, None), {}, 12)} held '
        f'{_town_symbol_svg(PlaceState("contested", None, (), date.min, None), {}, 12)} contested '
        f'{_town_symbol_svg(PlaceState("besieged", None, (), date.min, None), {}, 12)} besieged '
        f'{_town_symbol_svg(PlaceState("mixed", None, (), date.min, None), {}, 12)} mixed</div>'
        f'<div style="margin-top:3px"><span style="display:inline-block;width:22px;border-top:3px dashed '
        f'{DECONFLICTION_COLOR};vertical-align:3px"></span> deconfliction line (tentative)</div>'
        f'<div class="euphrates-legend-ground" style="margin-top:3px;color:#333">'
        f'<span style="{_SWATCH}background:rgba(90,90,90,{NEAR_FILL_OPACITY})"></span>near sourced places'
        f'<span style="{_SWATCH}background:rgba(90,90,90,{FAR_FILL_OPACITY});border-style:dotted"></span>pale: '
        f'hinterland<span style="{_SWATCH}background:rgba(51,51,51,.12);border-style:dashed"></span>contact '
        f'zone; blank: desert, not assigned</div>'
    )
    # A <details> box: collapsed on a narrow map (see _GroupControl), opened for every PNG export.
    content = (f'<div style="{_BOX_STYLE}max-width:300px">'
               f'<details open data-collapse-below="{LEGEND_COLLAPSE_BELOW_PX}"><summary>Who held what</summary>'
               f'{rows}{symbols}<div style="margin-top:4px;color:#555;font-size:10.5px">{esc(ATTRIBUTION)}</div>'
               f'</details></div>')
    _GroupControl(content, "bottomleft", "euphrates-legend").add_to(group)


# --- faction groups: control areas and the towns each faction held -----------------------------------------

def _faction_group(view: ViewState, geodata: GeoData, faction_id: str,
                   stories_url: str | None = None) -> folium.FeatureGroup:
    """What `faction_id` held on the view's day: its areas, villages and towns (those of the view's layers)."""
    faction = geodata.factions[faction_id]
    # Leaflet's layer control shows the name as HTML; _LayerStateReporter reports it back unescaped.
    group = folium.FeatureGroup(name=esc(faction.short_name), show=True)
    DayBound().add_to(group)
    if "control_areas" in view.layers:
        areas = control_areas_on(geodata, view.date)
        if not areas.empty:
            _add_control_area(group, areas[areas["faction"] == faction_id], faction)
    if "localities" in view.layers and geodata.layer("localities") is not None:
        _add_localities(group, geodata.layer("localities"), view.date, geodata.factions, faction_id, stories_url)
    if "towns" in view.layers and geodata.layer("towns") is not None:
        _add_towns(group, geodata.layer("towns"), view.date, geodata.factions,
                   lambda state: state is not None and state.controller == faction_id)
    return group


def _add_control_area(group: folium.FeatureGroup, rows, faction: Faction) -> None:
    """The faction's ground near sourced places (solid) and its hinterland (pale, no outline); near first, so
    the pale tint is drawn under it."""
    for _, row in rows.sort_values("ground", key=lambda column: column != "near").iterrows():
        far = row["ground"] == "far"
        what = "Hinterland tinted for the nearest holder" if far else "Approximate area held"
        tooltip = (f"<b>{esc(faction.name)}</b><br>{what}, {esc(row['valid_from'])} to "
                   f"{esc(row['valid_to'] or 'end of data')}")
        popup = (f"<b>{esc(faction.name)}</b> ({'hinterland, ' if far else ''}approximate)<br>"
                 f"<small>{esc(row['method'])}</small>"
                 f"{_sources_html([Source.model_validate(s) for s in row['sources']][:12])}")
        folium.GeoJson(
            _display_geometry(row.geometry, far).__geo_interface__,
            style_function=lambda _feature, color=faction.color, far=far: {
                "color": color, "weight": 0.5 if far else 1, "dashArray": "2 3" if far else None,
                "fillColor": color, "fillOpacity": FAR_FILL_OPACITY if far else NEAR_FILL_OPACITY,
                "opacity": 0.6 if far else 0.9},
            tooltip=folium.Tooltip(tooltip),
            popup=folium.Popup(popup, max_width=360),
        ).add_to(group)


def _display_geometry(geometry, far: bool):
    """The area as drawn, simplified to about 200 m (the pale hinterland to 1.2 km) and written to 3 decimals:
    finer than the areas are known (a pixel is 600 m at the default zoom), and it keeps a day's map under
    600 KB."""
    geometry = geometry.simplify(0.012 if far else 0.002, preserve_topology=True)
    return shapely.set_precision(geometry, 1e-3, mode="pointwise")


def _add_localities(group: folium.FeatureGroup, localities: Layer, day: date, factions: dict[str, Faction],
                    faction_id: str, stories_url: str | None = None) -> None:
    """The villages and districts `faction_id` held on `day`: small dots (a ring of the other side's colour
    while contested). The popup gives the place's whole history from the stories script at `stories_url`, or,
    without one, the entry in force and its sources from the page."""
    colours = {key: value.color for key, value in factions.items()}
    records = []
    for locality, geometry in zip(localities.records, localities.frame.geometry):
        state = place_state_on(locality.control, day)
        if state is None or state.controller != faction_id:
            continue
        others = [f for f in state.factions if f != state.controller]
        approx = " (location approximate)" if locality.approximate else ""
        words = state_words(state, factions)
        entry = state.entry
        sources = {(source.publication, source.date, source.url): source for source in entry.sources}.values()
        record = {
            "id": locality.id, "lat": round(geometry.y, 5), "lon": round(geometry.x, 5), "name": locality.name,
            "fill": colours.get(faction_id, "#bbbbbb"), "ring": colours.get(others[0], "#333") if others else "#333",
            "weight": 2 if others else 1, "holder": words,
            "since": f"{entry.from_.isoformat()}{' (approx.)' if entry.date_approximate else ''}",
        }
        if locality.approximate:
            record["approx"] = 1
        if stories_url is None:  # no stories script: the popup's text goes in the page
            record.update({
                "name_ar": locality.name_ar or "",
                "about": f"{locality.kind}, {locality.admin}{approx}", "note": entry.note or "",
                "sources": [[f"{source.publication}, {source.date.isoformat() if source.date else 'n.d.'}",
                             http_url(source.url)] for source in sources],
                "position": locality.coord_source.split(",")[0],
            })
        records.append(record)
    if records:
        LocalityDots(records, stories_url).add_to(group)


def _add_towns(group: folium.FeatureGroup, towns: Layer, day: date, factions: dict[str, Faction], keep) -> None:
    colours = {faction_id: faction.color for faction_id, faction in factions.items()}
    points = []
    for town, geometry in zip(towns.records, towns.frame.geometry):
        state = place_state_on(town.control, day)
        if keep(state):
            points.append(_town_point(town, geometry, state, colours, factions))
    if points:
        _PointLayer(points).add_to(group)


def _reference_towns_group(view: ViewState, geodata: GeoData) -> folium.FeatureGroup | None:
    """Places whose control is not tracked (capitals abroad): drawn grey, with no faction."""
    group = folium.FeatureGroup(name="Other places", show=True)
    _add_towns(group, geodata.layer("towns"), view.date, geodata.factions, lambda state: state is None)
    return group if group._children else None


def _town_symbol_svg(state: PlaceState | None, colours: dict[str, str], size: int = 16) -> str:
    """A symbol readable in greyscale: the shape says the state, the colour says who."""
    if state is None:
        return (f'<svg width="{size}" height="{size}" viewBox="0 0 16 16" style="vertical-align:middle;flex:none">'
                f'<circle cx="8" cy="8" r="5" fill="#fff" stroke="{NEUTRAL}" stroke-width="2"/></svg>')
    holder = colours.get(state.controller or "", "#bbbbbb")
    others = [colours.get(f, "#bbbbbb") for f in state.factions if f != state.controller] or ["#bbbbbb"]
    svg = f'<svg width="{size}" height="{size}" viewBox="0 0 16 16" style="vertical-align:middle;flex:none">'
    if state.state == "contested":  # square split on the diagonal: holder and challenger
        svg += (f'<path d="M2 2H14L2 14Z" fill="{holder}" stroke="#111" stroke-width="1.2"/>'
                f'<path d="M14 2V14H2Z" fill="{others[0]}" stroke="#111" stroke-width="1.2"/>'
                '<path d="M14 2L2 14" stroke="#111" stroke-width="1.6"/>')
    elif state.state == "besieged":  # holder's dot inside a thick ring of the besieger
        svg += (f'<circle cx="8" cy="8" r="6" fill="{others[0]}" stroke="#111" stroke-width="1"/>'
                f'<circle cx="8" cy="8" r="3.2" fill="{holder}" stroke="#111" stroke-width="1"/>')
    elif state.state == "mixed":  # circle halved vertically
        svg += (f'<path d="M8 2A6 6 0 0 0 8 14Z" fill="{holder}" stroke="#111" stroke-width="1"/>'
                f'<path d="M8 2A6 6 0 0 1 8 14Z" fill="{others[0]}" stroke="#111" stroke-width="1"/>')
    else:
        svg += f'<circle cx="8" cy="8" r="5.5" fill="{holder}" stroke="#111" stroke-width="1.5"/>'
    return svg + "</svg>"


def _town_point(town, geometry, state: PlaceState | None, colours, factions) -> dict:
    symbol = _town_symbol_svg(state, colours, 18)
    minor = town.id not in MAJOR_TOWNS and (town.population or 0) < MAJOR_TOWN_POPULATION
    label = (f'<div class="euphrates-town{" minor" if minor else ""}" data-town="{esc(town.id)}" data-state="{esc(state.state if state else "")}"'
             f' data-controller="{esc(state.controller if state else "")}" style="display:flex;align-items:center;'
             f'gap:2px;white-space:nowrap;font:600 12px system-ui,sans-serif;color:#111;text-shadow:0 0 2px #fff,'
             f'0 0 2px #fff,0 0 3px #fff">{symbol}'
             # a name longer than the icon's box is cut short (the tooltip and popup have it whole)
             f'<span style="overflow:hidden;text-overflow:ellipsis">{esc(town.name)}</span></div>')
    point = _icon_point(geometry, label, esc(f"{town.name} — {state_words(state, factions)}"),
                        _town_popup(town, state, factions), class_name="euphrates-town-icon")
    if not minor:  # above the minor towns' labels, which Leaflet would stack by latitude (Dhiban over Mayadeen)
        point["z"] = MAJOR_TOWN_Z
    return point


def _town_popup(town, state: PlaceState | None, factions: dict[str, Faction]) -> dict:
    """The town's story as text (names, holder, whole history, sources, position): `_PointLayer` builds the
    popup from it in the browser."""
    sources: dict[tuple, Source] = {}
    for source in [s for entry in town.control for s in entry.sources] + list(town.sources):
        sources.setdefault((source.publication, source.title, source.url), source)
    return {
        "name": town.name, "name_ar": town.name_ar or "", "aliases": ", ".join(town.aliases),
        "holder": state_words(state, factions), "since": f" since {_long_date(state.since)}" if state else "",
        "history": [[entry.from_.isoformat() + (" (approx.)" if entry.date_approximate else ""),
                     state_words(place_state_on([entry], entry.from_), factions), entry.note or ""]
                    for entry in town.control],
        "sources": [[f"{source.publication}, {source.date.isoformat() if source.date else 'n.d.'}: "
                     f"{source.title or source.url}", http_url(source.url)] for source in sources.values()],
        "position": town.coord_source,
    }


def _sources_html(sources: list[Source]) -> str:
    unique: dict[tuple, Source] = {}
    for source in sources:
        unique.setdefault((source.publication, source.title, source.url), source)
    items = []
    for source in unique.values():
        label = esc(f"{source.publication}, {source.date.isoformat() if source.date else 'n.d.'}: "
                    f"{source.title or source.url}")
        url = safe_url(source.url)
        items.append(f'<li><a href="{url}" target="_blank" rel="noopener noreferrer">{label}</a></li>' if url
                     else f"<li>{label}</li>")
    return f"<div style='margin-top:4px'><b>Sources</b><ul style='margin:2px 0;padding-left:16px'>{''.join(items)}</ul></div>"


# --- other layers ------------------------------------------------------------------------------------------

def _changes_group(view: ViewState, geodata: GeoData, start: date, end: date) -> folium.FeatureGroup:
    """What changed between the two compared days, for the factions shown: ground gained hatched in the
    gainer's colour, ground lost outlined (dashed) in the loser's, and places that changed hands as split dots
    (before | after)."""
    group = folium.FeatureGroup(name=f"Changes {_long_date(start)} to {_long_date(end)}", show=True)
    DayBound().add_to(group)
    factions = geodata.factions
    if "control_areas" in view.layers and geodata.layer("control_areas") is not None:
        for change in ground_changes(geodata, start, end):
            faction = factions.get(change.faction)
            if faction is None or change.faction not in view.factions:
                continue
            if not change.lost.is_empty:
                folium.GeoJson(_display_geometry(change.lost, far=False).__geo_interface__,
                               style_function=lambda _f, color=faction.color: {
                                   "color": color, "weight": 2, "dashArray": "5 4", "fill": False},
                               tooltip=folium.Tooltip(esc(f"{faction.short_name} lost {change.lost_km2:,.0f} km² "
                                                          f"of ground held on {_long_date(start)}"))).add_to(group)
            if not change.gained.is_empty:
                lines = shapely.set_precision(hatch_lines(change.gained), 1e-3, mode="pointwise")
                folium.GeoJson(lines.__geo_interface__, style_function=lambda _f, color=faction.color: {
                                   "color": color, "weight": 2, "opacity": 0.9},
                               tooltip=folium.Tooltip(esc(f"{faction.short_name} gained {change.gained_km2:,.0f} "
                                                          f"km² by {_long_date(end)}"))).add_to(group)
    records = []
    wanted = {"towns": "towns" in view.layers, "localities": "localities" in view.layers, "sites": False}
    for place in place_changes(geodata, start, end):
        before, after = place.start.controller, place.end.controller
        if not wanted[place.layer] or (before not in view.factions and after not in view.factions):
            continue
        words = " → ".join(factions[holder].short_name if holder in factions else "unknown"
                           for holder in (before, after))
        dates = ", ".join(change.date.isoformat() for change in place.changes)
        records.append({"id": place.id, "lat": round(place.lat, 5), "lon": round(place.lon, 5),
                        "from": before or "", "to": after or "",
                        "before": factions[before].color if before in factions else NEUTRAL,
                        "after": factions[after].color if after in factions else NEUTRAL,
                        "town": place.layer == "towns", "label": f"{place.name}: {words} ({dates})"})
    if records:
        ChangedPlaces(records).add_to(group)
    # A <details> box, collapsed on a narrow map like the legend (see _GroupControl), open in exports.
    legend = (f'<div style="{_BOX_STYLE}max-width:260px"><details open data-collapse-below='
              f'"{LEGEND_COLLAPSE_BELOW_PX}"><summary><b>Changes</b> {esc(_long_date(start))} → '
              f'{esc(_long_date(end))}</summary><span style="display:inline-block;width:14px;height:10px;'
              'background:repeating-linear-gradient(135deg,#555 0 2px,transparent 2px 5px);vertical-align:-1px">'
              '</span> ground gained <span style="display:inline-block;width:14px;height:10px;border:2px dashed '
              '#555;vertical-align:-2px"></span> ground lost<br><span style="display:inline-block;width:10px;'
              'height:10px;border-radius:50%;background:linear-gradient(90deg,#444 50%,#ddd 50%);border:1px solid '
              '#333;vertical-align:-1px"></span> place that changed hands (before | after); the table under the '
              'map lists them with sources</details></div>')
    _GroupControl(legend, "topleft", "euphrates-changes-legend").add_to(group)
    return group


def _contact_zones_group(view: ViewState, geodata: GeoData) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=GROUP_NAMES["contact_zones"], show=True)
    names = {faction_id: faction.short_name for faction_id, faction in geodata.factions.items()}
    for factions, km2, geometry in contact_zones(geodata, view.date).itertuples(index=False):
        if not set(factions) <= set(view.factions):
            continue
        first, second = (names.get(f, f) for f in factions)
        title = f"Contact zone: {esc(first)} and {esc(second)}"
        text = (f"<b>{title}</b><br>Their ground near sourced places meets here (within 1.5 km of both); where "
                f"the line between them ran is not known. {km2:g} km².")
        folium.GeoJson(
            shapely.set_precision(geometry, 1e-3, mode="pointwise").__geo_interface__,
            style_function=lambda _feature: {"color": "#333333", "weight": 1, "dashArray": "4 3", "fillColor":
                                             "#333333", "fillOpacity": 0.12, "className": "euphrates-contact"},
            tooltip=folium.Tooltip(title), popup=folium.Popup(text, max_width=300),
        ).add_to(group)
    return group


def _rivers_group(view: ViewState, geodata: GeoData) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=GROUP_NAMES["rivers"], show=True)
    rivers = geodata.layer("rivers")
    for river, geometry in zip(rivers.records, rivers.frame.geometry):
        folium.GeoJson(
            geometry.__geo_interface__,
            style_function=lambda _feature: {"color": RIVER_COLOR, "weight": 2.5, "opacity": 0.9},
            tooltip=folium.Tooltip(esc(f"{river.name} ({river.source}; course approximate)")),
        ).add_to(group)
    return group


def _deconfliction_group(view: ViewState, geodata: GeoData) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=GROUP_NAMES["deconfliction"], show=True)
    layer = geodata.layer("deconfliction")
    for line, geometry in zip(layer.records, layer.frame.geometry):
        broken = line.broken_on is not None and view.date >= line.broken_on
        status = f"crossed by government forces on {_long_date(line.broken_on)}" if broken else "tentative"
        popup = (f"<b>{esc(line.name)}</b><br><i>{esc(line.status)}</i>"
                 f"<br><b>Reported:</b><ul>{''.join(f'<li>{esc(t)}</li>' for t in line.certain)}</ul>"
                 f"<b>Not known:</b><ul>{''.join(f'<li>{esc(t)}</li>' for t in line.uncertain)}</ul>"
                 f"<small>Drawn from: {esc(line.derived_from)}</small>{_sources_html(list(line.sources))}")
        folium.GeoJson(
            geometry.__geo_interface__,
            style_function=lambda _feature, broken=broken: {
                "color": DECONFLICTION_COLOR, "weight": 3, "dashArray": "8 6" if not broken else "3 7",
                "opacity": 0.95},
            tooltip=folium.Tooltip(esc(f"{line.name}: {status} (approximate)")),
            popup=folium.Popup(popup, max_width=380),
        ).add_to(group)
    return group


def _routes_group(view: ViewState, geodata: GeoData) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=GROUP_NAMES["routes"], show=True)
    layer = geodata.layer("routes")
    for route, geometry in zip(layer.records, layer.frame.geometry):
        popup = (f"<b>{esc(route.name)}</b> ({esc(route.status.replace('_', ' '))}; schematic)<br>"
                 f"{esc(route.description)}{_sources_html(list(route.sources))}")
        folium.PolyLine(
            [(lat, lon) for lon, lat in geometry.coords], color=ROUTE_COLOR, weight=3, opacity=0.85,
            dash_array="2 8" if route.kind == "land_corridor" else "10 6",
            tooltip=folium.Tooltip(esc(f"{route.name} ({route.status.replace('_', ' ')}; schematic)")),
            popup=folium.Popup(popup, max_width=380),
        ).add_to(group)
    return group


def _sites_group(view: ViewState, geodata: GeoData) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=GROUP_NAMES["sites"], show=True)
    layer = geodata.layer("sites")
    points = []
    for site, geometry in zip(layer.records, layer.frame.geometry):
        state = place_state_on(site.control, view.date)
        holder = state_words(state, geodata.factions)
        approx = " (location approximate)" if site.approximate else ""
        popup = (f"<b>{esc(site.name)}</b>{esc(approx)}<br>{esc(site.kind.replace('_', ' '))}; {esc(holder)}<br>"
                 f"{esc(site.description or '')}{_sources_html(list(site.sources))}"
                 f"<small style='color:#666'>Coordinates: {esc(site.coord_source)}</small>")
        points.append(_icon_point(geometry, _SITE_ICON, esc(f"{site.name}: {holder}{approx}"), popup,
                                  size=(16, 16), anchor=(8, 8), class_name="euphrates-site-icon"))
    _PointLayer(points).add_to(group)
    return group


def _events_group(view: ViewState, geodata: GeoData) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=GROUP_NAMES["events"], show=True)
    events = events_until(geodata, view.date)
    records = geodata.layer("events").by_id()
    if len(events) > EVENT_CANVAS_THRESHOLD:
        _CanvasEventLayer(_compact_events(view, events, records)).add_to(group)
        return group
    points = []
    for event_id, geometry in zip(events["id"], events.geometry):
        event = records[event_id]
        recent = (view.date - event.date).days <= RECENT_EVENT_DAYS
        title, when, description, approximate, sources = _event_parts(event)
        popup = (f"<b>{title}</b><br><i>{when}</i><br>{description}"
                 f"{_EVENT_APPROXIMATE_NOTE if approximate else ''}{sources}")
        points.append({"lat": geometry.y, "lon": geometry.x, "tooltip": f"{when}: {title}",
                       "popup": popup, "circle": {
                           "radius": 6 if recent else 4, "color": "#fff", "weight": 1.5, "fill": True,
                           "fillColor": EVENT_COLOR, "fillOpacity": 0.95 if recent else 0.5,
                           "className": "euphrates-event"}})
    if points:
        _PointLayer(points).add_to(group)
    return group


# Above this many events on the map, `_CanvasEventLayer` draws them: one canvas instead of an SVG node and a
# tooltip, a popup and their handlers per event, so the browser's cost stays nearly flat as events grow.
EVENT_CANVAS_THRESHOLD = 500
_EVENT_APPROXIMATE_NOTE = "<br><small>Location approximate</small>"


def _event_parts(event, cache: dict | None = None) -> tuple[str, str, str, bool, str]:
    """The pieces of an event's tooltip and popup, each escaped: title, when, description, whether the location
    is approximate, and the sources list (HTML). `cache` keeps the pieces that repeat (dates, source lists)."""
    if cache is None:
        cache = {}
    when_key = (event.date, event.date_approximate)
    when = cache.get(when_key)
    if when is None:
        when = cache[when_key] = esc(f"{_long_date(event.date)}{' (approx.)' if event.date_approximate else ''}")
    sources_key = tuple((s.publication, s.date, s.title, s.url) for s in event.sources)
    sources = cache.get(sources_key)
    if sources is None:
        sources = cache[sources_key] = _sources_html(list(event.sources))
    return esc(event.title), when, esc(event.description), event.approximate, sources


_COMPACT_STRIDE = 7  # lat, lon, flags (1 recent, 2 location approximate), then indexes into the strings: title,
# when, description, sources


def _compact_events(view: ViewState, events, records: dict) -> dict:
    """Events as one flat list of numbers and a table of distinct, already escaped strings (dates and source
    lists repeat), for `_CanvasEventLayer`."""
    strings: dict[str, int] = {}
    ref = lambda text: strings.setdefault(text, len(strings))
    points: list = []
    cache: dict = {}
    lats, lons = events.geometry.y.round(5).tolist(), events.geometry.x.round(5).tolist()
    for event_id, lat, lon in zip(events["id"], lats, lons):
        event = records[event_id]
        title, when, description, approximate, sources = _event_parts(event, cache)
        recent = (view.date - event.date).days <= RECENT_EVENT_DAYS
        points += [lat, lon, (1 if recent else 0) | (2 if approximate else 0), ref(title), ref(when),
                   ref(description), ref(sources)]
    return {"stride": _COMPACT_STRIDE, "points": points, "strings": list(strings)}


class _CanvasEventLayer(MacroElement):
    """Many events as dots on one canvas, drawn like the SVG dots of `_events_group`'s small path (a stamp per
    style, oldest first, so newer dots lie on top) with no Leaflet object per event. The tooltip and popup HTML
    are put together from the escaped pieces only when the pointer is on a dot.

    The canvas is a Leaflet canvas renderer (so panning, zoom animation and retina screens work as for any
    vector layer) in its own pane above the areas and below the town and site icons. It lets pointer events
    through, so the areas under it keep their tooltips and popups: a capturing listener on the map container
    takes a click or hover that lands on a dot (the topmost, within the dot's radius plus half its outline, as
    Leaflet tests a circle marker) before the area under it gets it. Once the dots are drawn the map container
    has `data-euphrates-events-drawn` (the dot count), for tests and benchmarks."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(group) {
            var data = {{ this.data }};
            var P = data.points, S = data.strings, STRIDE = data.stride, COUNT = P.length / STRIDE;
            var PANE = 'euphratesEvents', WEIGHT = 1.5, COLOR = {{ this.color|tojson }};
            var STYLES = [{radius: 4, opacity: 0.5}, {radius: 6, opacity: 0.95}];  // by the "recent" flag
            var xs = new Float64Array(COUNT), ys = new Float64Array(COUNT), projectedFor = null, stamps = {};
            var map = null, hovered = -1, lastMove = 0;
            var tip = L.tooltip({className: 'euphrates-event-tip', direction: 'auto'});

            function tooltipHtml(i) { var k = i * STRIDE; return S[P[k + 4]] + ': ' + S[P[k + 3]]; }
            function popupHtml(i) {
                var k = i * STRIDE;
                return '<b>' + S[P[k + 3]] + '</b><br><i>' + S[P[k + 4]] + '</i><br>' + S[P[k + 5]]
                    + ((P[k + 2] & 2) ? {{ this.approximate_note|tojson }} : '') + S[P[k + 6]];
            }
            function stampsFor(scale) {
                if (!stamps[scale]) {
                    stamps[scale] = STYLES.map(function(style) {
                        var size = Math.ceil(2 * style.radius + WEIGHT + 2), canvas = document.createElement('canvas');
                        canvas.width = canvas.height = size * scale;
                        var ctx = canvas.getContext('2d');
                        ctx.scale(scale, scale);
                        ctx.beginPath();
                        ctx.arc(size / 2, size / 2, style.radius, 0, 2 * Math.PI, false);
                        ctx.globalAlpha = style.opacity;
                        ctx.fillStyle = COLOR;
                        ctx.fill('evenodd');
                        ctx.globalAlpha = 1;
                        ctx.lineWidth = WEIGHT;
                        ctx.strokeStyle = '#fff';
                        ctx.stroke();
                        return {canvas: canvas, size: size, half: size / 2};
                    });
                }
                return stamps[scale];
            }
            function project() {
                var zoom = map.getZoom(), origin = map.getPixelOrigin(), key = zoom + ',' + origin.x + ',' + origin.y;
                if (key === projectedFor) { return; }
                for (var i = 0, k = 0; i < COUNT; i++, k += STRIDE) {
                    var point = map.project([P[k], P[k + 1]], zoom);
                    xs[i] = Math.round(point.x) - origin.x;
                    ys[i] = Math.round(point.y) - origin.y;
                }
                projectedFor = key;
            }
            function dotAt(e) {
                var target = e.target;
                var underDots = target === map.getContainer() || target === map.getPane('mapPane')
                    || map.getPane('overlayPane').contains(target) || map.getPane('tilePane').contains(target);
                if (!underDots || map._animatingZoom || (map.dragging && map.dragging.moving())) { return -1; }
                project();
                var point = map.mouseEventToLayerPoint(e);
                for (var i = COUNT - 1; i >= 0; i--) {
                    var reach = STYLES[P[i * STRIDE + 2] & 1].radius + WEIGHT / 2;
                    var dx = xs[i] - point.x, dy = ys[i] - point.y;
                    if (dx * dx + dy * dy <= reach * reach) { return i; }
                }
                return -1;
            }
            function hover(i) {
                if (i === hovered) { return; }
                hovered = i;
                var container = map.getContainer();
                if (i >= 0) {
                    tip.setLatLng([P[i * STRIDE], P[i * STRIDE + 1]]).setContent(tooltipHtml(i));
                    map.openTooltip(tip);
                    L.DomUtil.addClass(container, 'euphrates-event-hover');
                } else {
                    map.closeTooltip(tip);
                    L.DomUtil.removeClass(container, 'euphrates-event-hover');
                }
            }
            function onMove(e) {
                var now = Date.now();
                if (now - lastMove < 32) { return; }
                lastMove = now;
                hover(dotAt(e));
            }
            function onLeave() { hover(-1); }
            function onClick(e) {
                if (map.dragging && map.dragging.moved()) { return; }
                var i = dotAt(e);
                if (i < 0) { return; }
                L.DomEvent.stop(e);
                L.popup({maxWidth: 380}).setLatLng([P[i * STRIDE], P[i * STRIDE + 1]]).setContent(popupHtml(i))
                    .openOn(map);
            }
            var Dots = L.Canvas.extend({
                onAdd: function(added) {
                    map = added;
                    if (!map.getPane(PANE)) {
                        var pane = map.createPane(PANE);
                        pane.style.zIndex = 450;
                        pane.style.pointerEvents = 'none';
                    }
                    if (!document.getElementById('euphrates-event-style')) {
                        var style = document.createElement('style');
                        style.id = 'euphrates-event-style';
                        style.textContent = '.euphrates-event-hover, .euphrates-event-hover .leaflet-interactive '
                            + '{cursor: pointer} .euphrates-event-hover .leaflet-tooltip:not(.euphrates-event-tip) '
                            + '{visibility: hidden}';
                        document.head.appendChild(style);
                    }
                    L.Canvas.prototype.onAdd.call(this, map);
                    var container = map.getContainer();
                    container.addEventListener('click', onClick, true);
                    container.addEventListener('mousemove', onMove, true);
                    container.addEventListener('mouseleave', onLeave);
                    requestAnimationFrame(function() {
                        if (map) { container.dataset.euphratesEventsDrawn = String(COUNT); }
                    });
                },
                onRemove: function(removed) {
                    var container = removed.getContainer();
                    hover(-1);
                    container.removeEventListener('click', onClick, true);
                    container.removeEventListener('mousemove', onMove, true);
                    container.removeEventListener('mouseleave', onLeave);
                    delete container.dataset.euphratesEventsDrawn;
                    L.Canvas.prototype.onRemove.call(this, removed);
                    map = null;
                },
                _draw: function() {
                    if (!map) { return; }
                    project();
                    var ctx = this._ctx, bounds = this._bounds, both = stampsFor(L.Browser.retina ? 2 : 1);
                    var minX = bounds.min.x, minY = bounds.min.y, maxX = bounds.max.x, maxY = bounds.max.y;
                    for (var i = 0; i < COUNT; i++) {
                        var stamp = both[P[i * STRIDE + 2] & 1], x = xs[i], y = ys[i], half = stamp.half;
                        if (x + half < minX || x - half > maxX || y + half < minY || y - half > maxY) { continue; }
                        ctx.drawImage(stamp.canvas, x - half, y - half, stamp.size, stamp.size);
                    }
                }
            });
            new Dots({pane: PANE}).addTo(group);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: dict):
        super().__init__()
        self._name = "CanvasEventLayer"
        # Escaped for a <script> block like folium's own JSON; every string in it is escaped HTML already.
        self.data = script_json(data)
        self.color = EVENT_COLOR
        self.approximate_note = _EVENT_APPROXIMATE_NOTE
