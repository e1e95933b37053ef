"""Places that changed hands between two compared days, on the map: a dot split in two, the holder before on the
left and after on the right, made in the browser from compact JSON (text only: tooltips are set as text)."""
from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

from euphrates.script_json import script_json


class ChangedPlaces(MacroElement):
    """`records`: dicts with id, lat, lon, from and to (faction ids or ""), before and after (their colours),
    town (bool: a bigger dot) and label (text)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(group) {
            var NS = 'http://www.w3.org/2000/svg';
            function half(svg, d, fill) {
                var path = document.createElementNS(NS, 'path');
                path.setAttribute('d', d);
                path.setAttribute('fill', fill);
                svg.appendChild(path);
            }
            {{ this.records_json }}.forEach(function(r) {
                var size = r.town ? 18 : 12, c = size / 2, radius = c - 1.5;
                var svg = document.createElementNS(NS, 'svg');
                svg.setAttribute('width', size);
                svg.setAttribute('height', size);
                svg.setAttribute('data-place', r.id);
                svg.setAttribute('data-before', r.from);
                svg.setAttribute('data-after', r.to);
                half(svg, 'M' + c + ' ' + (c - radius) + 'A' + radius + ' ' + radius + ' 0 0 0 ' + c + ' '
                     + (c + radius) + 'Z', r.before);
                half(svg, 'M' + c + ' ' + (c - radius) + 'A' + radius + ' ' + radius + ' 0 0 1 ' + c + ' '
                     + (c + radius) + 'Z', r.after);
                var ring = document.createElementNS(NS, 'circle');
                ring.setAttribute('cx', c); ring.setAttribute('cy', c); ring.setAttribute('r', radius);
                ring.setAttribute('fill', 'none'); ring.setAttribute('stroke', '#fff');
                ring.setAttribute('stroke-width', 1.5);
                svg.appendChild(ring);
                var holder = document.createElement('div');
                holder.appendChild(svg);
                var marker = L.marker([r.lat, r.lon], {
                    icon: L.divIcon({html: holder.innerHTML, iconSize: [size, size], iconAnchor: [c, c],
                                     className: 'euphrates-changed'}),
                    zIndexOffset: 500});
                var tip = document.createElement('span');
                tip.textContent = r.label;
                marker.bindTooltip(tip);
                marker.addTo(group);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, records: list[dict]):
        super().__init__()
        self._name = "ChangedPlaces"
        self.records_json = script_json(records)
