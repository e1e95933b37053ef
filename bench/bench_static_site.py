"""Requests a second that nginx serves of the static site (`python -m euphrates site`), the path for read-only
readers of any number: the site is built, served at /site/ by the same nginx config `make serve` uses, and loaded
with wrk (Debian's `wrk`) on this machine, so wrk and nginx share its cores. Prints a table; asserts nothing.

    .venv/bin/python bench/bench_static_site.py [--seconds 10] [--connections 64]
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from euphrates.replicas import ReplicaSet  # noqa: E402

# What a reader's first visit fetches, from the largest to the smallest kind.
PATHS = ("index.html", "data/playback.js", "vendor/leaflet/dist/leaflet.js")


def wrk(url: str, seconds: int, connections: int, gzip: bool) -> tuple[float, str]:
    header = ["-H", "Accept-Encoding: gzip"] if gzip else []
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", *header, url], capture_output=True,
                         text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    transfer = re.search(r"Transfer/sec:\s+(\S+)", out).group(1)
    return rate, transfer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="euphrates-site-") as workdir:
        site = Path(workdir) / "site"
        subprocess.run([sys.executable, "-m", "euphrates", "site", str(site), "--date", "2017-10-19"], cwd=ROOT,
                       check=True, capture_output=True)
        with ReplicaSet(0, site_dir=site) as server:
            print(f"{'file':40} {'size KB':>8} {'req/s':>9} {'transfer/s':>11}  (wrk -c{args.connections}, "
                  f"{args.seconds} s, gzip accepted)")
            for path in PATHS:
                size_kb = (site / path).stat().st_size / 1024
                rate, transfer = wrk(f"{server.url}site/{path}", args.seconds, args.connections, gzip=True)
                print(f"{path:40} {size_kb:8.0f} {rate:9.0f} {transfer:>11}")


if __name__ == "__main__":
    main()
