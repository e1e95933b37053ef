"""The overlay groups rendered once and shared by the sessions: st_folium gets the same script from a
prerendered group as it would make itself, in any slot, and the cache keys and bounds its entries."""
from __future__ import annotations

from datetime import date

import folium
import pytest
import streamlit_folium

from euphrates.geodata import load_geodata
from euphrates.mapbuilder import build_map
from euphrates.streamlit_ui import overlay_cache  # noqa: F401  (installs the fast path)
from euphrates.streamlit_ui.overlay_cache import OverlayCache, PrerenderedGroup
from euphrates.view import ViewState

ST_FOLIUMS_OWN = overlay_cache._get_feature_group_string


@pytest.mark.parametrize("day", [date(2017, 10, 19), date(2017, 7, 15)])
def test_st_folium_gets_the_script_it_would_make_itself_in_any_slot(day):
    cache = OverlayCache()
    overlays = build_map(ViewState(date=day), load_geodata(), group_cache=cache.get, stories_url="stories.js").overlays
    groups = [group for group in overlays if isinstance(group, PrerenderedGroup)]  # all but the map's furniture
    assert len(groups) == len(overlays) - 1 >= 10
    assert streamlit_folium._get_feature_group_string is overlay_cache._feature_group_string
    for slot, group in enumerate(groups, start=5):  # any slot: not the one the text was rendered in
        fast_map, own_map = folium.Map(tiles=None), folium.Map(tiles=None)
        fast = streamlit_folium._get_feature_group_string(group, fast_map, idx=slot)
        assert group in fast_map._children.values()  # the layer control lists the map's groups
        own = ST_FOLIUMS_OWN(group, own_map, idx=slot)
        # The one difference: st_folium's render adds the group to the map a second time (its text from the first
        # render already does), which Leaflet ignores.
        again = f"\n            feature_group_feature_group_{slot}.addTo(map_div);\n\n"
        if group.show:
            assert own.count(again) == fast.count(again) + 1 == 2, (slot, group.layer_name)
            cut = own.rfind(again)
            own = own[:cut] + own[cut + len(again):]
        assert fast == own, (slot, group.layer_name)
        assert f"map_div.addLayer(feature_group_feature_group_{slot});" in fast


def test_a_key_is_rendered_once_and_the_oldest_entries_go():
    cache = OverlayCache(max_groups=2)
    made = []

    def make(name):
        def build():
            made.append(name)
            return folium.FeatureGroup(name=name)
        return build

    def script(group):
        return streamlit_folium._get_feature_group_string(group, folium.Map(tiles=None), idx=0)

    first = script(cache.get("a", make("a")))
    assert script(cache.get("a", make("a"))) == first and made == ["a"]
    cache.get("b", make("b"))
    cache.get("c", make("c"))  # "a" is the oldest of three: it goes
    cache.get("a", make("a"))
    assert made == ["a", "b", "c", "a"]
