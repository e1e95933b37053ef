"""Every benchmark in one command: bench_map, bench_export, bench_load (N sessions), bench_concurrent_export and
bench_scale, each in its own process one after the other (their own tables are shown as they run), then one
combined table: measure, value, target, and whether the value meets it. Asserts nothing.

    .venv/bin/python bench/run_all.py [--runs 3] [--sessions 20] [--sizes 1000,10000,100000] [--only map,load]
"""
from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def run(script: str, *args: str) -> tuple[str, float]:
    """Run one benchmark, echoing its output; return the output and the wall time."""
    print(f"\n=== {script} {' '.join(args)}", flush=True)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(BENCH / script), *args], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if not line.startswith(("{", "[{")):  # the machine-readable line is for us
            print(line, end="", flush=True)
    process.wait()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        print(f"=== {script} failed (exit {process.returncode})", flush=True)
    return "".join(lines), seconds


def last_json(output: str):
    for line in reversed(output.splitlines()):
        if line.startswith(("{", "[")):
            return json.loads(line)
    raise ValueError("no JSON line in the output")


def table_value(output: str, label: str) -> float:
    """The figure at the end of the table line that starts with `label`."""
    for line in output.splitlines():
        if line.startswith(label):
            return float(line.split()[-1])
    raise ValueError(f"no line {label!r}")


def median(values: list[float]) -> float:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(share * (len(values) - 1))))] if values else math.nan


Row = tuple  # (measure, value text, target text, verdict)


def target_row(measure: str, value: float, fmt: str, limit: float | None = None, unit: str = "",
               at_least: bool = False) -> Row:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (measure, "n/a", "" if limit is None else f"{'≥' if at_least else '≤'} {limit:g}{unit}", "n/a")
    text = format(value, fmt) + unit
    if limit is None:
        return (measure, text, "", "")
    ok = value >= limit if at_least else value <= limit
    return (measure, text, f"{'≥' if at_least else '≤'} {limit:g}{unit}", "ok" if ok else "MISSES")


def map_rows(output: str) -> list[Row]:
    data = last_json(output)
    app, floor, toggles = median(data["app_s"]), median(data["floor_s"]), data["toggle_s"]
    return [
        target_row("map: streamlit run -> map drawn, app (median)", app, ".2f", unit=" s"),
        target_row("map: the same, bare st_folium page (the floor)", floor, ".2f", unit=" s"),
        target_row("map: ratio app / floor", app / floor, ".2f", 1.3),
        target_row("map: faction toggle -> areas gone/back (median)", median(toggles) * 1000, ".0f", 250, " ms"),
        target_row(f"map: faction toggle, worst of {len(toggles)}", max(toggles) * 1000, ".0f", unit=" ms"),
        target_row("map: payload to the component, default view", data["payload_bytes"] / 1024, ".0f", 600, " KB"),
    ]


def export_rows(output: str) -> list[Row]:
    value = lambda label: table_value(output, label)
    return [
        target_row("export: CLI, cold (new process), 1200x800", value("CLI export, cold"), ".2f", unit=" s"),
        target_row("export: CLI, warm, 1x", value("CLI export, warm, browser and page reused, 1x"), ".2f", 1.5,
                   " s"),
        target_row("export: CLI, warm, 2x", value("CLI export, warm, 2x"), ".2f", 1.5, " s"),
        target_row("export: in-app Export PNG 2x, click -> download", value("in-app Export PNG 2x"), ".2f",
                   unit=" s"),
    ]


