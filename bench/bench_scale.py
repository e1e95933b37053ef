"""Scale figures: the real geodata plus 1,000 / 10,000 / 100,000 synthetic events (random points in Syria's
bounding box, random dates June 2016 to December 2017), shown on the last day so every event is on the map.
For each size: `build_map` time, HTML render time, payload (bytes of the map's HTML page), time until the
events are drawn and the map has settled in headless Chromium (the page loaded from file:// as the PNG export
does), a click on a dot → its popup (timed in the page) and the page's JS heap. The same for the SVG path (an
SVG dot, tooltip and popup per event, what maps of up to EVENT_CANVAS_THRESHOLD events use) for comparison,
and for the map without the events layer (the floor). Prints a table; asserts nothing.

    .venv/bin/python bench/bench_scale.py [--sizes 1000,10000,100000] [--runs 3] [--svg-max 10000]
    .venv/bin/python bench/bench_scale.py --sizes 2000 --write-geodata /tmp/geodata-2000   # to run the app on
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import geopandas as gpd  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from shapely.geometry import Point  # noqa: E402

import euphrates.mapbuilder as mapbuilder  # noqa: E402
from euphrates.browser import launch_chromium  # noqa: E402
from euphrates.geodata import GeoData, Layer, load_geodata  # noqa: E402
from euphrates.mapbuilder import build_map  # noqa: E402
from euphrates.offline import VENDOR_DIR  # noqa: E402
from euphrates.schema import EventProps  # noqa: E402
from euphrates.timeline import DATA_END, events_until  # noqa: E402
from euphrates.view import ViewState  # noqa: E402

SYRIA_BOUNDS = (35.7, 32.3, 42.4, 37.3)  # west, south, east, north
FIRST_DAY, LAST_DAY = date(2016, 6, 1), date(2017, 12, 31)
KINDS = ("capture", "crossing", "strike", "meeting", "siege", "declaration", "symbol", "other")
DRAW_TIMEOUT_MS = 120_000
_TEMPLATES = (
    "Reported {kind} near {place}; details unconfirmed, figures vary between outlets.",
    "Local sources describe a {kind} on the road to {place}, with civilians leaving the area.",
    "A {kind} around {place} was announced by one side and denied by the other.",
)


def synthetic_geodata(real: GeoData, count: int, seed: int = 2017) -> GeoData:
    """A copy of `real` whose events layer has `count` synthetic events appended (validated like loaded ones)."""
    rng = random.Random(seed)
    layer = real.layer("events")
    places = [town.name for town in real.layer("towns").records]
    source_lists = [[source.model_dump(mode="json", exclude_none=True) for source in event.sources]
                    for event in layer.records]
    factions = list(real.factions)
    days = (LAST_DAY - FIRST_DAY).days
    west, south, east, north = SYRIA_BOUNDS
    records, geometries = list(layer.records), list(layer.frame.geometry)
    for number in range(count):
        kind = rng.choice(KINDS)
        place = rng.choice(places)
        records.append(EventProps.model_validate({
            "id": f"synthetic-{number}", "date": (FIRST_DAY + timedelta(days=rng.randrange(days + 1))).isoformat(),
            "date_approximate": rng.random() < 0.1, "kind": kind,
            "title": f"Synthetic {kind} #{number} near {place}",
            "description": rng.choice(_TEMPLATES).format(kind=kind, place=place),
            "factions": rng.sample(factions, 2), "coord_source": "synthetic: random point in Syria's bounding box",
            "approximate": rng.random() < 0.3, "sources": rng.choice(source_lists)}))
        geometries.append(Point(rng.uniform(west, east), rng.uniform(south, north)))
    rows = [record.model_dump(mode="json", by_alias=True) for record in records]
    frame = gpd.GeoDataFrame(rows, geometry=geometries, crs="EPSG:4326")
    layers = {**real.layers, "events": Layer(spec=layer.spec, records=records, frame=frame)}
    return dataclasses.replace(real, layers=layers)


def write_synthetic_geodata(directory: Path, count: int) -> None:
    """A geodata folder: the real one with `count` synthetic events appended to its events layer (to run the app
    on, e.g. EUPHRATES_GEODATA=DIR streamlit run app.py)."""
    shutil.copytree(ROOT / "geodata", directory, dirs_exist_ok=True)
    geodata = synthetic_geodata(load_geodata(ROOT / "geodata"), count)
    layer = geodata.layer("events")
    lines = [json.dumps({"type": "Feature", "properties": record.model_dump(mode="json", by_alias=True,
                                                                             exclude_none=True),
                         "geometry": {"type": "Point", "coordinates": [geometry.x, geometry.y]}},
                        ensure_ascii=False) for record, geometry in zip(layer.records, layer.frame.geometry)]
    (directory / "events.geojson").write_text('{"type":"FeatureCollection","features":[\n' + ",\n".join(lines)
                                              + "\n]}\n", encoding="utf-8")


def build_and_render(view: ViewState, geodata: GeoData) -> tuple[float, float, str]:
    started = time.perf_counter()
    parts = build_map(view, geodata, asset_base=VENDOR_DIR.as_uri())
    built = time.perf_counter()
    html = parts.assemble().get_root().render()
    return built - started, time.perf_counter() - built, html


def drawn_in_browser(browser, page_file: Path, drawn: str, candidates: list) -> tuple[float, float | None, float]:
    """Seconds from navigation to `drawn` true; mouse down on the newest of `candidates` (lat, lon, title)
    in view and clear of icons → its popup open, timed in the page; the page's JS heap (MB)."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    page = context.new_page()
    try:
        started = time.perf_counter()
        page.goto(page_file.as_uri())
        page.wait_for_function(drawn, timeout=DRAW_TIMEOUT_MS, polling=20)
        seconds = time.perf_counter() - started
        click = None
        if candidates:
            target = page.evaluate("""(candidates) => {
                const map = window[Object.keys(window).find(k => /^map_[0-9a-f]{32}$/.test(k))];
                map.getContainer().addEventListener('mousedown', () => { window.__down = performance.now(); }, true);
                map.on('popupopen', () => { window.__popup = performance.now(); });
                const rect = map.getContainer().getBoundingClientRect();
                for (const [lat, lon, title] of candidates) {
                    if (!map.getBounds().pad(-0.05).contains([lat, lon])) continue;
                    const p = map.latLngToContainerPoint([lat, lon]);
                    const x = rect.left + p.x, y = rect.top + p.y, hit = document.elementFromPoint(x, y);
                    if (hit && map.getPane('overlayPane').contains(hit) || hit === map.getContainer()) return [x, y, title];
                }
                return null;
            }""", candidates)
            if target is not None:
                page.mouse.click(target[0], target[1])
                page.locator(".leaflet-popup-content", has_text=target[2]).wait_for(state="attached", timeout=10_000)
                click = page.evaluate("() => (window.__popup - window.__down) / 1000")
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0") / 1e6
        return seconds, click, heap
    finally:
        context.close()


