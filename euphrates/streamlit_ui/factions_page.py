"""Factions and territory: who each faction was, what it held on a day, and its area over time."""
from __future__ import annotations

import streamlit as st

from euphrates.analysis import area_km2_by_faction, area_series
from euphrates.streamlit_ui.charts import area_chart
from euphrates.streamlit_ui.common import date_picker
from euphrates.geodata import directory_signature, load_geodata
from euphrates.streamlit_ui.data import geodata, show_problems
from euphrates.streamlit_ui.text import plain
from euphrates.timeline import town_states_on


@st.cache_data(show_spinner=False)
def _area_series(directory: str, signature: tuple):
    # Keyed on the folder and its files' signature: recomputed only when the data changes.
    return area_series(load_geodata(directory))


def render() -> None:
    data = geodata()
    show_problems(data)
    st.title("Factions and territory")
    day = date_picker("factions_date")
    areas = area_km2_by_faction(data, day)
    states = town_states_on(data, day)
    names = {town.id: town.name for town in data.layer("towns").records} if data.layer("towns") else {}
    for faction_id, faction in data.factions.items():
        held = sorted(names[town_id] for town_id, state in states.items()
                      if state is not None and state.controller == faction_id)
        with st.container(border=True):
            left, right = st.columns([3, 1])
            left.markdown(f"**{plain(faction.name)}**")
            left.caption(plain("Backers: " + (", ".join(faction.backers) or "none")))
            left.write(faction.description)
            right.metric("Area held (approx.)", f"{areas.get(faction_id, 0):,.0f} km²")
            right.caption(f"on {day:%d %b %Y}")
            st.caption(plain("Towns held: " + (", ".join(held) if held else "none of the mapped towns")))
    st.subheader("Area over time")
    series = _area_series(str(data.directory), directory_signature(data.directory))
    st.altair_chart(area_chart(series, data), width="stretch")
    st.caption("Areas are computed in an equal-area projection from the approximate control areas (Voronoi "
               "cells of sourced places inside Syria), so they show trends, not surveyed territory.")
