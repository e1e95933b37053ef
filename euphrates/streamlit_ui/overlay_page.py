"""Your overlay: upload GeoJSON (or KML) and see it over the project's layers."""
from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from euphrates.mapbuilder import build_map
from euphrates.overlay import MAX_UPLOAD_BYTES, OverlayError, load_overlay, overlay_group
from euphrates.streamlit_ui.text import plain
from euphrates.streamlit_ui.data import geodata, show_problems
from euphrates.streamlit_ui.map_page import LAST_VIEW_KEY, MAP_HEIGHT
from euphrates.view import ViewState

UPLOAD_TYPES = ["geojson", "json", "kml", "kmz"]


def render() -> None:
    data = geodata()
    show_problems(data)
    st.title("Your overlay")
    st.write(f"Upload a GeoJSON or KML file (up to {MAX_UPLOAD_BYTES // (1024 * 1024)} MB, WGS84 longitude/"
             "latitude, or a declared projection) to draw it over the map of the day you last viewed. It stays "
             "in your browser session; nothing is saved on the server.")
    upload = st.file_uploader("GeoJSON or KML file", type=UPLOAD_TYPES, key="overlay_file")
    overlay = None
    if upload is not None:
        try:
            overlay = load_overlay(upload.name, upload.getvalue())
        except OverlayError as error:
            st.error(plain(str(error)))
        else:
            for warning in overlay.warnings:
                st.warning(plain(warning))
            st.success(plain(f"{upload.name}: {len(overlay.frame)} features"))
    style = None
    if overlay is not None and overlay.properties:
        style = st.selectbox("Colour by", [None, *overlay.properties], key="overlay_style",
                             format_func=lambda name: "one colour" if name is None else name)
        if style not in overlay.properties:  # a new file without the previous file's property
            style = None
    view = st.session_state.get(LAST_VIEW_KEY) or ViewState()
    parts = build_map(view, data, title=f"Your overlay on {view.date:%d %b %Y}")
    overlays = list(parts.overlays)
    if overlay is not None:
        overlays.append(overlay_group(overlay, style))
    st_folium(parts.base, key="overlay_map", height=MAP_HEIGHT, use_container_width=True,
              feature_group_to_add=overlays, layer_control=parts.layer_control, returned_objects=[])
