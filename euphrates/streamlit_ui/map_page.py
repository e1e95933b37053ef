"""The Map page: sidebar controls → `ViewState` → the shared map builder → st_folium.

State lives in widget keys of `st.session_state`; the URL (`st.query_params`) mirrors the view so a link
restores it. The base map is rebuilt only when the basemap changes: toggles and the date swap overlay groups
through `feature_group_to_add`, so the zoom and pan stay.
"""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from euphrates.compare import change_rows, ground_changes
from euphrates.mapbuilder import GROUP_NAMES, build_map
from euphrates.offline import missing_vendored_files
from euphrates.search import find_towns
from euphrates.playback_control import DAY_TAG_PREFIX
from euphrates.streamlit_ui import animation_export
from euphrates.streamlit_ui.data import geodata, overlay_cache, playback_url, show_problems, stories_url
from euphrates.streamlit_ui.text import plain
from euphrates.timeline import DATA_END, DATA_START, KEY_DATES
from euphrates.view import BASEMAPS, OVERLAY_LAYERS, ViewState

MAP_KEY = "map"
VIEW_REQUEST_KEY = "view_request"  # another page puts a ViewState here, then switches to the map
LAST_VIEW_KEY = "last_view"
MAP_HEIGHT = 720
LAYER_LABELS = {
    "control_areas": "Control areas (approximate)",
    "contact_zones": "Contact zones (where two sides' ground meets)",
    "towns": "Towns",
    "localities": "Villages and districts",
    "other_places": "Other places (control not tracked)",
    "rivers": "Rivers",
    "deconfliction": "Deconfliction line",
    "routes": "Routes and corridors",
    "sites": "Oil, gas and dams",
    "events": "Events",
}
BASEMAP_LABELS = {"vector": "Bundled vector map (offline)", "osm": "OpenStreetMap (online)",
                  "satellite": "Satellite, Esri (online)"}


def render() -> None:
    data = geodata()
    show_problems(data)
    missing = missing_vendored_files()
    if missing:
        st.error("The map's web assets are missing from static/vendor, so the map cannot draw: "
                 f"{', '.join(missing[:5])}. Run `make vendor`.")
        return
    _restore_view(data)
    _apply_layer_control_changes(data)
    view = _sidebar(data)
    st.session_state[LAST_VIEW_KEY] = view
    _write_url(view)

    parts = build_map(view.model_copy(update={"bounds": _framing(view)}), data, playback_url=playback_url(data),
                      stories_url=stories_url(data), group_cache=overlay_cache().get)
    center, zoom = _search_target()
    st_folium(
        parts.base,
        key=MAP_KEY,
        height=MAP_HEIGHT,
        use_container_width=True,
        feature_group_to_add=parts.overlays,
        layer_control=parts.layer_control,
        returned_objects=["bounds", "selected_layers", "selected_tags"],
        center=center,
        zoom=zoom,
    )
    st.caption("Control areas are approximate: ground near the towns, villages and fields whose holder that day is "
               "sourced, not front lines; pale is hinterland, blank is desert not assigned. Click a town, village, "
               "event or area for its story and sources.")
    if view.compared_span:
        _changes_table(data, view)
    animation_export.render(view, data)


def _changes_table(data, view: ViewState) -> None:
    """What changed hands between the two compared days, with dates and sources, and the ground won and lost."""
    start, end = view.compared_span
    st.subheader(f"What changed hands, {start:%d %b %Y} → {end:%d %b %Y}")
    rows = change_rows(data, start, end, view.factions)
    if not rows:
        st.info("No place shown changed hands between these days.")
    else:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", column_config={
            "place": "Place", "layer": "Kind", "before": "Before", "after": "After",
            "date": st.column_config.DateColumn("Changed on", format="D MMM YYYY"),
            "approximate": st.column_config.CheckboxColumn("Date approx."),
            "sources": st.column_config.TextColumn("Sources", width="large"),
            "link": st.column_config.LinkColumn("First source", display_text="open"),
        })
    ground = [f"{data.factions[change.faction].short_name} +{change.gained_km2:,.0f} / −{change.lost_km2:,.0f} km²"
              for change in ground_changes(data, start, end)
              if change.faction in view.factions and change.faction in data.factions
              and (change.gained_km2 or change.lost_km2)]
    if ground:
        st.caption(plain("Ground near sourced places gained / lost: " + "; ".join(ground) + ". Measured in an "
                         "equal-area projection; the areas are approximate."))


