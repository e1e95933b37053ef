"""The floor of the stack: a bare st_folium page with one marker and the same vendored assets."""
import folium
import streamlit as st
from streamlit_folium import st_folium

from euphrates.offline import use_vendored_assets

st.set_page_config(layout="wide")
use_vendored_assets()
floor_map = folium.Map(location=[35.3, 40.1], zoom_start=7, tiles=None)
folium.CircleMarker([35.3, 40.1], radius=8, fill=True).add_to(floor_map)
st_folium(floor_map, height=720, use_container_width=True, returned_objects=[])
