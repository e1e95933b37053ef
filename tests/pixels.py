"""Counting a colour's pixels in a PNG, to check which factions an export shows."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image


def count_colour(png: Path | bytes, hex_colour: str, tolerance: int = 6) -> int:
    """Pixels within `tolerance` (per channel) of `hex_colour`: town symbols are filled opaque, so a shown
    faction has hundreds of exact pixels and a hidden one none."""
    image = Image.open(png if isinstance(png, Path) else __import__("io").BytesIO(png)).convert("RGB")
    target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=int)
    pixels = np.asarray(image, dtype=int)
    return int((np.abs(pixels - target) <= tolerance).all(axis=2).sum())