def load_rows(output: str) -> list[Row]:
    data = last_json(output)
    n = data["sessions"]
    steps = data["toggle_s"] + data["date_s"]
    isolation = data["isolation"]
    shown_own = isolation["checked"] - len(isolation["failures"])
    rows = [
        target_row(f"load ({n} sessions): errors", len(data["errors"]) + len(data["page_errors"]), "d", 0),
        (f"load: isolation, sessions showing only their own view", f"{shown_own} of {isolation['checked']}",
         f"{n} of {n}", "ok" if shown_own == n == isolation["checked"] else "MISSES"),
        target_row("load: steps done", len(steps), "d", n * data["steps"], at_least=True),
    ]
    for name, values in (("toggle", data["toggle_s"]), ("date jump", data["date_s"])):
        rows.append((f"load: {name} -> map changed, p50 / p90 / p99",
                     " / ".join(f"{percentile(values, share) * 1000:.0f}" for share in (.5, .9, .99)) + " ms",
                     "≤ 250 ms (p50)" if name == "toggle" else "",
                     ("ok" if percentile(values, .5) <= .25 else "MISSES") if name == "toggle" else ""))
    rows += [
        target_row("load: all sessions open -> maps drawn", data["connect_s"], ".1f", unit=" s"),
        target_row("load: server CPU per step", data["server_cpu_s"] / max(1, len(steps)), ".2f", unit=" s"),
        ("load: server RSS idle / warm / N connected / after steps",
         f"{data['rss_idle_mb']:.0f} / {data['rss_warm_mb']:.0f} / {data['rss_connected_mb']:.0f} / "
         f"{data['rss_after_steps_mb']:.0f} MB", "", ""),
        target_row("load: server RSS per session (connected)", data["rss_per_session_mb"], ".1f", unit=" MB"),
        target_row("load: server RSS per session (after steps)", data["rss_per_session_after_steps_mb"], ".1f",
                   unit=" MB"),
    ]
    return rows


def concurrent_rows(output: str) -> list[Row]:
    rows = []
    for result in last_json(output):
        label = "limiter's default" if result["slots"] == "default" else f"{result['slots']} slots"
        rows.append(target_row(f"{len(result['walls'])} exports at once ({label}): failures", result["failures"],
                               "d", 0 if result["slots"] == "default" else None))
        rows.append((f"{len(result['walls'])} exports at once ({label}): first done / all done",
                     f"{min(result['walls']):.1f} / {result['total']:.1f} s", "", ""))
    return rows


def scale_rows(output: str) -> list[Row]:
    data = last_json(output)
    rows = []
    for name, row in data.items():
        if name == "floor":
            rows.append(target_row("scale: map without events, drawn (the floor)", row["drawn_s"], ".2f",
                                   unit=" s"))
            continue
        path, size = name.split()
        size = int(size)
        limit = 2.0 if path == "canvas" and size == 10_000 else None
        label = f"scale: {size:,} events ({'canvas, as shipped' if path == 'canvas' else 'SVG path, before'})"
        rows.append(target_row(f"{label}: drawn", row["drawn_s"], ".2f", limit, " s"))
        rows.append((f"{label}: build / payload", f"{row['build_s']:.2f} s / {row['payload_bytes'] / 1024:,.0f} KB",
                     "", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure in bench_map, bench_export, bench_scale")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--only", default="map,export,load,concurrent,scale")
    args = parser.parse_args()
    plan = {
        "map": ("bench_map.py", ["--runs", str(args.runs)], map_rows),
        "export": ("bench_export.py", ["--runs", str(max(args.runs, 5))], export_rows),
        "load": ("bench_load.py", ["--sessions", str(args.sessions)], load_rows),
        "concurrent": ("bench_concurrent_export.py", ["--slots", "default,10"], concurrent_rows),
        "scale": ("bench_scale.py", ["--sizes", args.sizes, "--runs", str(args.runs)], scale_rows),
    }
    rows: list[Row] = []
    timings = []
    for name in args.only.split(","):
        script, script_args, to_rows = plan[name.strip()]
        output, seconds = run(script, *script_args)
        timings.append(f"{script} {seconds:.0f} s")
        try:
            rows += to_rows(output)
        except (ValueError, KeyError, IndexError, TypeError, ZeroDivisionError) as error:
            rows.append((f"{script}: no figures", f"{type(error).__name__}: {error}", "", "MISSES"))

    width = max(len(row[0]) for row in rows)
    print(f"\n=== all benchmarks ({', '.join(timings)})\n")
    print(f"{'measure':{width}}  {'value':>28}  {'target':>15}  verdict")
    for measure, value, target, verdict in rows:
        print(f"{measure:{width}}  {value:>28}  {target:>15}  {verdict}")
    missed = [row[0] for row in rows if row[3] == "MISSES"]
    print(f"\n{len(missed)} of {sum(1 for row in rows if row[3])} targets missed" +
          (": " + "; ".join(missed) if missed else ""))


if __name__ == "__main__":
    main()
