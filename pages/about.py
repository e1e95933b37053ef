from euphrates.streamlit_ui.about_page import render

render()
