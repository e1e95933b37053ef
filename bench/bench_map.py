"""Map page figures: start → map drawn (and the same for a bare st_folium page, the floor), toggle latency,
the payload sent to the map component, and the server's CPU per toggle and per date change. Prints a table;
asserts nothing.

    .venv/bin/python bench/bench_map.py [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from euphrates.browser import launch_chromium  # noqa: E402
from euphrates.serve import free_port, start_streamlit, stop  # noqa: E402

SDF_FILL = "#f0e442"


def map_frame(page, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" in frame.url:
                return frame
        page.wait_for_timeout(20)
    raise RuntimeError("no map iframe")


def start_to_drawn(browser, app: Path, drawn_selector: str) -> float:
    """Seconds from `streamlit run` to the map's features in the DOM of a fresh browser page."""
    port = free_port()
    page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
    started = time.perf_counter()
    process = start_streamlit(app, port)
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        map_frame(page).wait_for_selector(drawn_selector, state="attached", timeout=60_000)
        return time.perf_counter() - started
    finally:
        page.context.close()
        stop(process)


@contextmanager
def app_page(browser, settle_ms: int):
    """The app started on a free port and its map drawn in a new page, then `settle_ms` for the first run's
    follow-ups (bounds, component value); yields (server process, page, map frame)."""
    port = free_port()
    process = start_streamlit(ROOT / "app.py", port)
    page = browser.new_context(viewport={"width": 1400, "height": 950}).new_page()
    try:
        page.goto(f"http://127.0.0.1:{port}/")
        frame = map_frame(page)
        frame.wait_for_selector(".euphrates-town", state="attached", timeout=60_000)
        page.wait_for_timeout(settle_ms)
        yield process, page, frame
    finally:
        page.context.close()
        stop(process)


def toggle_latencies(browser, runs: int) -> list[float]:
    """Seconds from unticking (or ticking) SDF in the sidebar to its areas leaving (or entering) the map."""
    with app_page(browser, 1500) as (_process, page, frame):
        checkbox = page.get_by_role("checkbox", name="SDF")
        timings = []
        for run in range(runs * 2):
            present = run % 2 == 1  # after an untick, the next click ticks it again
            started = time.perf_counter()
            checkbox.click(force=True)
            frame.wait_for_function(
                "([fill, present]) => [...document.querySelectorAll('path.leaflet-interactive')]"
                ".some(p => (p.getAttribute('fill') || '').toLowerCase() === fill) === present",
                arg=[SDF_FILL, present], timeout=30_000, polling=10)
            timings.append(time.perf_counter() - started)
            page.wait_for_timeout(500)
        return timings


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_per_interaction(browser, actions: int = 10) -> dict[str, float]:
    """Server CPU seconds per faction toggle and per one-day date change (the slider's arrow key), each waited
    for until the map shows it, over `actions` of each; read from the server's /proc CPU time."""
    with app_page(browser, 3000) as (process, page, frame):
        checkbox = page.get_by_role("checkbox", name="SDF")
        before = cpu_seconds(process.pid)
        for run in range(actions):
            checkbox.click(force=True)
            frame.wait_for_function(
                "([fill, present]) => [...document.querySelectorAll('path.leaflet-interactive')]"
                ".some(p => (p.getAttribute('fill') || '').toLowerCase() === fill) === present",
                arg=[SDF_FILL, run % 2 == 1], timeout=30_000, polling=20)
            page.wait_for_timeout(300)
        toggles = cpu_seconds(process.pid)
        slider = page.get_by_role("slider").first
        for _ in range(actions):
            shown = frame.get_attribute(".euphrates-title [data-date]", "data-date")
            slider.press("ArrowRight")
            frame.wait_for_function(
                "(shown) => { const t = document.querySelector('.euphrates-title [data-date]');"
                " return t && t.getAttribute('data-date') !== shown; }", arg=shown, timeout=30_000, polling=20)
            page.wait_for_timeout(300)
        dates = cpu_seconds(process.pid)
        return {"toggle_cpu_s": (toggles - before) / actions, "date_cpu_s": (dates - toggles) / actions}


def payload_bytes() -> int:
    """Bytes of the arguments the Map page sends to st_folium on its first run (default view)."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "pages" / "map.py"), default_timeout=60)
    app.run()
    (component,) = app.get("component_instance")
    return len(component.proto.json_args.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cpu-only", action="store_true", help="only the server CPU per interaction")
    args = parser.parse_args()
    if args.cpu_only:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            cpu = server_cpu_per_interaction(browser)
            browser.close()
        print(f"server CPU per faction toggle {cpu['toggle_cpu_s'] * 1000:.0f} ms, per date change "
              f"{cpu['date_cpu_s'] * 1000:.0f} ms")
        return
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        app = [start_to_drawn(browser, ROOT / "app.py", ".euphrates-town") for _ in range(args.runs)]
        floor = [start_to_drawn(browser, ROOT / "bench" / "floor_app.py", "path.leaflet-interactive")
                 for _ in range(args.runs)]
        toggles = toggle_latencies(browser, args.runs)
        cpu = server_cpu_per_interaction(browser)
        browser.close()
    payload = payload_bytes()
    print(f"{'measure':45} {'value':>12}")
    print(f"{'start -> map drawn, app (median s)':45} {statistics.median(app):12.2f}")
    print(f"{'start -> map drawn, floor (median s)':45} {statistics.median(floor):12.2f}")
    print(f"{'ratio app / floor':45} {statistics.median(app) / statistics.median(floor):12.2f}")
    print(f"{'faction toggle -> layer gone/back (median ms)':45} {statistics.median(toggles) * 1000:12.0f}")
    print(f"{'faction toggle, worst of ' + str(len(toggles)) + ' (ms)':45} {max(toggles) * 1000:12.0f}")
    print(f"{'map payload, default view (KB)':45} {payload / 1024:12.0f}")
    print(f"{'server CPU per faction toggle (ms)':45} {cpu['toggle_cpu_s'] * 1000:12.0f}")
    print(f"{'server CPU per date change (ms)':45} {cpu['date_cpu_s'] * 1000:12.0f}")
    print(json.dumps({"app_s": app, "floor_s": floor, "toggle_s": toggles, "payload_bytes": payload, **cpu}))


if __name__ == "__main__":
    main()
