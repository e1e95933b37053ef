"""Play the map through time in the browser: a Leaflet control (play/pause, speed, the day shown, the caption of
a key date) that swaps the day's colours on its own, with no Streamlit rerun per frame.

The states come from `euphrates.playback`'s script, loaded on the first press of play. While playing, the
groups drawn for the page's day (tagged by `DayBound`) are taken off the map and a playback layer recolours
cells of the control areas and the towns' and villages' dots. On pause the day is handed back: under st_folium
through `selected_tags` (the page then redraws that day and the playback layer gives way to the new groups);
in the static site, in the address (#date=YYYY-MM-DD), which the page also reads on opening.

The control lives in the base map, which st_folium keeps across reruns; what depends on the view (the day, the
factions and layers shown) comes with the overlays, in `PlaybackView`, so changing the view never rebuilds the
base map.
"""
from __future__ import annotations

from datetime import date

from branca.element import MacroElement
from folium.template import Template

from euphrates.playback import GLOBAL_NAME, day_number
from euphrates.timeline import DATA_START
from euphrates.script_json import script_json

# Days per second for each speed the reader can choose, and the one it starts with.
SPEEDS = (("1 day/s", 1), ("1 week/s", 7), ("1 month/s", 30))
DEFAULT_SPEED = 7
KEY_DATE_PAUSE_MS = 1500
RERUN_WAIT_MS = 8000
DAY_TAG_PREFIX = "euphrates-day:"


