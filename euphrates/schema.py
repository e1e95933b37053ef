"""The declared schema of every geodata layer: feature properties as pydantic models.

Structural checks (geometry, cross-layer references) live in `validate.py`; this module only says what a
feature's properties must look like.
"""
from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _short_repr(value: object, limit: int = 40) -> str:
    """`repr` for a message about bad input, cut short: the input may be megabytes long."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= 2 * limit else text[:2 * limit] + "..."


def _parse_iso_date(value: object) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"expected an ISO date YYYY-MM-DD, got {_short_repr(value)}")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"not a real ISO date YYYY-MM-DD: {value!r} ({error})") from None


IsoDate = Annotated[date, BeforeValidator(_parse_iso_date)]
FeatureId = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
ControlState = Literal["held", "contested", "besieged", "mixed"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    publication: str = Field(min_length=1)
    date: IsoDate | None = None
    title: str | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")

    @model_validator(mode="after")
    def _title_or_url(self) -> Source:
        if not (self.title or self.url):
            raise ValueError("a source needs a title or a url")
        return self


Sources = Annotated[list[Source], Field(min_length=1)]


class ControlEntry(Strict):
    """Who held a place from `from_` until the next entry starts."""

    from_: IsoDate = Field(alias="from")
    date_approximate: bool = False
    state: ControlState = "held"
    controller: FeatureId | None
    factions: list[FeatureId] = Field(default_factory=list)
    note: str | None = None
    sources: Sources

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _factions_match_state(self) -> ControlEntry:
        involved = set(self.factions)
        if self.state == "held" and self.controller is None:
            raise ValueError("a 'held' entry needs a controller")
        if self.state in ("contested", "besieged", "mixed") and len(involved) < 2:
            raise ValueError(f"a '{self.state}' entry needs at least two factions")
        if self.controller is not None and involved and self.controller not in involved:
            raise ValueError(f"controller {self.controller!r} is not among factions {sorted(involved)}")
        return self


def _sorted_history(entries: list[ControlEntry]) -> list[ControlEntry]:
    for earlier, later in zip(entries, entries[1:]):
        if later.from_ <= earlier.from_:
            raise ValueError(
                f"control history not sorted: {later.from_.isoformat()} follows {earlier.from_.isoformat()}"
            )
    return entries


class Faction(Strict):
    id: FeatureId
    name: str
    short_name: str
    color: str = Field(pattern=r"^#[0-9A-Fa-f]{6}$")
    backers: list[str]
    description: str
    sources: Sources


class FactionRegistry(Strict):
    note: str | None = None
    factions: list[Faction] = Field(min_length=1)


class TownProps(Strict):
    id: FeatureId
    name: str
    name_ar: str | None = None
    name_ar_source: str | None = None
    aliases: list[str] = Field(default_factory=list)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    admin: str | None = None
    role: Literal["theatre", "reference"] = "theatre"
    geonames_id: int | None = None
    population: int | None = Field(default=None, ge=0)  # GeoNames' figure; decides label priority only
    coord_source: str
    approximate: bool
    control: list[ControlEntry]
    sources: list[Source] = Field(default_factory=list)

    _sorted = field_validator("control")(_sorted_history)


class LocalityProps(Strict):
    """A village, city district, base or field of geodata/src/localities_*.yaml: the dense layer."""

    id: FeatureId
    name: str
    name_ar: str | None = None
    aliases: list[str] = Field(default_factory=list)
    country: Literal["SY", "IQ"]
    admin: str
    kind: Literal["village", "town", "district", "base", "field", "dam", "crossing"]
    bank: Literal["east", "west"] | None = None  # of the Euphrates, within 15 km of it
    coord_source: str
    approximate: bool
    # A small place whose position is approximate is left off the control areas, unless its sources place it
    # well enough to draw it as a disc of this radius (a government enclave in a city's centre).
    extent_m: int | None = Field(default=None, ge=300, le=3000)
    control: list[ControlEntry] = Field(min_length=1)

    _sorted = field_validator("control")(_sorted_history)


class EventProps(Strict):
    id: FeatureId
    date: IsoDate
    date_approximate: bool = False
    kind: Literal["capture", "crossing", "strike", "meeting", "siege", "declaration", "symbol", "other"]
    title: str
    description: str
    factions: list[FeatureId] = Field(min_length=1)
    actors: list[str] = Field(default_factory=list)
    place: FeatureId | None = None
    coord_source: str
    approximate: bool
    sources: Sources


class SiteProps(Strict):
    id: FeatureId
    name: str
    kind: Literal["oil_field", "gas_field", "dam", "airbase", "crossing", "other"]
    coord_source: str
    approximate: bool
    control: list[ControlEntry] = Field(default_factory=list)
    description: str | None = None
    sources: Sources

    _sorted = field_validator("control")(_sorted_history)


class RouteProps(Strict):
    id: FeatureId
    name: str
    kind: Literal["planned_advance", "land_corridor", "other"]
    factions: list[FeatureId] = Field(default_factory=list)
    via: list[FeatureId] = Field(min_length=2)
    status: Literal["planned", "cut_off", "achieved", "contested"]
    description: str
    approximate: bool
    sources: Sources


class ControlAreaProps(Strict):
    id: FeatureId
    faction: FeatureId
    ground: Literal["near", "far"] = "near"  # far: hinterland tinted for the nearest holder (drawn pale)
    valid_from: IsoDate
    valid_to: IsoDate | None  # inclusive last day; None = still valid at the end of the data
    approximate: Literal[True]
    method: str
    anchors: list[FeatureId] = Field(default_factory=list)
    sources: Sources

    @model_validator(mode="after")
    def _dates_ordered(self) -> ControlAreaProps:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self


class RiverProps(Strict):
    id: FeatureId
    name: str
    name_ar: str | None = None
    source: str
    licence: str
    approximate: bool
    note: str | None = None
    sources: list[Source] = Field(default_factory=list)


class DeconflictionProps(Strict):
    id: FeatureId
    name: str
    status: str
    certain: list[str] = Field(min_length=1)
    uncertain: list[str] = Field(min_length=1)
    derived_from: str
    approximate: Literal[True]
    broken_on: IsoDate | None = None
    sources: Sources


class CountryProps(Strict):
    id: str = Field(pattern=r"^[A-Z]{2}$")
    name: str
    source: str
    licence: str
    approximate: bool
