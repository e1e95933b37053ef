"""Euphrates 2017: entry point. `streamlit run app.py` (or `make run`). Icons are Material icons, which Streamlit
bundles: emoji render as empty boxes where no emoji font is installed."""
import streamlit as st

st.set_page_config(page_title="Euphrates 2017", page_icon=":material/map:", layout="wide")

navigation = st.navigation([
    st.Page("app_pages/map.py", title="Map", icon=":material/map:", default=True),
    st.Page("app_pages/timeline.py", title="Timeline", icon=":material/calendar_month:"),
    st.Page("app_pages/factions.py", title="Factions and territory", icon=":material/flag:"),
    st.Page("app_pages/race.py", title="The race", icon=":material/sports_score:"),
    st.Page("app_pages/data.py", title="Data and sources", icon=":material/menu_book:"),
    st.Page("app_pages/overlay.py", title="Your overlay", icon=":material/upload_file:"),
    st.Page("app_pages/about.py", title="About", icon=":material/info:"),
])
navigation.run()
