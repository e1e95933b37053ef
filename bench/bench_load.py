"""Many users at once: N headless browser sessions (default 20; one Chromium, one browser context each, driven
from one Python process with Playwright's async API) against one `streamlit run app.py` server, or N of them
behind nginx (`--replicas N`, as `make serve` runs them; `--replicas 1,2` measures both and prints one table),
or a server already running at `--url` (then without the server's CPU and memory). Each session
opens the map, then takes a fixed number of steps, alternating a faction toggle in the sidebar with a jump to
another key date, each timed from the action to the map showing the change (the faction's areas gone or back;
the title's date). Then an isolation check: half the sessions untick SDF while the others leave it, and every
session must still show its own SDF state and its own date. Reports errors, step latency percentiles, and the
server's memory (VmRSS of the server process and its children) per session. Prints a table; asserts nothing.

    .venv/bin/python bench/bench_load.py [--sessions 20] [--steps 8] [--budget 900] [--nice-browser]
                                         [--replicas 1,2 | --url http://host:port/]
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright  # noqa: E402

from euphrates.browser import CHROMIUM_ARGS, find_chromium  # noqa: E402
from euphrates.geodata import load_geodata  # noqa: E402
from euphrates.replicas import ReplicaSet  # noqa: E402
from euphrates.serve import free_port, start_streamlit, stop  # noqa: E402
from euphrates.timeline import DEFAULT_DATE, KEY_DATES  # noqa: E402

# Factions with areas on every key date, so toggling one always changes the map; ISIS is left out because its
# black fill is not unique to it.
TOGGLED = ("sdf", "government", "rebels")
STEP_TIMEOUT_MS = 60_000
HAS_FILL = ("([fill, present]) => [...document.querySelectorAll('path.leaflet-interactive')]"
            ".some(p => (p.getAttribute('fill') || '').toLowerCase() === fill) === present")
TITLE_DATE = ("(day) => { const t = document.querySelector('.euphrates-title [data-date]');"
              " return !!t && t.dataset.date === day; }")


# --- the server's memory ------------------------------------------------------------------------------------

def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def server_rss_mb(pids: list[int]) -> float:
    """VmRSS of the server processes and all their descendants, in MB (NaN for a server known only by URL)."""
    if not pids:
        return float("nan")
    total = 0
    for process in (descendant for pid in pids for descendant in _descendants(pid)):
        try:
            for line in Path(f"/proc/{process}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def server_cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of the server processes (their threads included)."""
    if not pids:
        return float("nan")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving(replicas: int, url: str | None):
    """(the address readers open, the app processes' ids): a given URL, one plain server (replicas 0) or N
    replicas behind nginx."""
    if url:
        yield url, []
    elif replicas:
        with ReplicaSet(replicas) as replica_set:
            yield replica_set.url, replica_set.pids()
    else:
        process = start_streamlit(ROOT / "app.py", free_port())
        try:
            yield f"http://127.0.0.1:{process.args[process.args.index('--server.port') + 1]}/", [process.pid]
        finally:
            stop(process)


# --- one session --------------------------------------------------------------------------------------------

