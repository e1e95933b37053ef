"""The countries under the map (the bundled vector basemap) as one Leaflet GeoJSON layer whose data is written
out once per geodata version. Every rerun builds the base map, and serialising the countries there (GeoPandas to
JSON, folium parsing it back, then writing it again) was a fifth of a date change's server CPU (py-spy)."""
from __future__ import annotations

import threading

from branca.element import MacroElement
from folium.template import Template

from euphrates.geodata import GeoData
from euphrates.html_escape import esc
from euphrates.script_json import script_json

_CACHE: dict[tuple, str] = {}
_CACHE_LOCK = threading.Lock()


def countries_json(geodata: GeoData) -> str:
    """The countries as GeoJSON for a script: id, name (escaped: the tooltip shows it as HTML) and geometry."""
    key = geodata.version
    with _CACHE_LOCK:
        if key and key in _CACHE:
            return _CACHE[key]
    frame = geodata.layer("countries").frame
    features = [{"type": "Feature", "properties": {"id": row.id, "name": esc(row.name)},
                 "geometry": row.geometry.__geo_interface__}
                for row in frame.itertuples() if row.geometry is not None]
    text = script_json({"type": "FeatureCollection", "features": features})
    if key:  # a geodata read from files: the same files make the same text
        with _CACHE_LOCK:
            _CACHE.clear()  # one version at a time is enough: the app serves one
            _CACHE[key] = text
    return text


class CountriesLayer(MacroElement):
    """Country outlines, filled on the vector basemap (over a tile basemap only outlined), with their name as a
    tooltip."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.geoJson({{ this.data_json }}, {
            style: function() { return {{ this.style|tojson }}; },
            attribution: "Natural Earth"
        }).bindTooltip(function(layer) { return layer.feature.properties.name; }, {sticky: true})
          .addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, geodata: GeoData, filled: bool):
        super().__init__()
        self._name = "CountriesLayer"
        self.data_json = countries_json(geodata)
        self.style = {"color": "#6b6b6b", "weight": 1.2, "fillColor": "#f4f1ea",
                      "fillOpacity": 1.0 if filled else 0.0}
