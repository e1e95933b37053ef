"""The villages' and districts' whole stories (names, kind, position source, and every change of hands with its
note and sources), as one script the browser loads when a reader first opens a village's popup. The map then
carries only what it draws for the day: a dot, a colour, a tooltip."""
from __future__ import annotations

import json

from euphrates.geodata import GeoData
from euphrates.timeline import place_state_on, state_words

GLOBAL_NAME = "euphratesStories"


def stories_data(geodata: GeoData) -> dict[str, dict]:
    layer = geodata.layer("localities")
    stories = {}
    for locality in layer.records if layer else []:
        approx = " (location approximate)" if locality.approximate else ""
        stories[locality.id] = {
            "name": locality.name, "name_ar": locality.name_ar or "",
            "about": f"{locality.kind}, {locality.admin}{approx}",
            "position": locality.coord_source.split(",")[0],
            "history": [[entry.from_.isoformat() + (" (approx.)" if entry.date_approximate else ""),
                         state_words(place_state_on([entry], entry.from_), geodata.factions), entry.note or "",
                         [[f"{source.publication}, {source.date.isoformat() if source.date else 'n.d.'}",
                           source.url if source.url and source.url.lower().startswith(("https://", "http://"))
                           else None]
                          for source in {(s.publication, s.date, s.url): s for s in entry.sources}.values()]]
                        for entry in locality.control],
        }
    return stories


def stories_script(geodata: GeoData) -> str:
    """The stories as a script setting window.euphratesStories; `<` escaped so no text can end the script."""
    text = json.dumps(stories_data(geodata), ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f"window.{GLOBAL_NAME}={text};\n"
