"""The Streamlit side of the app. Everything else in `euphrates` runs without Streamlit."""
