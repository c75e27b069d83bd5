"""Which alerts a chat that follows some places takes: those whose acting countries are there."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot.places.names import countries_in


@lru_cache(maxsize=4096)
def _codes(places: tuple[str, ...]) -> frozenset[str]:
    return countries_in(places)


def place_codes(places: Sequence[str] | None) -> frozenset[str] | None:
    """The countries a chat's places hold; None when it follows no places (everywhere)."""
    if not places:
        return None
    return _codes(tuple(places))


def chat_wants(places: Sequence[str] | None, actors: Sequence[str]) -> bool:
    """Whether a chat following `places` (keys; none: everywhere) takes an alert whose
    acting countries and bodies are `actors` (ISO codes and names): one of them must act."""
    codes = place_codes(places)
    return codes is None or any(actor in codes for actor in actors)
