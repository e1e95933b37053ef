"""The race: how far the SDF and the government were from the Euphrates strongholds over time."""
from __future__ import annotations

import streamlit as st

from euphrates.analysis import METHOD_NOTE, RACE_TARGETS, race_table
from euphrates.streamlit_ui.charts import race_chart
from euphrates.geodata import directory_signature, load_geodata
from euphrates.streamlit_ui.data import geodata, show_problems
from euphrates.streamlit_ui.text import plain


@st.cache_data(show_spinner="Measuring distances…")
def _race_table(directory: str, signature: tuple):
    # Keyed on the folder and its files' signature: recomputed only when the data changes.
    return race_table(load_geodata(directory))


def render() -> None:
    data = geodata()
    show_problems(data)
    st.title("The race down the Euphrates")
    st.write("After Raqqa, the SDF meant to push down the river to Mayadeen and Bukamal and meet Iraqi forces at "
             "Al-Qaim; government forces, with Russian air power, got there first. The charts show each side's "
             "distance from its nearest held ground to each objective.")
    table = _race_table(str(data.directory), directory_signature(data.directory))
    names = {town.id: town.name for town in data.layer("towns").records} if data.layer("towns") else {}
    for target in RACE_TARGETS:
        rows = table[table["target"] == target]
        st.markdown(f"**Distance to {plain(names.get(target, target))}**")  # the name comes from a data file
        st.altair_chart(race_chart(rows, data), width="stretch")
    st.caption(METHOD_NOTE)
    st.download_button("Download the distance table (CSV)", table.to_csv(index=False).encode(),
                       file_name="euphrates_race.csv", mime="text/csv")
