"""The bundled gazetteer of countries: names, aliases and demonyms in en, zh and ru."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.matching.spec import EntitySpec, TermSpec

_FILE = "countries.tsv"


@dataclass(frozen=True, slots=True)
class Gazetteer:
    """Country and region entities, their names by ISO code, and blocking strings."""

    entities: tuple[EntitySpec, ...]
    names: dict[str, str]
    blockers: tuple[str, ...]


def _aliases(cell: str) -> tuple[TermSpec, ...]:
    terms = []
    for raw in cell.split(";"):
        alias = raw.strip()
        if not alias:
            continue
        if alias.startswith("="):
            terms.append(TermSpec(term=alias[1:], match_case=True))
        else:
            terms.append(TermSpec(term=alias))
    return tuple(terms)


def parse_gazetteer(text: str) -> Gazetteer:
    """Rows of `code, type, en, zh, ru` (tab-separated, aliases split by ';')."""
    entities: list[EntitySpec] = []
    names: dict[str, str] = {}
    blockers: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        code, kind, en, zh, ru = (line.split("\t") + [""] * 5)[:5]
        if kind == "block":
            blockers.extend(a for cell in (en, zh, ru) for a in cell.split(";") if a)
            continue
        aliases = {lang: _aliases(cell) for lang, cell in (("en", en), ("zh", zh), ("ru", ru))}
        name = aliases["en"][0].name
        entity_type = "place" if kind == "region" else kind
        entities.append(
            EntitySpec(
                name=name,
                type=entity_type,
                aliases={lang: terms for lang, terms in aliases.items() if terms},
                country=code if code != "-" else None,
            )
        )
        if code != "-":
            names[code] = name
    return Gazetteer(entities=tuple(entities), names=names, blockers=tuple(blockers))


@cache
def country_gazetteer() -> Gazetteer:
    """The bundled table (package data, read once per process)."""
    text = resources.files("bot.matching").joinpath("data", _FILE).read_text(encoding="utf-8")
    return parse_gazetteer(text)
