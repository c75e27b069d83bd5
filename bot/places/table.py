"""The places a chat can follow: every country of the matcher's gazetteer, and the regions of
bot/places/data/regions.tsv (UN M49 areas and the field's own, made by scripts/make_regions.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.matching.countries import country_gazetteer

COUNTRY, M49, GROUP = "country", "m49", "group"


@dataclass(frozen=True, slots=True)
class Place:
    """A country or a region: its key, the name shown, its countries and every name it has."""

    key: str
    """ISO 3166 alpha-2 code of a country; M49 code or group key (EU, GOLDEN-TRIANGLE) of a
    region. What a chat's settings store."""
    name: str
    kind: str
    members: frozenset[str]
    """ISO codes of the countries it holds (a country holds itself)."""
    names: tuple[str, ...]
    """Every name and alias in English, Chinese and Russian ('*' ends a Russian stem)."""
    source: str = ""
    """Where a region's membership comes from."""


def parse_regions(text: str) -> tuple[Place, ...]:
    """Rows of `key, kind, members, en, zh, ru, source` (tab-separated, aliases split by ';')."""
    found = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        key, kind, members, en, zh, ru, source = (line.split("\t") + [""] * 7)[:7]
        names = tuple(a.strip() for cell in (en, zh, ru) for a in cell.split(";") if a.strip())
        found.append(
            Place(
                key=key,
                name=names[0],
                kind=kind,
                members=frozenset(members.split()),
                names=names,
                source=source,
            )
        )
    return tuple(found)


@cache
def regions() -> tuple[Place, ...]:
    """The bundled regions (package data, read once per process)."""
    path = resources.files("bot.places").joinpath("data", "regions.tsv")
    return parse_regions(path.read_text(encoding="utf-8"))


@cache
def countries() -> tuple[Place, ...]:
    """Every country and territory the matcher knows, by ISO code, with its aliases."""
    found = []
    for entity in country_gazetteer().entities:
        if entity.type not in ("country", "territory") or entity.country is None:
            continue
        names = tuple(
            term.term
            for terms in entity.aliases.values()
            for term in terms
            if term.term is not None
        )
        found.append(
            Place(
                key=entity.country,
                name=entity.name,
                kind=COUNTRY,
                members=frozenset({entity.country}),
                names=names,
            )
        )
    return tuple(found)


@cache
def places_by_key() -> dict[str, Place]:
    """Countries and regions by key."""
    return {place.key: place for place in (*countries(), *regions())}


def actor_name(actor: str) -> str:
    """The name shown for an actor: a country's name for its code, a body's name as it is."""
    place = places_by_key().get(actor)
    return place.name if place is not None and place.kind == COUNTRY else actor


def place_names(keys: Sequence[str]) -> tuple[str, ...]:
    """The names shown of stored place keys (a key the table no longer has: itself)."""
    by_key = places_by_key()
    return tuple(by_key[key].name if key in by_key else key for key in keys)


@cache
def _area_order() -> dict[str, int]:
    """Country code -> the table position of the smallest M49 area holding it."""
    found: dict[str, tuple[int, int]] = {}
    for rank, place in enumerate(regions()):
        if place.kind != M49:
            continue
        for code in place.members:
            size = len(place.members)
            if code not in found or size < found[code][0]:
                found[code] = (size, rank)
    return {code: rank for code, (_size, rank) in found.items()}


def area_rank(code: str) -> int:
    """Where a country's M49 area comes in the table (Africa ... Oceania): neighbours sort
    together. Anything else (a body) comes after every area."""
    return _area_order().get(code, len(regions()))