def _restore_view(data) -> None:
    """Set the widgets' starting values: from a view another page asked for, from the URL on a session's first
    run, or, when the user comes back from another page (Streamlit drops the widgets' state then), from the
    last view shown."""
    requested = st.session_state.pop(VIEW_REQUEST_KEY, None)
    if requested is None and "date" in st.session_state:
        return
    if requested is not None:
        view = requested
    elif not st.session_state.get("_view_restored"):
        view, warnings = ViewState.from_query_params(dict(st.query_params), known_factions=set(data.factions))
        for warning in warnings:
            st.toast(plain(warning))
    else:
        view = st.session_state.get(LAST_VIEW_KEY) or ViewState()
    st.session_state["_view_restored"] = True
    st.session_state["date"] = view.date
    st.session_state["compare_on"] = view.compare is not None
    st.session_state["compare_date"] = view.compare or _default_compare_day(view.date)
    for faction_id in data.factions:
        st.session_state[f"faction_{faction_id}"] = faction_id in view.factions
    for layer in OVERLAY_LAYERS:
        st.session_state[f"layer_{layer}"] = layer in view.layers
    st.session_state["basemap"] = view.basemap
    st.session_state["framing"] = view.bounds
    st.session_state["framing_basemap"] = view.basemap
    st.session_state["live_bounds"] = view.bounds


def _apply_layer_control_changes(data) -> None:
    """What the user did inside the map since the last run: the live bounds (for the URL), and overlays ticked
    or unticked in the map's layer control, which tick or untick the same faction or layer in the sidebar."""
    returned = st.session_state.get(MAP_KEY) or {}
    bounds = returned.get("bounds")
    if bounds and bounds.get("_southWest", {}).get("lat") is not None:
        south_west, north_east = bounds["_southWest"], bounds["_northEast"]
        st.session_state["live_bounds"] = (south_west["lng"], south_west["lat"], north_east["lng"], north_east["lat"])
    _apply_paused_day(returned.get("selected_tags"))
    selected = returned.get("selected_layers")
    if not selected or selected == st.session_state.get("_last_selected_layers"):
        return
    st.session_state["_last_selected_layers"] = selected
    # Every overlay the control lists, ticked or not (mapbuilder's reporter; an entry without "shown" is ticked).
    listed = {layer["name"]: layer.get("shown", True) is not False for layer in selected if isinstance(layer, dict)}
    sidebar_keys = {faction.short_name: f"faction_{faction_id}" for faction_id, faction in data.factions.items()}
    sidebar_keys.update({name: f"layer_{layer}" for layer, name in GROUP_NAMES.items()})
    for name, key in sidebar_keys.items():
        if name in listed and st.session_state.get(key) != listed[name]:
            st.session_state[key] = listed[name]


def _apply_paused_day(tags) -> None:
    """The day the map's playback was paused on (its control reports it as a tag): the sidebar's date follows,
    once per pause."""
    tag = next((item for item in tags or [] if isinstance(item, str) and item.startswith(DAY_TAG_PREFIX)), None)
    if tag is None or tag == st.session_state.get("_last_paused_day"):
        return
    st.session_state["_last_paused_day"] = tag
    try:
        day = date.fromisoformat(tag.removeprefix(DAY_TAG_PREFIX))
    except ValueError:
        return
    if DATA_START <= day <= DATA_END:
        st.session_state["date"] = day


