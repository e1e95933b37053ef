"""Euphrates 2017: entry point. `streamlit run app.py` (or `make run`)."""
import streamlit as st

st.set_page_config(page_title="Euphrates 2017", page_icon="🗺️", layout="wide")

navigation = st.navigation([
    st.Page("app_pages/map.py", title="Map", icon="🗺️", default=True),
    st.Page("app_pages/timeline.py", title="Timeline", icon="📅"),
    st.Page("app_pages/factions.py", title="Factions and territory", icon="🏳️"),
    st.Page("app_pages/race.py", title="The race", icon="🏁"),
    st.Page("app_pages/data.py", title="Data and sources", icon="📚"),
    st.Page("app_pages/overlay.py", title="Your overlay", icon="📤"),
    st.Page("app_pages/about.py", title="About", icon="ℹ️"),
])
navigation.run()
