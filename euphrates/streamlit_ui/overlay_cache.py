"""Overlay groups rendered once for st_folium and shared by every session of the process.

A rerun used to build and render every overlay group again (about 0.2 s of CPU for the default view), though a
faction toggle changes one group and the readers of a news link mostly look at the same few days. Each group is
keyed by what it shows (see `mapbuilder.build_map`); its script, as st_folium writes it, is kept in a bounded LRU
and handed back as a `PrerenderedGroup`, whose script st_folium takes as it is.

The script is rendered under a placeholder group name and renamed to the slot st_folium gives the group on each
run (feature_group_<n>), so one text serves the group at any position in the list. `install()` also lets
st_folium take that text as it is: otherwise it renders, regex-scans and dedents every group's script again on
every rerun, prerendered or not (about 10 ms of the server's CPU per faction toggle, bench/bench_map.py).
"""
from __future__ import annotations

from typing import Callable, Hashable

import folium
import streamlit_folium
from folium.template import Template
from streamlit_folium import _get_feature_group_string

from euphrates.bounded_cache import BoundedCache

PLACEHOLDER_INDEX = 987654
PLACEHOLDER = f"feature_group_{PLACEHOLDER_INDEX}"
# st_folium appends this to every group's script itself; the cached text stops before it.
_TRAILER = f"\nmap_div.addLayer(feature_group_{PLACEHOLDER});"
# About 100 KB a group: 400 groups are a few days of every faction and layer, some 40 MB for the process.
MAX_GROUPS = 400


class PrerenderedGroup(folium.FeatureGroup):
    """A feature group whose script (the group and everything in it) was rendered before."""

    _template = Template("""
        {% macro script(this, kwargs) %}{{ this.script_text }}{% endmacro %}
    """)

    def __init__(self, text: str, trailer: str, name: str, control: bool, show: bool):
        super().__init__(name=name, control=control, show=show)
        self._name = "FeatureGroup"
        self._text = text
        self._trailer = trailer

    @property
    def script_text(self) -> str:
        return self._text.replace(PLACEHOLDER, self._id)

    def st_folium_string(self) -> str:
        """What st_folium's `_get_feature_group_string` makes of this group in its slot (`_id`): the text it
        made when the group was rendered, with its own lines that add the group to the map."""
        return (self._text + self._trailer).replace(PLACEHOLDER, self._id)


class OverlayCache:
    """`get(key, make)`: the group `make()` builds, rendered once per key (and per geodata version: callers put
    it in the key)."""

    def __init__(self, max_groups: int = MAX_GROUPS):
        self._rendered: BoundedCache[tuple[str, str, str, bool, bool]] = BoundedCache(max_groups)

    def get(self, key: Hashable, make: Callable[[], folium.FeatureGroup]) -> PrerenderedGroup:
        return PrerenderedGroup(*self._rendered.get(key, lambda: _render(make())))


def _render(group: folium.FeatureGroup) -> tuple[str, str, str, bool, bool]:
    text = _get_feature_group_string(group, folium.Map(tiles=None), idx=PLACEHOLDER_INDEX)
    end = text.find(_TRAILER)
    if end < 0:  # st_folium changed how it writes groups: fail loudly rather than draw a map twice
        raise RuntimeError("st_folium's feature-group script has an unexpected form; update overlay_cache")
    return text[:end], text[end:], group.layer_name, group.control, group.show


def _feature_group_string(feature_group: folium.FeatureGroup, map: folium.Map, idx: int = 0) -> str:
    """st_folium's `_get_feature_group_string`, which a prerendered group skips: the group still joins the map
    in its slot (the layer control lists the map's groups), but its text is not made again."""
    if not isinstance(feature_group, PrerenderedGroup):
        return _get_feature_group_string(feature_group, map, idx)
    feature_group._id = f"feature_group_{idx}"
    feature_group.add_to(map)
    return feature_group.st_folium_string()


def install() -> None:
    streamlit_folium._get_feature_group_string = _feature_group_string
