"""Finding a town by any of its spellings, in Latin or Arabic script."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from euphrates.geodata import GeoData

# Arabic letters that spellings use interchangeably: hamza seats on alef, alef maqsura, ta marbuta.
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_ARABIC_MARKS = re.compile(r"[\u064B-\u065F\u0670\u0640]")  # harakat, dagger alef, tatweel
_LATIN_ARTICLE = re.compile(r"^(al|el|ar|as|ad|at|an|ash|az|ad)[\s\-‑’']+")
_ARABIC_ARTICLE = re.compile(r"^ال")


@dataclass(frozen=True)
class TownMatch:
    id: str
    name: str
    lon: float
    lat: float
    matched: str


def normalise(text: str) -> str:
    """Fold case, Latin diacritics, Arabic hamza/alef variants and harakat, and a leading article."""
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_FOLD)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch) or "\u0600" <= ch <= "\u06ff")
    text = text.casefold().replace("‘", "").replace("’", "").replace("ʿ", "").replace("ʾ", "")
    text = re.sub(r"[\s\-‑'.]+", " ", text).strip()
    text = _LATIN_ARTICLE.sub("", text)
    return _ARABIC_ARTICLE.sub("", text).replace(" ", "")


_ARTICLES = {"al", "el", "ul", "ar", "as", "ad", "at", "an", "ash", "az", "ez", "ed", "es", "et", "er", "en"}


def skeleton(text: str) -> str:
    """Latin spellings of one Arabic name differ mostly in vowels, doubled letters and the article (Deir ez-Zor,
    Dayr az Zawr, Deir al-Zour): keep the consonants of the words that are not articles."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if ch.isascii() and (ch.isalpha() or ch in " -"))
    words = [word for word in re.split(r"[\s\-]+", text) if word and word not in _ARTICLES]
    consonants = re.sub(r"[aeiouyw]", "", "".join(words))
    return re.sub(r"(.)\1+", r"\1", consonants)


def find_towns(data: GeoData, query: str, limit: int = 8) -> list[TownMatch]:
    """Towns whose name, alias or Arabic name matches `query`: exact matches first, then prefixes, then
    substrings, then other Latin transliterations of the same consonants."""
    wanted = normalise(query)
    towns = data.layer("towns")
    if not wanted or towns is None:
        return []
    wanted_skeleton = skeleton(query) if len(skeleton(query)) >= 3 else None
    ranked: list[tuple[tuple, TownMatch]] = []
    for town, point in zip(towns.records, towns.frame.geometry):
        best = None
        for spelling in (town.name, town.id.replace("-", " "), *town.aliases, town.name_ar or ""):
            key = normalise(spelling)
            if not key:
                continue
            rank = 0 if key == wanted else 1 if key.startswith(wanted) else 2 if wanted in key else None
            if rank is None and wanted_skeleton and skeleton(spelling) == wanted_skeleton:
                rank = 3
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, spelling)
        if best is not None:
            ranked.append(((best[0], -(town.population or 0), town.name),
                           TownMatch(town.id, town.name, point.x, point.y, best[1])))
    ranked.sort(key=lambda item: item[0])  # better match first, then the bigger town
    return [match for _, match in ranked[:limit]]
