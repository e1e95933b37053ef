from euphrates.streamlit_ui.race_page import render

render()