def measure(browser, geodata: GeoData, view: ViewState, workdir: Path, runs: int, drawn: str) -> dict:
    candidates = newest_events(geodata, view) if "events" in view.layers else []
    builds, renders, draws, clicks, heaps = [], [], [], [], []
    html = ""
    for run in range(runs):
        build, render, html = build_and_render(view, geodata)
        builds.append(build)
        renders.append(render)
        page_file = workdir / f"map-{run}.html"
        page_file.write_text(html, encoding="utf-8")
        try:
            seconds, click, heap = drawn_in_browser(browser, page_file, drawn, candidates)
        except Exception as error:  # a timeout: report it, keep going
            print(f"  not drawn within {DRAW_TIMEOUT_MS / 1000:.0f} s: {type(error).__name__}: {str(error)[:300]}", file=sys.stderr)
            seconds, click, heap = float("inf"), None, 0.0
        draws.append(seconds)
        heaps.append(heap)
        if click is not None:
            clicks.append(click)
        if seconds == float("inf"):
            break
    median = statistics.median
    return {"build_s": median(builds), "render_s": median(renders), "payload_bytes": len(html.encode()),
            "drawn_s": median(draws), "click_s": median(clicks) if clicks else None, "heap_mb": median(heaps)}


def newest_events(geodata: GeoData, view: ViewState, count: int = 50) -> list:
    events = events_until(geodata, view.date).tail(count).iloc[::-1]
    return [[geometry.y, geometry.x, title] for geometry, title in zip(events.geometry, events["title"])]


