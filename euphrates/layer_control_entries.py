"""Entries in the map's layer control for the factions and layers that are switched off, so they can be switched
back on from the map, not only from the sidebar (issue 11, item 6). The page's map holds no group for what is
off (that keeps the payload small); an empty stand-in is listed unticked instead, and ticking it is reported
like any other overlay change, after which the page draws the real group."""
from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template


class SwitchedOffEntries(MacroElement):
    """`names`: the layer-control names (HTML-escaped, as the groups' own) of what is switched off."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(names) {
            // st_folium builds the layer control after the overlay groups; wait for this run's control.
            var tries = 0;
            (function addWhenReady() {
                var control = window.layer_control;
                if (!control || control._euphratesOffEntries) {
                    if (++tries < 100) { setTimeout(addWhenReady, 20); }
                    return;
                }
                control._euphratesOffEntries = true;
                names.forEach(function(name) { control.addOverlay(L.layerGroup(), name); });
            })();
        })({{ this.names|tojson }});
        {% endmacro %}
    """)

    def __init__(self, names: list[str]):
        super().__init__()
        self._name = "SwitchedOffEntries"
        self.names = names
