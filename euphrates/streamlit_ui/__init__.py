"""The Streamlit side of the app. Everything else in `euphrates` runs without Streamlit."""

from euphrates.streamlit_ui import fast_render, overlay_cache

fast_render.install()
overlay_cache.install()
