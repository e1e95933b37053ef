from euphrates.streamlit_ui.data_page import render

render()
