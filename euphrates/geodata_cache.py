"""A disk cache of checked layers, so a new process (a replica, `make run`, a CLI export) does not parse and check
17 MB of GeoJSON again: about 2 s of its start.

An entry holds each layer's records as JSON and its geometries as WKB, written after a load that found no
problem. It is found by a key made of the bytes of the data files and of the code that checks them, so any
change to either misses. No pickle: on a hit the records are validated again by their pydantic models, and a
file that does not read as an entry is a miss.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path

import shapely
from shapely.errors import GEOSException

from euphrates import schema

FORMAT = b"euphrates-geodata-cache 1\n"
PREFIX = "geodata-"
DEFAULT_DIR = Path(__file__).resolve().parent.parent / ".cache"
_CHECKING_CODE = (Path(schema.__file__), Path(__file__).with_name("geodata.py"), Path(__file__))

log = logging.getLogger(__name__)


def cache_dir() -> Path:
    return Path(os.environ.get("EUPHRATES_CACHE_DIR") or DEFAULT_DIR)


def key(files: list[Path]) -> str | None:
    """A digest of the files' names and bytes and of the checking code; None if a file cannot be read."""
    digest = hashlib.sha256(FORMAT)
    try:
        for path in (*_CHECKING_CODE, *files):
            data = path.read_bytes()
            digest.update(f"{path.name}\0{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


def read(cache_key: str) -> dict[str, tuple[list[dict], list]] | None:
    """layer name → (records as JSON objects, geometries) for `cache_key`, or None when there is no readable
    entry."""
    path = cache_dir() / f"{PREFIX}{cache_key}.bin"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(FORMAT):
            raise ValueError("not a cache entry")
        header_end = data.index(b"\n", len(FORMAT))
        header = json.loads(data[len(FORMAT):header_end])
        if header.get("key") != cache_key:
            raise ValueError("entry for another key")
        layers, offset = {}, header_end + 1
        for name, entry in header["layers"].items():
            blobs = []
            for length in entry["wkb_lengths"]:
                blobs.append(data[offset:offset + length])
                offset += length
            layers[name] = (entry["records"], list(shapely.from_wkb(blobs)))
        if offset != len(data):
            raise ValueError("length mismatch")
        return layers
    except (ValueError, KeyError, TypeError, GEOSException) as error:
        log.warning("ignoring the geodata cache entry %s: %s", path, error)
        return None


def write(cache_key: str, layers: dict[str, tuple[list[dict], list]]) -> None:
    """Store `layers` (name → (records as JSON objects, geometries)) under `cache_key`, replacing older entries.
    A cache that cannot be written is left alone: loading still works, only slower."""
    directory = cache_dir()
    header = {"key": cache_key, "layers": {}}
    blobs = []
    for name, (records, geometries) in layers.items():
        wkb = list(shapely.to_wkb(geometries, output_dimension=2))
        header["layers"][name] = {"records": records, "wkb_lengths": [len(blob) for blob in wkb]}
        blobs.extend(wkb)
    target = directory / f"{PREFIX}{cache_key}.bin"
    temporary = directory / f".{target.name}.{os.getpid()}.tmp"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            handle.write(FORMAT)
            handle.write(json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode())
            handle.write(b"\n")
            for blob in blobs:
                handle.write(blob)
        os.replace(temporary, target)  # readers see the whole entry or none
        for old in directory.glob(f"{PREFIX}*.bin"):
            if old != target:
                old.unlink(missing_ok=True)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        log.warning("cannot write the geodata cache in %s: %s", directory, error)