async def map_frame(page, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for frame in page.frames:
            if "streamlit_folium" in frame.url:
                return frame
        await asyncio.sleep(0.05)
    raise TimeoutError("no map iframe")


class Session:
    def __init__(self, number: int, browser, url: str, colours: dict[str, str]):
        self.number, self.browser, self.url, self.colours = number, browser, url, colours
        self.faction = TOGGLED[number % len(TOGGLED)]
        self.ticked = {faction: True for faction in colours}
        self.day = DEFAULT_DATE
        self.latencies: dict[str, list[float]] = {"toggle": [], "date": []}
        self.errors: list[str] = []
        self.page_errors: list[str] = []
        self.open_s: float | None = None
        self.page = self.frame = None

    async def open(self) -> None:
        started = time.perf_counter()
        context = await self.browser.new_context(viewport={"width": 1400, "height": 950})
        self.page = await context.new_page()
        self.page.set_default_timeout(STEP_TIMEOUT_MS)
        self.page.on("pageerror", lambda error: self.page_errors.append(str(error)[:200]))
        await self.page.goto(self.url, timeout=STEP_TIMEOUT_MS * 2)
        self.frame = await map_frame(self.page)
        await self.frame.wait_for_selector(".euphrates-town", state="attached", timeout=STEP_TIMEOUT_MS * 2)
        self.open_s = time.perf_counter() - started

    async def toggle(self, faction: str) -> float:
        checkbox = self.page.get_by_role("checkbox", name=self.label(faction), exact=True)
        present = not self.ticked[faction]
        started = time.perf_counter()
        await checkbox.click(force=True)
        await self.frame.wait_for_function(HAS_FILL, arg=[self.colours[faction], present],
                                           timeout=STEP_TIMEOUT_MS, polling=25)
        self.ticked[faction] = present
        return time.perf_counter() - started

    async def jump(self, day, label: str) -> float:
        started = time.perf_counter()
        await self.page.get_by_label("Jump to a key date").click()
        await self.page.get_by_role("option", name=f"{day:%d %b %Y}: {label}", exact=True).click()
        await self.frame.wait_for_function(TITLE_DATE, arg=day.isoformat(), timeout=STEP_TIMEOUT_MS, polling=25)
        self.day = day
        return time.perf_counter() - started

    def label(self, faction: str) -> str:
        return LABELS[faction]

    async def steps(self, count: int) -> None:
        dates = [(day, label) for day, label in KEY_DATES if day != DEFAULT_DATE]
        for step in range(count):
            try:
                if step % 2 == 0:
                    self.latencies["toggle"].append(await self.toggle(self.faction))
                else:
                    day, label = dates[(self.number * 5 + step // 2) % len(dates)]
                    if day == self.day:
                        day, label = dates[(self.number * 5 + step // 2 + 1) % len(dates)]
                    self.latencies["date"].append(await self.jump(day, label))
            except Exception as error:  # a timeout or a lost element: count it and go on
                self.errors.append(f"step {step}: {type(error).__name__}: {str(error).splitlines()[0][:120]}")
        if not self.ticked[self.faction]:  # leave every faction ticked for the isolation check
            try:
                self.latencies["toggle"].append(await self.toggle(self.faction))
            except Exception as error:
                self.errors.append(f"restore: {type(error).__name__}: {str(error).splitlines()[0][:120]}")

    async def shows(self) -> dict:
        sdf = await self.frame.evaluate(HAS_FILL.replace("=== present", ""), [self.colours["sdf"], True])
        title = await self.frame.evaluate("() => document.querySelector('.euphrates-title [data-date]')"
                                          "?.dataset.date")
        checked = await self.page.get_by_role("checkbox", name="SDF", exact=True).is_checked()
        return {"sdf_areas": sdf, "sdf_checkbox": checked, "date": title}


LABELS: dict[str, str] = {}


# --- the run ------------------------------------------------------------------------------------------------

def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def chromium_executable(workdir: Path, nice: bool) -> str | None:
    """The Chromium to launch; with `nice`, a wrapper that starts it at the lowest CPU priority."""
    executable = find_chromium()
    if not nice:
        return executable
    if executable is None:
        raise SystemExit("--nice-browser needs a system Chromium (or EUPHRATES_CHROMIUM)")
    wrapper = workdir / "chromium-nice"
    wrapper.write_text(f'#!/bin/sh\nexec nice -n 19 "{executable}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def run(sessions: int, steps: int, budget: float, nice_browser: bool = False, replicas: int = 0,
              url: str | None = None) -> dict:
    with serving(replicas, url) as (address, pids):
        result = await _run(sessions, steps, budget, nice_browser, address, pids, replicas)
    result["server"] = (f"server at {url}" if url else f"{replicas} replica(s) + nginx" if replicas
                        else "1 process, no proxy")
    return result


async def _run(sessions: int, steps: int, budget: float, nice_browser: bool, url: str, pids: list[int],
               replicas: int) -> dict:
    geodata = load_geodata()
    colours = {faction_id: faction.color.lower() for faction_id, faction in geodata.factions.items()}
    LABELS.update({faction_id: faction.short_name for faction_id, faction in geodata.factions.items()})
    result: dict = {"sessions": sessions, "steps": steps, "nice_browser": nice_browser, "replicas": replicas,
                    "url": url}
    workdir = tempfile.TemporaryDirectory(prefix="euphrates-load-")
    try:
        await asyncio.sleep(1)
        result["rss_idle_mb"] = server_rss_mb(pids)
        async with async_playwright() as playwright:
            executable = chromium_executable(Path(workdir.name), nice_browser)
            browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            # Imports, geodata and caches are not per-session costs: one session warms each replica (new
            # sessions go round-robin).
            for _ in range(max(1, replicas)):
                warm = Session(-1, browser, url, colours)
                await warm.open()
                await warm.page.context.close()
            await asyncio.sleep(2)
            result["rss_warm_mb"] = server_rss_mb(pids)
            cpu_before = server_cpu_s(pids)

            started = time.perf_counter()
            clients = [Session(number, browser, url, colours) for number in range(sessions)]
            opened = await asyncio.gather(*(client.open() for client in clients), return_exceptions=True)
            for client, outcome in zip(clients, opened):
                if isinstance(outcome, Exception):
                    client.errors.append(f"open: {type(outcome).__name__}: {str(outcome).splitlines()[0][:120]}")
            live = [client for client, outcome in zip(clients, opened) if not isinstance(outcome, Exception)]
            result["connect_s"] = time.perf_counter() - started
            await asyncio.sleep(2)
            result["rss_connected_mb"] = server_rss_mb(pids)

            started = time.perf_counter()
            try:
                await asyncio.wait_for(asyncio.gather(*(client.steps(steps) for client in live)),
                                       timeout=max(1.0, budget - result["connect_s"]))
                result["over_budget"] = False
            except asyncio.TimeoutError:
                result["over_budget"] = True
            result["steps_s"] = time.perf_counter() - started
            result["server_cpu_s"] = server_cpu_s(pids) - cpu_before
            result["rss_after_steps_mb"] = server_rss_mb(pids)

            result["isolation"] = await isolation(live)

            for client in clients:
                if client.page is not None:
                    await client.page.context.close()
            await browser.close()
        await asyncio.sleep(3)
        result["rss_closed_mb"] = server_rss_mb(pids)
    finally:
        workdir.cleanup()
    result["open_s"] = [client.open_s for client in clients if client.open_s is not None]
    result["toggle_s"] = [value for client in clients for value in client.latencies["toggle"]]
    result["date_s"] = [value for client in clients for value in client.latencies["date"]]
    result["errors"] = [f"session {client.number}: {error}" for client in clients for error in client.errors]
    result["page_errors"] = [f"session {client.number}: {error}" for client in clients
                             for error in client.page_errors]
    return result


async def isolation(live: list[Session]) -> dict:
    """Even sessions untick SDF, odd ones leave it; then each must show its own SDF state and its own date."""
    unticking = [client for client in live if client.number % 2 == 0 and client.ticked["sdf"]]
    outcomes = await asyncio.gather(*(client.toggle("sdf") for client in unticking), return_exceptions=True)
    failures = [f"session {client.number}: untick SDF: {type(outcome).__name__}"
                for client, outcome in zip(unticking, outcomes) if isinstance(outcome, Exception)]
    await asyncio.sleep(3)  # time for any cross-talk to arrive
    shown = await asyncio.gather(*(client.shows() for client in live), return_exceptions=True)
    for client, seen in zip(live, shown):
        if isinstance(seen, Exception):
            failures.append(f"session {client.number}: check: {type(seen).__name__}")
            continue
        expected = {"sdf_areas": client.ticked["sdf"], "sdf_checkbox": client.ticked["sdf"],
                    "date": client.day.isoformat()}
        if seen != expected:
            failures.append(f"session {client.number}: shows {seen}, expected {expected}")
    return {"checked": len(live), "unticked_sdf": len(unticking), "failures": failures}


def table_rows(result: dict) -> list[tuple[str, str]]:
    n = result["sessions"]
    both = result["toggle_s"] + result["date_s"]
    per_session = (result["rss_connected_mb"] - result["rss_warm_mb"]) / n
    per_session_after = (result["rss_after_steps_mb"] - result["rss_warm_mb"]) / n
    result.update(rss_per_session_mb=per_session, rss_per_session_after_steps_mb=per_session_after)
    rows = [
        ("server", result["server"]),
        ("sessions x steps", f"{n} x {result['steps']}"),
        ("steps done (toggles + date jumps)", f"{len(both)} ({len(result['toggle_s'])} + {len(result['date_s'])})"),
        ("errors (timeouts, lost elements)", str(len(result["errors"]))),
        ("page errors (JS exceptions)", str(len(result["page_errors"]))),
        ("over the time budget", "yes" if result["over_budget"] else "no"),
        ("all sessions open -> maps drawn (s)", f"{result['connect_s']:.1f}"),
        ("open -> map drawn per session, p50 / max (s)",
         f"{percentile(result['open_s'], .5):.1f} / {max(result['open_s'], default=float('nan')):.1f}"),
        ("steps phase, wall (s)", f"{result['steps_s']:.1f}"),
        ("server CPU per step (s)", f"{result['server_cpu_s'] / max(1, len(both)):.2f}"),
    ]
    for name, values in (("toggle", result["toggle_s"]), ("date jump", result["date_s"]), ("any step", both)):
        rows.append((f"{name} -> map changed, p50 / p90 / p99 (ms)",
                     " / ".join(f"{percentile(values, share) * 1000:.0f}" for share in (.5, .9, .99))))
    rows += [
        ("server RSS: idle / warm (MB)", f"{result['rss_idle_mb']:.0f} / {result['rss_warm_mb']:.0f}"),
        (f"server RSS: {n} connected / after steps / closed (MB)",
         f"{result['rss_connected_mb']:.0f} / {result['rss_after_steps_mb']:.0f} / {result['rss_closed_mb']:.0f}"),
        ("server RSS per session, connected / after steps (MB)", f"{per_session:.1f} / {per_session_after:.1f}"),
        ("isolation: sessions showing only their own state",
         f"{result['isolation']['checked'] - len(result['isolation']['failures'])} of "
         f"{result['isolation']['checked']} ({result['isolation']['unticked_sdf']} unticked SDF)"),
    ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--steps", type=int, default=8, help="steps per session (toggles and date jumps)")
    parser.add_argument("--budget", type=float, default=900, help="seconds for connecting and all the steps")
    parser.add_argument("--nice-browser", action="store_true",
                        help="run Chromium at the lowest CPU priority so the server gets the CPU first: closer to "
                             "clients on machines of their own")
    parser.add_argument("--replicas", default="0",
                        help="app processes behind nginx, or a comma list to measure each (0: one process, no proxy)")
    parser.add_argument("--url", help="measure a server already running there (no server CPU or memory)")
    args = parser.parse_args()
    counts = [int(count) for count in args.replicas.split(",")]
    results = []
    for count in ([0] if args.url else counts):
        results.append(asyncio.run(run(args.sessions, args.steps, args.budget, args.nice_browser, count, args.url)))
    columns = [table_rows(result) for result in results]
    for index, (name, _) in enumerate(columns[0]):
        print(f"{name:55} " + " ".join(f"{column[index][1]:>24}" for column in columns))
    for result in results:
        for line in result["errors"][:10] + result["page_errors"][:5] + result["isolation"]["failures"][:10]:
            print(f"  {line}")
        print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
