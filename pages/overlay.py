from euphrates.streamlit_ui.overlay_page import render

render()
