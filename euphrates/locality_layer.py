"""The dense layer's dots on the map: one element per faction group, its records sent as compact JSON and its
popups built in the browser from text (DOM `textContent`, never HTML), only when opened.

A hundred villages with HTML popups made in Python cost over 1 KB each in the page (tags escaped inside a
script); as data they cost about a third of that.
"""
from __future__ import annotations

from branca.element import MacroElement
from folium.template import Template

from euphrates.script_json import script_json


class LocalityDots(MacroElement):
    """Circle markers for `records`: dicts with lat, lon, fill, ring (outline colour), weight, tooltip, and the
    popup's text fields: name, name_ar, about, holder, since, note, sources ([label, url or None]), position."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(group) {
            function add(parent, tag, text, style) {
                var node = document.createElement(tag);
                if (text) { node.textContent = text; }
                if (style) { node.style.cssText = style; }
                parent.appendChild(node);
                return node;
            }
            function popup(r) {
                var box = document.createElement('div');
                add(box, 'b', r.name);
                if (r.name_ar) { add(box, 'span', ' ' + r.name_ar); }
                add(box, 'div', r.about, 'font-size:11px;color:#555');
                var held = add(box, 'div');
                add(held, 'b', r.holder);
                add(held, 'span', r.since);
                if (r.note) { add(box, 'div', r.note, 'margin-top:2px'); }
                var list = add(add(box, 'div', 'Sources', 'margin-top:4px;font-weight:600'), 'ul',
                               null, 'margin:2px 0;padding-left:16px;font-weight:400');
                r.sources.forEach(function(source) {
                    var item = add(list, 'li');
                    if (source[1]) {
                        var link = add(item, 'a', source[0]);
                        link.href = source[1];
                        link.target = '_blank';
                        link.rel = 'noopener noreferrer';
                    } else {
                        item.textContent = source[0];
                    }
                });
                add(box, 'small', 'Position: ' + r.position, 'color:#666');
                return box;
            }
            // The dots' own pane, above every faction's areas (whose groups may be added after this one); made
            // by a first child layer, since a marker's pane must exist when the group adds it to the map.
            var PANE = 'euphratesLocalities';
            new (L.Layer.extend({
                onAdd: function(map) {
                    if (!map.getPane(PANE)) { map.createPane(PANE).style.zIndex = 430; }
                },
                onRemove: function() {}
            }))().addTo(group);
            {{ this.records_json }}.forEach(function(r) {
                L.circleMarker([r.lat, r.lon], {radius: 3, weight: r.weight, color: r.ring, fillColor: r.fill,
                                                fillOpacity: 0.95, className: 'euphrates-locality', pane: PANE})
                    .bindTooltip(function() {
                        var text = document.createElement('span');
                        text.textContent = r.tooltip;
                        return text;
                    })
                    .bindPopup(function() { return popup(r); }, {maxWidth: 320})
                    .addTo(group);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, records: list[dict]):
        super().__init__()
        self._name = "LocalityDots"
        self.records_json = script_json(records)  # UTF-8 as is: Arabic names stay 2 bytes a letter
