"""Concurrent PNG exports: N `python -m euphrates export` processes started at once (default 10), each with its
own output file. For each slot setting (the export limiter's default, and others to compare, e.g. 10 = no
limit for 10 processes): every process's wall time and exit status, the total wall time and the failures.
Each setting uses its own lock folder, so exports running elsewhere on the machine do not count. Prints a
table; asserts nothing.

    .venv/bin/python bench/bench_concurrent_export.py [--processes 10] [--slots default,1,3,10] [--timeout 300]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from euphrates.export import LOCK_DIR_ENV, SLOTS_ENV, default_export_slots  # noqa: E402


def run_at_once(processes: int, slots: str, workdir: Path, timeout: float) -> dict:
    env = dict(os.environ)
    env[LOCK_DIR_ENV] = str(workdir / f"locks-{slots}")
    if slots != "default":
        env[SLOTS_ENV] = slots
    else:
        env.pop(SLOTS_ENV, None)
    started = time.perf_counter()
    running = []
    for number in range(processes):
        out = workdir / f"{slots}-{number}.png"
        running.append((out, subprocess.Popen([sys.executable, "-m", "euphrates", "export", "--out", str(out)],
                                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.PIPE, text=True)))
    walls, codes, errors = [None] * processes, [None] * processes, []
    deadline = started + timeout
    while any(code is None for code in codes):
        for number, (out, process) in enumerate(running):
            if codes[number] is None and process.poll() is not None:
                walls[number] = time.perf_counter() - started
                codes[number] = process.returncode
                if process.returncode != 0 or not out.exists():
                    errors.append(f"process {number}: exit {process.returncode}: "
                                  f"{process.stderr.read().strip().splitlines()[-1:]}")
        if time.perf_counter() > deadline:
            for number, (_, process) in enumerate(running):
                if codes[number] is None:
                    process.kill()
                    process.wait()
                    walls[number], codes[number] = timeout, "killed"
                    errors.append(f"process {number}: still running after {timeout:.0f} s, killed")
        time.sleep(0.02)
    total = time.perf_counter() - started
    return {"slots": slots, "walls": walls, "codes": codes, "total": total, "failures": len(errors),
            "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=10)
    parser.add_argument("--slots", default="default,1,3,10",
                        help="comma-separated slot settings; 'default' is the limiter's own choice")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before a process is killed")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="euphrates-concurrent-") as workdir:
        for slots in args.slots.split(","):
            results.append(run_at_once(args.processes, slots.strip(), Path(workdir), args.timeout))

    print(f"{args.processes} exports started at once; the limiter's default here is {default_export_slots()} slots")
    first = results[0]
    print(f"\nslots={first['slots']}: each process's wall time (s, from the common start)")
    for number, (wall, code) in enumerate(zip(first["walls"], first["codes"])):
        print(f"  process {number:2}  {wall:7.2f}  exit {code}")
    print(f"\n{'slots':>8} {'first s':>8} {'median s':>9} {'last s':>8} {'total s':>8} {'failures':>9}")
    for result in results:
        walls = result["walls"]
        print(f"{result['slots']:>8} {min(walls):8.2f} {statistics.median(walls):9.2f} {max(walls):8.2f} "
              f"{result['total']:8.2f} {result['failures']:9}")
        for error in result["errors"]:
            print(f"    {error}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