def _sidebar(data) -> ViewState:
    sidebar = st.sidebar
    sidebar.header("Eastern Syria, 2016–2017")
    sidebar.selectbox("Jump to a key date", options=[None, *KEY_DATES], key="key_date",
                      format_func=lambda item: "—" if item is None else f"{item[0]:%d %b %Y}: {item[1]}",
                      on_change=_jump_to_key_date)
    day = sidebar.slider("Date", min_value=DATA_START, max_value=DATA_END, step=timedelta(days=1),
                         format="D MMM YYYY", key="date")
    compare = None
    if sidebar.checkbox("Compare with another day", key="compare_on",
                        help="Mark what changed hands between the two days, on the map and in a table below it."):
        if "compare_date" not in st.session_state:
            st.session_state["compare_date"] = _default_compare_day(day)
        compare = sidebar.slider("Compared day", min_value=DATA_START, max_value=DATA_END, step=timedelta(days=1),
                                 format="D MMM YYYY", key="compare_date")
    sidebar.subheader("Factions")
    factions = tuple(faction_id for faction_id, faction in data.factions.items()
                     if sidebar.checkbox(plain(faction.short_name), key=f"faction_{faction_id}",
                                         help=plain(f"{faction.name}. Backers: {', '.join(faction.backers) or 'none'}.")))
    sidebar.subheader("Layers")
    layers = tuple(layer for layer in OVERLAY_LAYERS
                   if sidebar.checkbox(LAYER_LABELS[layer], key=f"layer_{layer}"))
    basemap = sidebar.radio("Basemap", BASEMAPS, format_func=BASEMAP_LABELS.get, key="basemap")
    query = sidebar.text_input("Find a town", key="town_query", placeholder="Bukamal, Abu Kamal, البوكمال…")
    matches = find_towns(data, query) if query else []
    if query and not matches:
        sidebar.info(plain(f"No town matches “{query}”."))
    st.session_state["search_match"] = matches[0] if matches else None
    if matches:
        sidebar.caption(plain("Found: " + ", ".join(f"{match.name} ({match.matched})" for match in matches[:3])))
    return ViewState(date=day, factions=factions, layers=layers, basemap=basemap,
                     bounds=st.session_state["live_bounds"], compare=compare)


def _default_compare_day(day: date) -> date:
    """Three months before the day shown (or the data's first day): a span in which the story moved."""
    return max(DATA_START, day - timedelta(days=91))


def show_on_map(view: ViewState) -> None:
    """Open the Map page on `view` (for the other pages' "show on map" actions)."""
    st.session_state[VIEW_REQUEST_KEY] = view
    st.switch_page("pages/map.py")


def _jump_to_key_date() -> None:
    choice = st.session_state.get("key_date")
    if choice is not None:
        st.session_state["date"] = choice[0]


def _framing(view: ViewState):
    """The bounds the base map opens on. They change only with the basemap (which reloads the map anyway), so
    panning never rebuilds the base."""
    if st.session_state.get("framing_basemap") != view.basemap:
        st.session_state["framing"] = view.bounds
        st.session_state["framing_basemap"] = view.basemap
    return st.session_state["framing"]


def _search_target():
    match = st.session_state.get("search_match")
    if match is None:
        return None, None
    return (match.lat, match.lon), 10


def _write_url(view: ViewState) -> None:
    """Keep the address on the view. An address that already reads as this view (a shared link, on its first
    run) is left as it is: Streamlit pushes a history entry for every write, and one made before the history
    patch (streamlit_ui/history.py) has loaded would cost the reader an extra Back."""
    params = view.to_query_params()
    if {key: st.query_params.get(key) for key in (*params, "compare")} == {"compare": None, **params}:
        return
    current, warnings = ViewState.from_query_params(dict(st.query_params), known_factions=None)
    if not warnings and current == view:
        return
    st.query_params.from_dict(params)

