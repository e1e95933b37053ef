"""Altair charts of the analysis pages (Altair ships with Streamlit and draws offline)."""
from __future__ import annotations

import altair as alt
import pandas as pd

from euphrates.geodata import GeoData
from euphrates.timeline import DATA_END, DATA_START, KEY_DATES


def faction_scale(geodata: GeoData, shown: pd.Series | None = None) -> alt.Scale:
    """The factions' own colours, keyed by their short names; only the factions in `shown` get a legend entry."""
    factions = [f for f in geodata.factions.values() if shown is None or f.short_name in set(shown)]
    return alt.Scale(domain=[f.short_name for f in factions], range=[f.color for f in factions])


def with_faction_names(frame: pd.DataFrame, geodata: GeoData, column: str = "faction") -> pd.DataFrame:
    names = {faction_id: faction.short_name for faction_id, faction in geodata.factions.items()}
    return frame.assign(**{column: frame[column].map(lambda value: names.get(value, value))})


def key_date_rules(start=DATA_START, end=DATA_END) -> alt.Chart:
    frame = pd.DataFrame([{"date": pd.Timestamp(day), "label": label} for day, label in KEY_DATES
                          if start <= day <= end])
    return alt.Chart(frame).mark_rule(color="#888", strokeDash=[2, 3]).encode(
        x="date:T", tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), "label:N"])


def events_chart(events: pd.DataFrame, geodata: GeoData) -> alt.Chart:
    """Events on a zoomable time axis (drag to pan, wheel to zoom), one row per kind."""
    events = with_faction_names(events, geodata)
    return alt.Chart(events).mark_circle(size=110, opacity=0.9, stroke="#222", strokeWidth=0.8).encode(
        x=alt.X("date:T", title=None, scale=alt.Scale(domain=[DATA_START.isoformat(), DATA_END.isoformat()])),
        y=alt.Y("kind:N", title=None),
        color=alt.Color("faction:N", scale=faction_scale(geodata, events["faction"]), title="Faction"),
        tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), "title:N", "kind:N", "factions:N"],
    ).properties(height=260).interactive(bind_y=False)


def control_chart(periods: pd.DataFrame, geodata: GeoData) -> alt.Chart:
    """Which faction held each town when: a bar per holding period, faded when not simply held."""
    periods = with_faction_names(periods, geodata, "controller")
    return alt.Chart(periods).mark_bar(height=14).encode(
        x=alt.X("start:T", title=None, scale=alt.Scale(domain=[DATA_START.isoformat(), DATA_END.isoformat()])),
        x2="end:T",
        y=alt.Y("town:N", title=None, sort=None),
        color=alt.Color("controller:N", scale=faction_scale(geodata, periods["controller"]), title="Held by"),
        opacity=alt.Opacity("state:N", scale=alt.Scale(domain=["held", "contested", "besieged", "mixed"],
                                                         range=[1.0, 0.45, 0.7, 0.6]), title="State"),
        tooltip=["town:N", "state:N", "controller:N", "factions:N", alt.Tooltip("start:T", format="%d %b %Y"),
                 alt.Tooltip("end:T", format="%d %b %Y")],
    ).properties(height=alt.Step(20)).interactive(bind_y=False)


def area_chart(series: pd.DataFrame, geodata: GeoData) -> alt.Chart:
    series = with_faction_names(series, geodata)
    line = alt.Chart(series).mark_line(interpolate="step-after", strokeWidth=2.5).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("km2:Q", title="km² (approximate)"),
        color=alt.Color("faction:N", scale=faction_scale(geodata, series["faction"]), title="Faction"),
        tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), "faction:N", alt.Tooltip("km2:Q", format=",.0f")],
    )
    return (line + key_date_rules()).properties(height=320)


def race_chart(table: pd.DataFrame, geodata: GeoData) -> alt.Chart:
    """Distance to one target over time, a line per faction, with the key dates marked."""
    table = with_faction_names(table, geodata)
    line = alt.Chart(table).mark_line(interpolate="step-after", strokeWidth=2.5, point=True).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("km:Q", title="km from nearest held ground"),
        color=alt.Color("faction:N", scale=faction_scale(geodata, table["faction"]), title="Faction"),
        tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), "faction:N", "target:N",
                 alt.Tooltip("km:Q", format=",.0f")],
    )
    return (line + key_date_rules()).properties(height=200)
