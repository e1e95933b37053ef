"""Seconds per frame and in total for `python -m euphrates animate`: 31 weekly frames at 1200×800 (the issue's
figure), run warm (a first, untimed run fills the disk cache and Chromium's), as a user runs it.

    .venv/bin/python bench/bench_animate.py [--runs 2] [--format gif]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAMES, START, END = 31, "2017-06-01", "2017-12-28"  # 1 June + 30 weeks


def run_once(out: Path) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "euphrates", "animate", "--from", START, "--to", END, "--step", "1w",
                    "--width", "1200", "--height", "800", "--out", str(out)], cwd=ROOT, check=True,
                   capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--format", choices=("gif", "mp4", "webm"), default="gif")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        out = Path(workdir) / f"race.{args.format}"
        run_once(out)  # warm-up
        totals = [run_once(out) for _ in range(args.runs)]
        size_kb = out.stat().st_size / 1024
    total = statistics.median(totals)
    print(f"animate {FRAMES} weekly frames 1200x800 .{args.format}: total {total:.1f} s (median of {args.runs}, "
          f"runs {', '.join(f'{t:.1f}' for t in totals)}), {total / FRAMES:.2f} s/frame, file {size_kb:.0f} KB")


if __name__ == "__main__":
    main()
