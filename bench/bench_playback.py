"""Frames per second of the map's playback in headless Chromium, every layer on, at each speed: the playback's
own frames (each draws a new day), the days it advances, and the browser's painted frames (requestAnimationFrame)
while it plays. Runs on a static site written to a temp folder (the same control and data as the app).

    .venv/bin/python bench/bench_playback.py [--seconds 5]
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from euphrates.browser import launch_chromium  # noqa: E402
from euphrates.export import write_site  # noqa: E402
from euphrates.geodata import load_geodata  # noqa: E402
from euphrates.playback_control import SPEEDS  # noqa: E402
from euphrates.view import ViewState  # noqa: E402

_PAINTS = """() => { window.__paints = 0; (function count() { window.__paints++; requestAnimationFrame(count); })(); }"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as workdir, sync_playwright() as playwright:
        write_site(Path(workdir), [ViewState.model_validate({"date": "2016-06-01"})], load_geodata())
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        for label, per_second in SPEEDS:
            page.goto((Path(workdir) / "index.html").as_uri())
            page.select_option(".euphrates-playback select", str(per_second))
            page.click(".euphrates-playback button")
            page.wait_for_function("() => window.euphratesPlayback.state.frames > 2", timeout=30_000)
            page.evaluate(_PAINTS)
            probe = "() => [performance.now(), window.euphratesPlayback.state.frames, window.euphratesPlayback.state.day]"
            start = page.evaluate(probe)
            page.wait_for_timeout(args.seconds * 1000)
            end = page.evaluate(probe)
            paints = page.evaluate("() => window.__paints")
            elapsed = (end[0] - start[0]) / 1000
            print(f"playback {label:9} every layer on, 1440x900: {(end[1] - start[1]) / elapsed:5.1f} frames drawn/s, "
                  f"{(end[2] - start[2]) / elapsed:5.1f} days/s (asked {per_second}, key dates held "
                  f"1.5 s), browser painting {paints / elapsed:4.1f} frames/s, over {elapsed:.1f} s")
        browser.close()


if __name__ == "__main__":
    main()
