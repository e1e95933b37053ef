"""Data shared by every session of the process: loaded once, never per session."""
from __future__ import annotations

import logging
import os

import streamlit as st

from euphrates.geodata import DEFAULT_GEODATA_DIR, GeoData, load_geodata
from euphrates.offline import VENDOR_DIR
from euphrates.streamlit_ui.overlay_cache import OverlayCache
from euphrates.place_stories import stories_script
from euphrates.playback import playback_script, write_script
from euphrates.streamlit_ui.text import plain

GEODATA_ENV = "EUPHRATES_GEODATA"


def geodata() -> GeoData:
    """The process-wide GeoData. `load_geodata` caches per process until a file changes (so an operator's fix
    shows on the next rerun, without a restart); GeoData is read-only, so sessions can share it."""
    return load_geodata(os.environ.get(GEODATA_ENV) or DEFAULT_GEODATA_DIR)


@st.cache_resource(show_spinner=False)
def overlay_cache() -> OverlayCache:
    """The map's rendered overlay groups, shared by every session of the process."""
    return OverlayCache()


def show_problems(data: GeoData) -> None:
    """A banner naming every layer problem; the good layers are still drawn."""
    if not data.problems:
        return
    lines = "\n".join(f"- {plain(str(problem))}" for problem in data.problems[:20])
    more = f"\n- … and {len(data.problems) - 20} more" if len(data.problems) > 20 else ""
    st.warning(f"Some geodata could not be loaded and is not shown:\n{lines}{more}")


# Streamlit serves static/ at /app/static; seen from st_folium's component iframe that is ../../app/static.
GENERATED_DIR = VENDOR_DIR.parent / "generated"
GENERATED_URL_BASE = "../../app/static/generated/"
SCRIPTS = {"playback": playback_script, "stories": stories_script}


def playback_url(data: GeoData) -> str | None:
    """Where the map's play control loads its data from (None: no play control)."""
    return _published("playback", data.version, data)


def stories_url(data: GeoData) -> str | None:
    """Where the villages' popups load their stories from (None: the stories go in the page)."""
    return _published("stories", data.version, data)


@st.cache_resource(show_spinner=False, max_entries=8)
def _published(kind: str, version: tuple, _data: GeoData) -> str | None:
    """A script made from the geodata, written once per geodata version under static/generated/ (and served
    by Streamlit); None if it cannot be written there."""
    try:
        return GENERATED_URL_BASE + write_script(kind, SCRIPTS[kind](_data), GENERATED_DIR)
    except OSError as error:
        logging.getLogger(__name__).warning("no %s script: cannot write %s: %s", kind, GENERATED_DIR, error)
        return None
