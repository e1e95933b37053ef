from euphrates.streamlit_ui.map_page import render

render()
