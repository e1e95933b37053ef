"""Small pieces the analysis pages share."""
from __future__ import annotations

from datetime import date

import streamlit as st

from euphrates.streamlit_ui.map_page import LAST_VIEW_KEY
from euphrates.timeline import DATA_END, DATA_START, DEFAULT_DATE


def current_date() -> date:
    """The day the user last looked at on the map (the article's day before that)."""
    view = st.session_state.get(LAST_VIEW_KEY)
    return view.date if view is not None else DEFAULT_DATE


def date_picker(key: str, label: str = "Date") -> date:
    if key not in st.session_state:
        st.session_state[key] = current_date()
    return st.date_input(label, min_value=DATA_START, max_value=DATA_END, key=key, format="DD/MM/YYYY")
