"""`ViewState`: everything that decides what the map shows. The page, the URL, the static site and the PNG
export all go through it, so one view always draws the same map."""
from __future__ import annotations

import datetime as dt
import math
from typing import Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from euphrates.timeline import DATA_END, DATA_START, DEFAULT_DATE

OVERLAY_LAYERS: tuple[str, ...] = (
    "control_areas", "contact_zones", "rivers", "deconfliction", "routes", "sites", "events", "towns", "localities",
    "other_places",
)
BASEMAPS: tuple[str, ...] = ("vector", "osm", "satellite")
Basemap = Literal["vector", "osm", "satellite"]
# Eastern Syria, from Manbij to Al-Qaim: the part of the war the article is about.
DEFAULT_BOUNDS = (37.6, 33.9, 41.9, 37.2)
# The smallest area a view frames: about 1 km, a town's centre (the map's maximum zoom shows about that much).
MIN_BBOX_DEGREES = 0.01
DEFAULT_FACTIONS: tuple[str, ...] = ("sdf", "government", "isis", "iraq", "turkey", "rebels")

Bounds = tuple[float, float, float, float]


class ViewState(BaseModel):
    """What the map shows: a day, the factions and layers switched on, the basemap and the framed area; and,
    optionally, a second day to compare it with (what changed hands between the two)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    date: dt.date = DEFAULT_DATE
    factions: tuple[str, ...] = DEFAULT_FACTIONS
    layers: tuple[str, ...] = OVERLAY_LAYERS
    basemap: Basemap = "vector"
    bounds: Bounds = DEFAULT_BOUNDS
    compare: dt.date | None = None

    @field_validator("date", "compare")
    @classmethod
    def _within_data(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not DATA_START <= value <= DATA_END:
            raise ValueError(f"date must be between {DATA_START} and {DATA_END}")
        return value

    @field_validator("layers")
    @classmethod
    def _known_layers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in OVERLAY_LAYERS]
        if unknown:
            raise ValueError(f"unknown layer(s) {', '.join(unknown)}; known: {', '.join(OVERLAY_LAYERS)}")
        return tuple(name for name in OVERLAY_LAYERS if name in value)

    @field_validator("factions")
    @classmethod
    def _unique_factions(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))

    @field_validator("bounds")
    @classmethod
    def _at_least_town_sized(cls, value: Bounds) -> Bounds:
        """A sliver of a bbox would zoom past any tile and round, in the URL, to a bbox with no extent: widen it
        about its centre to MIN_BBOX_DEGREES."""
        west, south, east, north = value
        if 0 < east - west < MIN_BBOX_DEGREES:
            middle = (west + east) / 2
            west, east = max(-180.0, middle - MIN_BBOX_DEGREES / 2), min(180.0, middle + MIN_BBOX_DEGREES / 2)
        if 0 < north - south < MIN_BBOX_DEGREES:
            middle = (south + north) / 2
            south, north = max(-90.0, middle - MIN_BBOX_DEGREES / 2), min(90.0, middle + MIN_BBOX_DEGREES / 2)
        return west, south, east, north

    @model_validator(mode="after")
    def _bounds_ordered(self) -> ViewState:
        west, south, east, north = self.bounds
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise ValueError("bounds must be minlon,minlat,maxlon,maxlat with min < max, in degrees")
        return self

    def check_factions(self, known: set[str] | Mapping[str, object]) -> None:
        """Raise ValueError naming any faction id that is not in the registry."""
        unknown = [faction for faction in self.factions if faction not in known]
        if unknown:
            raise ValueError(f"unknown faction(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")

    def to_query_params(self) -> dict[str, str]:
        params = {
            "date": self.date.isoformat(),
            "factions": ",".join(self.factions),
            "layers": ",".join(self.layers),
            "basemap": self.basemap,
            "bbox": ",".join(f"{value:.4f}" for value in self.bounds),
        }
        if self.compare is not None:
            params["compare"] = self.compare.isoformat()
        return params

    @property
    def compared_span(self) -> tuple[dt.date, dt.date] | None:
        """(earlier, later) of the two days compared, or None when not comparing (or comparing a day with
        itself)."""
        if self.compare is None or self.compare == self.date:
            return None
        return min(self.compare, self.date), max(self.compare, self.date)

    @classmethod
    def from_query_params(cls, params: Mapping[str, str], known_factions: set[str] | None = None
                          ) -> tuple[ViewState, list[str]]:
        """Read a view from URL parameters. A bad parameter falls back to its default and is reported,
        so a half-broken link still opens."""
        values: dict[str, object] = {}
        warnings: list[str] = []
        parsers = {
            "date": dt.date.fromisoformat,
            "compare": dt.date.fromisoformat,
            "factions": _split_list,
            "layers": _split_list,
            "basemap": str,
            "bbox": parse_bounds,
        }
        for key, parse in parsers.items():
            if key not in params:
                continue
            field_name = "bounds" if key == "bbox" else key
            try:
                candidate = parse(params[key])
                cls.model_validate({field_name: candidate})
            except (ValueError, ValidationError) as error:
                warnings.append(f"ignored URL parameter {key}={params[key]!r}: {_first_message(error)}")
                continue
            values[field_name] = candidate
        view = cls.model_validate(values)
        if known_factions is not None:
            kept = tuple(faction for faction in view.factions if faction in known_factions)
            if kept != view.factions:
                dropped = sorted(set(view.factions) - set(kept))
                warnings.append(f"ignored unknown faction(s) in URL: {', '.join(dropped)}")
                if not kept:  # a link naming no real faction would draw an empty map
                    kept = tuple(faction for faction in DEFAULT_FACTIONS if faction in known_factions)
                    warnings.append("no known faction in the URL: showing the default factions")
                view = view.model_copy(update={"factions": kept})
        return view, warnings


def _split_list(text: str) -> tuple[str, ...]:
    """Comma-separated names; empty text is an empty list (the app writes it when all are off), but separators
    with no names between them are a broken link, not a choice."""
    items = tuple(part.strip() for part in text.split(",") if part.strip())
    if not items and text.strip():
        raise ValueError("a list of names separated by commas, but it holds none")
    return items


def parse_bounds(text: str) -> Bounds:
    parts = text.split(",")
    if len(parts) != 4:
        raise ValueError("bbox needs four numbers: minlon,minlat,maxlon,maxlat")
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise ValueError("bbox needs four numbers: minlon,minlat,maxlon,maxlat") from None
    if not all(math.isfinite(value) for value in (west, south, east, north)):
        raise ValueError("bbox needs four finite numbers (not nan or inf): minlon,minlat,maxlon,maxlat")
    if not (west < east and south < north):
        raise ValueError("bbox is inverted: need minlon < maxlon and minlat < maxlat")
    return west, south, east, north


def _first_message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return error.errors()[0]["msg"].removeprefix("Value error, ")
    return str(error)
