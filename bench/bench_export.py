"""PNG export figures: the CLI cold (a new process), warm (browser reused), the floor (a raw page.screenshot()
of the same, already drawn page) and the in-app button (click → download). Prints a table; asserts nothing.

    .venv/bin/python bench/bench_export.py [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from euphrates.browser import launch_chromium  # noqa: E402
from euphrates.export import PngJob, map_html, new_page, render_png  # noqa: E402
from euphrates.geodata import load_geodata  # noqa: E402
from euphrates.offline import VENDOR_DIR  # noqa: E402
from euphrates.serve import free_port, start_streamlit, stop  # noqa: E402
from euphrates.view import ViewState  # noqa: E402


def cold_cli(out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "euphrates", "export", "--out", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def warm_and_floor(browser, workdir: Path, runs: int, scale: int) -> tuple[list[float], list[float]]:
    page_file = workdir / "map.html"
    page_file.write_text(map_html(ViewState(), load_geodata(), VENDOR_DIR.as_uri()), encoding="utf-8")
    job = PngJob(ViewState(), workdir / "warm.png", scale=scale)
    page = new_page(browser, job)
    render_png(page, page_file, job)  # the first shot warms the browser's caches
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        render_png(page, page_file, job)
        warm.append(time.perf_counter() - started)
    page.context.close()
    context = browser.new_context(viewport={"width": job.width, "height": job.height}, device_scale_factor=scale)
    page = context.new_page()
    page.goto(page_file.as_uri())
    page.wait_for_timeout(500)
    floor = []
    for _ in range(runs):
        started = time.perf_counter()
        page.screenshot(path=str(workdir / "floor.png"))
        floor.append(time.perf_counter() - started)
    context.close()
    return warm, floor


def in_app(browser, runs: int) -> list[float]:
    port = free_port()
    process = start_streamlit(ROOT / "app.py", port)
    try:
        page = browser.new_context(viewport={"width": 1400, "height": 950}, accept_downloads=True).new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        frame = None
        while frame is None:
            frame = next((f for f in page.frames if "streamlit_folium" in f.url), None)
            page.wait_for_timeout(50)
        frame.wait_for_selector(".euphrates-town", state="attached", timeout=60_000)
        page.wait_for_timeout(1000)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            with page.expect_download() as download:
                frame.get_by_role("button", name="2×").click()
            download.value.path()
            timings.append(time.perf_counter() - started)
        page.context.close()
        return timings
    finally:
        stop(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        cold = [cold_cli(Path(workdir) / f"cold{i}.png") for i in range(3)]
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            warm1, floor1 = warm_and_floor(browser, Path(workdir), args.runs, scale=1)
            warm2, floor2 = warm_and_floor(browser, Path(workdir), args.runs, scale=2)
            app = in_app(browser, args.runs)
            browser.close()
    median = statistics.median
    rows = [
        ("CLI export, cold: new process, 1200x800 (median of 3, s)", median(cold)),
        ("CLI export, warm, browser and page reused, 1x (median, s)", median(warm1)),
        ("raw page.screenshot() of the drawn page, 1x (median, s)", median(floor1)),
        ("ratio warm / raw, 1x", median(warm1) / median(floor1)),
        ("CLI export, warm, 2x (median, s)", median(warm2)),
        ("raw page.screenshot(), 2x (median, s)", median(floor2)),
        ("ratio warm / raw, 2x", median(warm2) / median(floor2)),
        ("in-app Export PNG 2x, click -> download (median, s)", median(app)),
    ]
    for label, value in rows:
        print(f"{label:60} {value:8.2f}")


if __name__ == "__main__":
    main()
