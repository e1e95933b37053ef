"""Timeline: the events on a time axis, which faction held each town when, and a way to the map."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from euphrates.streamlit_ui.charts import control_chart, events_chart
from euphrates.streamlit_ui.data import geodata, show_problems
from euphrates.streamlit_ui.map_page import LAST_VIEW_KEY, show_on_map
from euphrates.timeline import DATA_END, DATA_START
from euphrates.view import ViewState

DEFAULT_TOWNS = ("manbij", "tabqa", "raqqa", "deir-ez-zor", "khusham", "mayadeen", "al-busayrah", "hajin",
                 "bukamal", "qaim", "palmyra")
EVENT_BOX_DEGREES = 0.6  # half the side of the area the map frames around an event


def events_frame(data) -> pd.DataFrame:
    layer = data.layer("events")
    if layer is None:
        return pd.DataFrame(columns=["id", "date", "kind", "title", "faction", "factions", "lon", "lat"])
    return pd.DataFrame([{
        "id": event.id, "date": pd.Timestamp(event.date), "kind": event.kind, "title": event.title,
        "faction": event.factions[0], "factions": ", ".join(event.factions), "lon": point.x, "lat": point.y,
    } for event, point in zip(layer.records, layer.frame.geometry)]).sort_values("date")


def control_periods(data, town_ids) -> pd.DataFrame:
    """One row per control entry of each town, clipped to the data's period."""
    towns = data.layer("towns")
    rows = []
    for town in (towns.records if towns else []):
        if town.id not in town_ids:
            continue
        entries = list(town.control)
        for entry, following in zip(entries, entries[1:] + [None]):
            start = max(entry.from_, DATA_START)
            end = min(following.from_ if following else DATA_END + timedelta(days=1), DATA_END + timedelta(days=1))
            if end <= start:
                continue
            rows.append({"town": town.name, "start": pd.Timestamp(start), "end": pd.Timestamp(end),
                         "state": entry.state, "controller": entry.controller or "unknown",
                         "factions": ", ".join(entry.factions)})
    order = {town_id: index for index, town_id in enumerate(town_ids)}
    names = {town.id: town.name for town in (towns.records if towns else [])}
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["order"] = frame["town"].map({names[t]: order[t] for t in town_ids if t in names})
        frame = frame.sort_values(["order", "start"]).drop(columns="order")
    return frame


def render() -> None:
    data = geodata()
    show_problems(data)
    st.title("Timeline")
    events = events_frame(data)
    kinds = sorted(events["kind"].unique())
    chosen_kinds = st.multiselect("Kinds of event", kinds, default=kinds, key="timeline_kinds")
    shown = events[events["kind"].isin(chosen_kinds)]
    st.altair_chart(events_chart(shown, data), width="stretch")
    st.caption("Drag to pan, scroll to zoom the time axis. Colour: the first faction the event names.")

    labels = {row.id: f"{row.date:%d %b %Y}: {row.title}" for row in shown.itertuples()}
    # None as a real option (not index=None): AppTest cannot format an empty selectbox.
    chosen = st.selectbox("Event", options=[None, *labels], key="timeline_event",
                          format_func=lambda key: "Choose an event to see it on the map…" if key is None
                          else labels[key])
    if chosen is not None:
        row = shown[shown["id"] == chosen].iloc[0]
        event = data.layer("events").by_id()[chosen]
        st.markdown(f"**{row.date:%d %B %Y}**, {event.kind}")
        st.text(event.description)
        if st.button("Show on the map", key="timeline_show", type="primary"):
            show_on_map(_view_at(row))

    st.subheader("Who held each town")
    towns = data.layer("towns")
    options = [town.id for town in towns.records if town.role == "theatre"] if towns else []
    names = {town.id: town.name for town in towns.records} if towns else {}
    picked = st.multiselect("Towns", options, default=[t for t in DEFAULT_TOWNS if t in options],
                            format_func=names.get, key="timeline_towns")
    periods = control_periods(data, picked)
    if periods.empty:
        st.info("Choose towns to chart.")
    else:
        st.altair_chart(control_chart(periods, data), width="stretch")
        st.caption("Faded bars: contested, besieged or mixed control; hover for the factions involved.")


def _view_at(row) -> ViewState:
    last = st.session_state.get(LAST_VIEW_KEY) or ViewState()
    box = (row.lon - EVENT_BOX_DEGREES, row.lat - EVENT_BOX_DEGREES,
           row.lon + EVENT_BOX_DEGREES, row.lat + EVENT_BOX_DEGREES)
    return ViewState(**{**last.model_dump(), "date": row.date.date(), "bounds": box})
