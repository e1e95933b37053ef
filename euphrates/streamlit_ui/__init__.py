"""The Streamlit side of the app. Everything else in `euphrates` runs without Streamlit."""

from euphrates.streamlit_ui import fast_render

fast_render.install()
