"""Data shared by every session of the process: loaded once, never per session."""
from __future__ import annotations

import os

import streamlit as st

from euphrates.geodata import DEFAULT_GEODATA_DIR, GeoData, load_geodata
from euphrates.streamlit_ui.text import plain

GEODATA_ENV = "EUPHRATES_GEODATA"


def geodata() -> GeoData:
    """The process-wide GeoData. `load_geodata` caches per process until a file changes (so an operator's fix
    shows on the next rerun, without a restart); GeoData is read-only, so sessions can share it."""
    return load_geodata(os.environ.get(GEODATA_ENV) or DEFAULT_GEODATA_DIR)


def show_problems(data: GeoData) -> None:
    """A banner naming every layer problem; the good layers are still drawn."""
    if not data.problems:
        return
    lines = "\n".join(f"- {plain(str(problem))}" for problem in data.problems[:20])
    more = f"\n- … and {len(data.problems) - 20} more" if len(data.problems) > 20 else ""
    st.warning(f"Some geodata could not be loaded and is not shown:\n{lines}{more}")
