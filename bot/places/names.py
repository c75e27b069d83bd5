"""Names to places: what a subscriber types (any case, Chinese in either script, Russian in
any case ending, an ISO or M49 code) to the country or region it names, or the closest names.

A name two countries share (the Chinese pair forms 中美, 中缅 name both) names neither; a
region's name that is also a country's is left to the country.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from bot.matching.hanzi import to_simplified
from bot.places.table import Place, countries, places_by_key, regions

_SEPARATORS = re.compile(r"[,;，、；\n]+")
_CYRILLIC = re.compile(r"[а-я]")
# Russian case endings, longest first: "Центральной Азии" and "центральн* ази*" meet at
# "центральн ази", "Китаем" and "китай*" at "кита".
_ENDINGS = sorted(
    re.findall(
        r"\w+",
        "ами ями ого его ому ему ыми ими ых их ые ие ое ее ая яя ой ей ий ый ую юю ам ям ах ях"
        " ом ем ов ев ию ия ие ии а я о е ы и у ю й ь",
    ),
    key=len,
    reverse=True,
)
_MIN_STEM = 3
NAME_CHARS = 100
"""A longer "name" is no place's, and is not compared with every name for the closest."""
SUGGESTED = 5
"""Unknown names that get the closest names (each costs a comparison with every name)."""


@dataclass(frozen=True, slots=True)
class Unknown:
    """A name that is no place, with the closest names that are."""

    text: str
    suggestions: tuple[str, ...]


def _stem(word: str) -> str:
    if not _CYRILLIC.search(word):
        return word
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
            return word[: -len(ending)]
    return word


def name_key(text: str) -> str:
    """A name folded for lookup: case, script, hyphens, "the", Russian endings."""
    text = to_simplified(unicodedata.normalize("NFKC", text)).casefold().replace("ё", "е")
    text = text.replace("’", "'").replace("*", " ").strip(" .'\"")
    text = re.sub(r"'s\b", "", text)
    text = re.sub(r"^the\s+", "", text)
    words = re.sub(r"[\s\-_/]+", " ", text).split()
    return " ".join(_stem(word) for word in words)


@cache
def _index() -> tuple[dict[str, str], dict[str, str]]:
    """Folded name -> place key, and readable name -> the name shown (for suggestions)."""
    index: dict[str, str] = {}
    shared: set[str] = set()
    readable: dict[str, str] = {}
    for place in countries():
        for name in place.names:
            key = name_key(name)
            if key in index and index[key] != place.key:
                shared.add(key)
            index.setdefault(key, place.key)
            if "*" not in name:
                readable.setdefault(name, place.name)
    for key in shared:
        del index[key]
    for place in regions():
        for name in place.names:
            key = name_key(name)
            if key in shared or key in index:
                continue  # a country's name stays the country's
            index[key] = place.key
            if "*" not in name:
                readable.setdefault(name, place.name)
    return index, readable


def resolve(text: str) -> Place | None:
    """The place a name (or an ISO code in capitals, or an M49 code) names, or None."""
    raw = text.strip()
    by_key = places_by_key()
    if re.fullmatch(r"[A-Z]{2}|\d{3}", raw) and raw in by_key:
        return by_key[raw]
    found = _index()[0].get(name_key(raw))
    if found is None and re.fullmatch(r"[A-Za-z]{2}", raw) and raw.upper() in by_key:
        found = raw.upper()  # an ISO code in small letters ("kz")
    return by_key[found] if found is not None else None


def closest(text: str, limit: int = 3) -> tuple[str, ...]:
    """The names shown of the places whose names are nearest to `text`."""
    readable = _index()[1]
    folded = {name.casefold(): shown for name, shown in readable.items()}
    near = difflib.get_close_matches(text.strip().casefold(), list(folded), n=12, cutoff=0.6)
    return tuple(dict.fromkeys(folded[name] for name in near))[:limit]


def split_names(text: str) -> list[str]:
    """The names in a list "Central Asia, China; 金三角" (commas, semicolons, 、)."""
    return [part.strip() for part in _SEPARATORS.split(text) if part.strip()]


def parse_places(text: str) -> tuple[list[Place], list[Unknown]]:
    """Every place the list names (each once, in order), and the names that are none."""
    found: dict[str, Place] = {}
    unknown: list[Unknown] = []
    for name in split_names(text):
        place = resolve(name) if len(name) <= NAME_CHARS else None
        if place is not None:
            found.setdefault(place.key, place)
        elif len(unknown) < SUGGESTED and len(name) <= NAME_CHARS:
            unknown.append(Unknown(name, closest(name)))
        else:
            unknown.append(Unknown(name, ()))
    return list(found.values()), unknown


def countries_in(keys: Iterable[str]) -> frozenset[str]:
    """The ISO codes of the countries the places `keys` hold (an unknown key: itself, so a
    stored code outlives a table that dropped it)."""
    by_key = places_by_key()
    codes: set[str] = set()
    for key in keys:
        place = by_key.get(key)
        codes |= place.members if place is not None else {key}
    return frozenset(codes)
