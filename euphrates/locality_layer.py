"""The dense layer's dots on the map: one element per faction group, its records sent as compact JSON and its
popups built in the browser from text (DOM `textContent`, never HTML), only when opened.

A hundred villages with HTML popups made in Python cost over 1 KB each in the page (tags escaped inside a
script); as data they cost about a third of that.
"""
from __future__ import annotations

from collections import Counter

from branca.element import MacroElement
from folium.template import Template

from euphrates.place_stories import GLOBAL_NAME as STORIES_GLOBAL
from euphrates.popup_text import POPUP_DOM_JS
from euphrates.script_json import script_json

SHARED_FIELDS = ("fill", "ring", "weight", "holder")


class LocalityDots(MacroElement):
    """Circle markers for `records`: dicts with id, lat, lon, name, fill, ring (outline colour), weight, holder,
    since (the date, with " (approx.)" when only roughly known) and approx (position approximate: 1 or absent),
    and either the popup's other text fields (name_ar, about, note, sources ([label, url or None]), position)
    or, with `stories_url`, nothing more: the popup then shows the place's whole history from the stories
    script (euphrates.place_stories), loaded when a first popup opens.

    Records are sent without the fill, ring, weight and holder most of them share (in one faction's group
    all but the contested few): written out for every village, these were 7% of the default view's payload."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function(group) {
            {{ this.popup_dom_js }}
            // Name, kind and the holder of the day: the top of both popups.
            function heading(box, place, r) {
                add(box, 'b', place.name);
                if (place.name_ar) { add(box, 'span', ' ' + place.name_ar); }
                add(box, 'div', place.about, 'font-size:11px;color:#555');
                var held = add(box, 'div');
                add(held, 'b', r.holder);
                add(held, 'span', ', since ' + r.since);
                return box;
            }
            function popup(r) {
                var box = heading(document.createElement('div'), r, r);
                if (r.note) { add(box, 'div', r.note, 'margin-top:2px'); }
                addSources(add(box, 'div', 'Sources', 'margin-top:4px;font-weight:600'), r.sources,
                           'margin:2px 0;padding-left:16px;font-weight:400');
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
            // Lean records (no `sources`): the stories script, loaded on the first popup, has the rest.
            var stories = {{ this.stories_json }};
            function loadStories(done) {
                if (window[stories.global]) { done(); return; }
                var waiting = window.__euphratesStoriesWaiting;
                if (waiting) { waiting.push(done); return; }
                window.__euphratesStoriesWaiting = [done];
                var script = document.createElement('script');
                script.src = stories.url;
                script.onload = script.onerror = function() {
                    var queue = window.__euphratesStoriesWaiting;
                    window.__euphratesStoriesWaiting = null;
                    queue.forEach(function(callback) { callback(); });
                };
                document.head.appendChild(script);
            }
            function storyPopup(r, story) {
                var box = document.createElement('div');
                box.style.cssText = 'max-height:300px;overflow:auto';
                heading(box, story, r);
                add(box, 'div', 'History and sources', 'margin-top:4px;font-weight:600');
                var table = add(box, 'table', null, 'border-collapse:collapse');
                story.history.forEach(function(row) {
                    var tr = add(table, 'tr');
                    add(tr, 'td', row[0], 'vertical-align:top;padding-right:6px;white-space:nowrap');
                    var what = add(tr, 'td', row[1]);
                    if (row[2]) { add(what, 'div', row[2], 'font-size:11px'); }
                    addSources(what, row[3], 'margin:1px 0 3px;padding-left:14px;font-size:11px');
                });
                add(box, 'small', 'Position: ' + story.position, 'color:#666');
                return box;
            }
            var defaults = {{ this.defaults_json }};
            {{ this.records_json }}.forEach(function(given) {
                var r = Object.assign({}, defaults, given);
                var dot = L.circleMarker([r.lat, r.lon], {radius: 3, weight: r.weight, color: r.ring,
                        fillColor: r.fill, fillOpacity: 0.95, className: 'euphrates-locality', pane: PANE})
                    .bindTooltip(function() {
                        var text = document.createElement('span');
                        text.textContent = r.name + ': ' + r.holder + (r.approx ? ' (location approximate)' : '');
                        return text;
                    });
                if (r.sources) {
                    dot.bindPopup(function() { return popup(r); }, {maxWidth: 320});
                } else {
                    dot.bindPopup(function() {
                        var story = (window[stories.global] || {})[r.id];
                        return story ? storyPopup(r, story) : 'Loading the sources\u2026';
                    }, {maxWidth: 340});
                    dot.on('popupopen', function(event) {
                        if (window[stories.global]) { return; }
                        loadStories(function() {
                            var story = (window[stories.global] || {})[r.id];
                            event.popup.setContent(story ? storyPopup(r, story)
                                                         : 'The sources could not be loaded.');
                        });
                    });
                }
                dot.addTo(group);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, records: list[dict], stories_url: str | None = None):
        super().__init__()
        self._name = "LocalityDots"
        self.popup_dom_js = POPUP_DOM_JS
        defaults = {key: Counter(record[key] for record in records).most_common(1)[0][0]
                    for key in SHARED_FIELDS}
        lean = [{key: value for key, value in record.items() if key not in defaults or defaults[key] != value}
                for record in records]
        self.records_json = script_json(lean)  # UTF-8 as is: Arabic names stay 2 bytes a letter
        self.defaults_json = script_json(defaults)
        self.stories_json = script_json({"url": stories_url, "global": STORIES_GLOBAL})
