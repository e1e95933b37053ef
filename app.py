"""Euphrates 2017: entry point. `streamlit run app.py` (or `make run`). The pages have no icons: emoji draw as empty
boxes where no emoji font is installed, and Streamlit 1.67 fetches its Material icons' font from Google Fonts,
which an offline app must not do."""
import streamlit as st

st.set_page_config(page_title="Euphrates 2017", layout="wide")

navigation = st.navigation([
    st.Page("app_pages/map.py", title="Map", default=True),
    st.Page("app_pages/timeline.py", title="Timeline"),
    st.Page("app_pages/factions.py", title="Factions and territory"),
    st.Page("app_pages/race.py", title="The race"),
    st.Page("app_pages/data.py", title="Data and sources"),
    st.Page("app_pages/overlay.py", title="Your overlay"),
    st.Page("app_pages/about.py", title="About"),
])
navigation.run()