class DayBound(MacroElement):
    """Marks its parent group as drawn for the page's day, so the playback hides it while it plays."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.euphratesDayBound = true;
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "DayBound"


class PlaybackView(MacroElement):
    """The view the playback starts from: the page's day, the factions and the layers shown."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        window.euphratesPlaybackView = {{ this.view_json }};
        if (window.euphratesPlayback) { window.euphratesPlayback.viewChanged(); }
        {% endmacro %}
    """)

    def __init__(self, day: date, factions: tuple[str, ...], layers: tuple[str, ...], title_prefix: str | None):
        super().__init__()
        self._name = "PlaybackView"
        self.view_json = script_json({"day": day_number(day), "factions": list(factions),
                                      "areas": "control_areas" in layers, "towns": "towns" in layers,
                                      "localities": "localities" in layers, "titlePrefix": title_prefix})


class PlaybackControl(MacroElement):
    """The play/pause control; `script_url` is where the playback data script is, relative to the page."""

    _template = Template("""
        {% macro header(this, kwargs) %}
        <style>
        .euphrates-playback { background: rgba(255,255,255,.94); padding: 5px 8px; border-radius: 4px;
            box-shadow: 0 1px 4px rgba(0,0,0,.35); font: 12px/1.35 system-ui, -apple-system, 'Segoe UI', Roboto,
            sans-serif; color: #222; max-width: 260px; }
        .euphrates-playback button { font: inherit; min-width: 64px; padding: 2px 6px; cursor: pointer; }
        .euphrates-playback select { font: inherit; margin-left: 4px; }
        .euphrates-playback .euphrates-playback-day { display: block; margin-top: 3px; font-weight: 600; }
        .euphrates-playback .euphrates-playback-caption { display: block; color: #444; }
        .euphrates-playback .euphrates-playback-caption:empty { display: none; }
        </style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function(map, options) {
            var MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
                          'September', 'October', 'November', 'December'];
            var START = Date.parse(options.start + 'T00:00:00Z');  // day 0 of the data
            var PANE = 'euphratesPlayback';
            var state = {playing: false, wanted: false, loading: false, day: null, data: null, layer: null,
                         cells: [], places: [], hidden: [], timer: null, fallback: null, keyPause: {}, frames: 0,
                         owed: 0, tickAt: 0};

            function toDate(day) { return new Date(START + day * 86400000); }
            function iso(day) { return toDate(day).toISOString().slice(0, 10); }
            function longDate(day) {
                var d = toDate(day);
                return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + ' ' + d.getUTCFullYear();
            }
            function view() { return window.euphratesPlaybackView || {day: 0, factions: []}; }
            // The entry in force on `day` in a list of [day, ...] changes, sorted by day.
            function entryOn(changes, day) {
                var found = null;
                for (var i = 0; i < changes.length && changes[i][0] <= day; i++) { found = changes[i]; }
                return found;
            }

            var control = L.control({position: 'bottomright'});
            control.onAdd = function() {
                var box = L.DomUtil.create('div', 'euphrates-playback');
                box.innerHTML = '<button type="button" class="euphrates-playback-toggle" '
                    + 'aria-label="Play the map through time">\u25B6 Play</button>'
                    + '<select class="euphrates-playback-speed" aria-label="Playback speed"></select>'
                    + '<span class="euphrates-playback-day"></span>'
                    + '<span class="euphrates-playback-caption" aria-live="polite"></span>';
                var speed = box.querySelector('select');
                options.speeds.forEach(function(item) {
                    var option = document.createElement('option');
                    option.value = item[1];
                    option.textContent = item[0];
                    option.selected = item[1] === options.defaultSpeed;
                    speed.appendChild(option);
                });
                box.querySelector('button').addEventListener('click', function() {
                    if (state.wanted) { pause(); } else { play(); }
                });
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.disableScrollPropagation(box);
                state.box = box;
                return box;
            };
            control.addTo(map);
            var button = state.box.querySelector('button'), speedBox = state.box.querySelector('select');
            var dayLabel = state.box.querySelector('.euphrates-playback-day');
            var caption = state.box.querySelector('.euphrates-playback-caption');

            function setButton(playing) {
                button.textContent = playing ? '\u275A\u275A Pause' : '\u25B6 Play';
                button.setAttribute('aria-label', playing ? 'Pause' : 'Play the map through time');
            }

            function load(done) {
                if (window[options.global]) { done(); return; }
                if (state.loading) { state.onLoad = done; return; }
                state.loading = true;
                state.onLoad = done;
                dayLabel.textContent = 'Loading\u2026';
                var script = document.createElement('script');
                script.src = options.scriptUrl;
                script.onload = function() { state.loading = false; state.onLoad(); };
                script.onerror = function() {
                    state.loading = false;
                    state.wanted = false;
                    setButton(false);
                    dayLabel.textContent = 'The playback data could not be loaded.';
                };
                document.head.appendChild(script);
            }

            function prepare() {
                var data = window[options.global];
                if (state.data === data) { return; }
                state.data = data;
                if (!map.getPane(PANE)) { map.createPane(PANE).style.zIndex = 420; }
                state.layer = L.layerGroup();
                state.cells = data.cells.map(function(cell, number) {
                    var latlngs = cell.map(function(polygon) {
                        return polygon.map(function(ring) {
                            return ring.map(function(point) { return [point[1], point[0]]; });
                        });
                    });
                    var shape = L.polygon(latlngs, {pane: PANE, stroke: false, fillOpacity: 0,
                                                    interactive: false});
                    return {shape: shape, changes: data.holders[number], key: null};
                });
                state.places = data.places.map(function(place) {
                    var dot = L.circleMarker([place[2], place[3]], {
                        pane: PANE, radius: place[4] === 0 ? 6 : 3.5, weight: place[4] === 0 ? 1.5 : 1,
                        color: '#222', fillOpacity: 1, opacity: 1,
                        className: 'euphrates-play-place euphrates-play-' + place[0]});
                    dot.bindTooltip(place[1]);
                    return {dot: dot, town: place[4] === 0, changes: place[5], key: null};
                });
            }

            function shown() {
                var v = view(), factions = {};
                v.factions.forEach(function(id) { factions[id] = true; });
                return {v: v, factions: factions};
            }

            function draw(day) {
                var data = state.data, s = shown(), colours = data.factions;
                state.cells.forEach(function(cell) {
                    var entry = entryOn(cell.changes, day);
                    var faction = entry && entry[1] >= 0 ? colours[entry[1]] : null;
                    var visible = s.v.areas && faction && s.factions[faction[0]];
                    var key = visible ? faction[1] + entry[2] : '';
                    if (key === cell.key) { return; }
                    cell.key = key;
                    if (!visible) { state.layer.removeLayer(cell.shape); return; }
                    cell.shape.setStyle({fillColor: faction[1], fillOpacity: entry[2] ? 0.12 : 0.35});
                    state.layer.addLayer(cell.shape);
                });
                state.places.forEach(function(place) {
                    var entry = entryOn(place.changes, day);
                    var faction = entry && entry[1] >= 0 ? colours[entry[1]] : null;
                    var wanted = place.town ? s.v.towns : s.v.localities;
                    var visible = wanted && faction && s.factions[faction[0]];
                    var other = entry && entry[3] >= 0 ? colours[entry[3]][1] : '#222';
                    var key = visible ? faction[1] + entry[2] + other : '';
                    if (key === place.key) { return; }
                    place.key = key;
                    if (!visible) { state.layer.removeLayer(place.dot); return; }
                    place.dot.setStyle({fillColor: faction[1], color: entry[2] > 0 ? other : '#222',
                                        dashArray: entry[2] === 1 ? '3 2' : null});
                    state.layer.addLayer(place.dot);
                });
                state.day = day;
                state.frames += 1;
                dayLabel.textContent = longDate(day);
                var title = map.getContainer().querySelector('.euphrates-title [data-date]');
                if (title && typeof s.v.titlePrefix === 'string') {  // a custom title is left alone
                    title.textContent = s.v.titlePrefix + longDate(day);
                    title.setAttribute('data-date', iso(day));
                }
            }

            function hideDayBound() {
                map.eachLayer(function(layer) {
                    if (layer.euphratesDayBound) { state.hidden.push(layer); map.removeLayer(layer); }
                });
            }

            function play() {
                state.wanted = true;
                setButton(true);
                load(function() {
                    if (!state.wanted) { return; }  // paused while loading
                    prepare();
                    if (!state.layer._map) {
                        state.day = view().day;
                        hideDayBound();
                        state.layer.addTo(map);
                    }
                    if (state.day === null || state.day >= state.data.days) { state.day = 0; }
                    clearTimeout(state.fallback);
                    state.playing = true;
                    state.keyPause = {};
                    state.owed = 0;
                    draw(state.day);
                    schedule();
                });
            }

            function perSecond() { return Number(speedBox.value) || options.defaultSpeed; }
            // A tick draws the days owed since the last one (several when drawing falls behind the speed), but
            // stops on a key date, which is held a moment with its caption.
            function schedule() {
                clearTimeout(state.timer);
                if (!state.playing) { return; }
                var extra = 0, key = keyDateOn(state.day);
                caption.textContent = key || '';
                if (key && !state.keyPause[state.day]) {
                    state.keyPause[state.day] = true;
                    extra = options.keyPauseMs;
                }
                state.tickAt = performance.now() + extra;  // a held key date is no playing time
                state.timer = setTimeout(step, Math.max(16, 1000 / perSecond()) + extra);
            }
            function keyDateOn(day) {
                var found = null;
                state.data.keyDates.forEach(function(item) { if (item[0] === day) { found = item[1]; } });
                return found;
            }
            function step() {
                if (!state.playing) { return; }
                if (state.day >= state.data.days) { pause(); return; }
                var due = state.owed + (performance.now() - state.tickAt) * perSecond() / 1000;
                var advance = Math.max(1, Math.floor(due));
                state.owed = Math.max(0, due - advance);
                var next = Math.min(state.data.days, state.day + advance);
                state.data.keyDates.forEach(function(item) {
                    if (item[0] > state.day && item[0] < next) { next = item[0]; state.owed = 0; }
                });
                draw(next);
                schedule();
            }

            function pause() {
                state.wanted = false;
                var wasPlaying = state.playing;
                state.playing = false;
                clearTimeout(state.timer);
                setButton(false);
                if (wasPlaying) { report(state.day); }
            }

            // Hand the shown day back to the page: st_folium's page redraws it (a rerun, whose groups then
            // replace the playback layer); the static site keeps showing it and writes it into the address.
            function report(day) {
                var data = window.__GLOBAL_DATA__;
                if (!data) {
                    try { history.replaceState(null, '', '#date=' + iso(day)); } catch (e) {}
                    return;
                }
                if (day === view().day) { giveWay(true); return; }
                data.selected_tags = [options.tagPrefix + iso(day)];
                map.fire('moveend');  // st_folium sends its value on this
                // Should no rerun come, show the page's own day again rather than a stale playback.
                clearTimeout(state.fallback);
                state.fallback = setTimeout(function() { if (!state.playing) { giveWay(true); } },
                                            options.rerunWaitMs);
            }
            // Take the playback layer off; `restore` puts back the groups it hid (a rerun replaces them instead).
            function giveWay(restore) {
                clearTimeout(state.fallback);
                if (state.layer && state.layer._map) { map.removeLayer(state.layer); }
                if (restore) {
                    state.hidden.forEach(function(layer) { if (!layer._map) { map.addLayer(layer); } });
                }
                state.hidden = [];
                state.day = null;
                dayLabel.textContent = '';
                caption.textContent = '';
            }

            window.euphratesPlayback = {
                state: state, play: play, pause: pause,
                // A rerun brought the groups of a new day (after a pause, or the reader moved the slider).
                viewChanged: function() {
                    if (state.playing) { state.wanted = false; state.playing = false; setButton(false); }
                    clearTimeout(state.timer);
                    giveWay(false);
                }
            };

            // The static site opens on the day in its address (#date=YYYY-MM-DD), if any.
            var inAddress = !window.__GLOBAL_DATA__ && /^#date=(\\d{4}-\\d{2}-\\d{2})$/.exec(location.hash);
            if (inAddress) {
                var day = Math.round((Date.parse(inAddress[1] + 'T00:00:00Z') - START) / 86400000);
                load(function() {  // after the page's groups are on the map, so they can be hidden
                    prepare();
                    if (day < 0 || day > state.data.days || day === view().day) { return; }
                    hideDayBound();
                    state.layer.addTo(map);
                    draw(day);
                });
            }
        })({{ this._parent.get_name() }}, {{ this.options_json }});
        {% endmacro %}
    """)

    def __init__(self, script_url: str):
        super().__init__()
        self._name = "PlaybackControl"
        self.options_json = script_json({
            "scriptUrl": script_url, "global": GLOBAL_NAME, "start": DATA_START.isoformat(),
            "speeds": [list(item) for item in SPEEDS],
            "defaultSpeed": DEFAULT_SPEED, "keyPauseMs": KEY_DATE_PAUSE_MS, "tagPrefix": DAY_TAG_PREFIX,
            "rerunWaitMs": RERUN_WAIT_MS})
