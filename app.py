"""Euphrates 2017: entry point. `streamlit run app.py` (or `make run`).

The pages live in `pages/`. Streamlit would list that folder's files as its own navigation, so
`client.showSidebarNavigation = false` (.streamlit/config.toml) turns that off and the app draws its own: the
same titles, in the sidebar, as links. Deep links (`/race`, `/timeline`, …) come from the file names. The pages
have no icons: emoji draw as empty boxes where no emoji font is installed, and Streamlit 1.67 fetches its
Material icons' font from Google Fonts, which an offline app must not do."""
import streamlit as st

from euphrates.streamlit_ui.history import replace_query_pushes

st.set_page_config(page_title="Euphrates 2017", layout="wide")

PAGES = [
    st.Page("pages/map.py", title="Map", default=True),
    st.Page("pages/timeline.py", title="Timeline"),
    st.Page("pages/factions.py", title="Factions and territory"),
    st.Page("pages/race.py", title="The race"),
    st.Page("pages/data.py", title="Data and sources"),
    st.Page("pages/overlay.py", title="Your overlay"),
    st.Page("pages/about.py", title="About"),
]
navigation = st.navigation(PAGES, position="hidden")
with st.sidebar:
    replace_query_pushes()  # first, before a page writes its view to the address: Back then leaves the view
    for page in PAGES:
        st.page_link(page)
    st.divider()
navigation.run()
