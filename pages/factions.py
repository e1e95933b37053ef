from euphrates.streamlit_ui.factions_page import render

render()