# Drawn and settled: the folium map opens at one zoom and animates to its bounds; both paths redraw at the end.
_SETTLED = ("(() => { const name = Object.keys(window).find(k => /^map_[0-9a-f]{32}$/.test(k));"
            " return name && window[name]._loaded && !window[name]._animatingZoom; })()")
CANVAS_DRAWN = f"() => document.querySelector('[data-euphrates-events-drawn]') !== null && {_SETTLED}"
FLOOR_DRAWN = f"() => !!document.querySelector('.euphrates-title') && document.readyState === 'complete' && {_SETTLED}"


def svg_drawn(count: int) -> str:
    return f"() => document.querySelectorAll('path.euphrates-event').length >= {count} && {_SETTLED}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--svg-max", type=int, default=10_000, help="largest size also measured on the SVG path")
    parser.add_argument("--write-geodata", type=Path, metavar="DIR",
                        help="only write a geodata folder with the first of --sizes synthetic events, and stop")
    args = parser.parse_args()
    if args.write_geodata:
        write_synthetic_geodata(args.write_geodata, int(args.sizes.split(",")[0]))
        print(f"wrote {args.write_geodata}")
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    real = load_geodata()
    view = ViewState(date=DATA_END)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="euphrates-scale-") as workdir, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        workdir = Path(workdir)
        no_events = view.model_copy(update={"layers": tuple(layer for layer in view.layers if layer != "events")})
        results["floor"] = measure(browser, real, no_events, workdir, args.runs, FLOOR_DRAWN)
        results["floor"]["shown"] = 0
        for size in sizes:
            geodata = synthetic_geodata(real, size)
            shown = len(events_until(geodata, view.date))
            results[f"canvas {size}"] = {**measure(browser, geodata, view, workdir, args.runs, CANVAS_DRAWN),
                                         "shown": shown}
            if size <= args.svg_max:
                saved = mapbuilder.EVENT_CANVAS_THRESHOLD
                mapbuilder.EVENT_CANVAS_THRESHOLD = 10**9
                try:
                    results[f"svg {size}"] = {**measure(browser, geodata, view, workdir, args.runs,
                                                        svg_drawn(shown)), "shown": shown}
                finally:
                    mapbuilder.EVENT_CANVAS_THRESHOLD = saved
        browser.close()

    print(f"{'events (path, events shown)':30} {'build s':>8} {'render s':>9} {'payload KB':>11} {'drawn s':>8} "
          f"{'click ms':>9} {'heap MB':>8}")
    for name, row in results.items():
        click = f"{row['click_s'] * 1000:9.0f}" if row["click_s"] is not None else f"{'-':>9}"
        drawn = f"{row['drawn_s']:8.2f}" if row["drawn_s"] != float("inf") else f"{'>' + str(DRAW_TIMEOUT_MS // 1000):>8}"
        print(f"{name + ' (' + str(row['shown']) + ')':30} {row['build_s']:8.2f} {row['render_s']:9.2f} "
              f"{row['payload_bytes'] / 1024:11.0f} {drawn} {click} {row['heap_mb']:8.0f}")
    print(json.dumps({name: {key: (None if value == float("inf") else value) for key, value in row.items()}
                      for name, row in results.items()}))


if __name__ == "__main__":
    main()
