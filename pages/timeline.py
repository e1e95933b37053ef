from euphrates.streamlit_ui.timeline_page import render

render()
