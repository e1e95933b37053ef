"""Peak memory of the overlay loader for a zip bomb named .kml (issue 11): a ~1 MB zip of a KML padded with 1 GiB of
spaces. Prints the peak RSS growth while `load_overlay` refuses it.

    .venv/bin/python bench/bench_upload_memory.py
"""
from __future__ import annotations

import io
import resource
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from euphrates.overlay import OverlayError, load_overlay  # noqa: E402

KML_HEAD = b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark>' \
           b"<name>x</name><Point><coordinates>39,35</coordinates></Point></Placemark>"


def bomb(padding_mib: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("doc.kml", "w", force_zip64=True) as document:
            document.write(KML_HEAD)
            chunk = b" " * 2**20
            for _ in range(padding_mib):
                document.write(chunk)
            document.write(b"</Document></kml>")
    return buffer.getvalue()


def main() -> None:
    data = bomb(1024)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    try:
        load_overlay("x.kml", data)
        outcome = "loaded"
    except OverlayError as error:
        outcome = f"refused: {error}"
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"upload {len(data) / 2**20:.1f} MB zip (1 GiB inflated) named x.kml")
    print(f"  {outcome}")
    print(f"  {seconds:.2f} s, peak RSS growth {peak - before:.0f} MB")


if __name__ == "__main__":
    main()
