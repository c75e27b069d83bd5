"""Stable identifiers of an item's actors: ISO 3166 alpha-2 codes and bodies' canonical names."""

from __future__ import annotations

from functools import cache

from bot.matching.actors import Cast
from bot.matching.countries import country_gazetteer


@cache
def country_codes() -> dict[str, str]:
    """Country and territory display names (the gazetteer's first English name) -> code."""
    return {name: code for code, name in country_gazetteer().names.items()}


def actor_ids(found: Cast) -> tuple[str, ...]:
    """The acting countries as codes (a country a topic file names without a code keeps its
    name), then the international bodies, each once, in order of first mention."""
    codes = country_codes()
    countries = [codes.get(name, name) for name in found.acting]
    return tuple(dict.fromkeys([*countries, *found.bodies]))
