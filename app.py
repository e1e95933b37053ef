"""Euphrates 2017: entry point. `streamlit run app.py` (or `make run`)."""
import streamlit as st

st.set_page_config(page_title="Euphrates 2017", page_icon="🗺️", layout="wide")

navigation = st.navigation([
    st.Page("pages/map.py", title="Map", icon="🗺️", default=True),
    st.Page("pages/about.py", title="About", icon="ℹ️"),
])
navigation.run()
