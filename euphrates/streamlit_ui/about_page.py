"""The About page: what the map is, where its data comes from, what is approximate."""
from __future__ import annotations

import streamlit as st

from euphrates.streamlit_ui.data import geodata
from euphrates.streamlit_ui.text import plain

ABOUT = """
**Euphrates 2017** maps eastern Syria in the autumn of 2017: the race down the Euphrates after the fall of Raqqa.

The story follows a report in *The Washington Post* of 20 October 2017: the US-backed Syrian Democratic Forces
(SDF) took Manbij (2016), Tabqa and Raqqa (2017); Syrian government forces, with Russian air power and Iranian
backing, crossed to the east bank of the river in Deir ez-Zor province and took Mayadeen, across a deconfliction
line US officials said had been tentatively agreed with Moscow, cutting off the SDF's planned route to Bukamal and
a link-up with Iraqi forces at Al-Qaim.

**What is approximate.** Control areas are derived from the sourced control of towns and oil fields (Voronoi cells
within Syria, split along the Euphrates), not drawn front lines. The deconfliction line's course was never
published; it is drawn along the river. Routes are schematic lines through towns. Every feature lists its sources;
click it on the map.

**Data.** Borders: Natural Earth (public domain). Rivers: CIA World Data Bank II (public domain). Places: GeoNames
(CC BY 4.0). Control histories, events and sites: researched from news reports and reference works, cited per
feature.
"""


def render() -> None:
    st.title("About Euphrates 2017")
    st.markdown(ABOUT)
    data = geodata()
    st.subheader("Factions")
    for faction in data.factions.values():
        st.markdown(f"**{plain(faction.name)}**: " + plain(
            f"backed by {', '.join(faction.backers) or 'no outside state'}. {faction.description}"))
