"""Loading the bundled geodata in a new process: checking the files (no cache entry yet) against reading the
checked layers from the disk cache (euphrates/geodata_cache.py). Each run is a fresh interpreter; prints the
medians; asserts nothing.

    .venv/bin/python bench/bench_geodata_load.py [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONE_LOAD = ("import json, time; from euphrates.geodata import load_geodata; started = time.perf_counter(); "
            "data = load_geodata(); assert data.ok; print(json.dumps(time.perf_counter() - started))")


def load_seconds(cache_dir: Path) -> float:
    env = {**os.environ, "EUPHRATES_CACHE_DIR": str(cache_dir)}
    output = subprocess.run([sys.executable, "-c", ONE_LOAD], cwd=ROOT, env=env, check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    checking, cached = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as empty:
            checking.append(load_seconds(Path(empty)))  # no entry: checks the files, then writes one
            cached.append(load_seconds(Path(empty)))    # the entry just written
    print(f"{'load, checking the files (median s)':45} {statistics.median(checking):8.2f}")
    print(f"{'load, from the cache (median s)':45} {statistics.median(cached):8.2f}")
    print(json.dumps({"checking_s": checking, "cached_s": cached}))


if __name__ == "__main__":
    main()
