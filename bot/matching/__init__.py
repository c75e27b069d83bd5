"""Topic matching: topic files -> one automaton -> explainable scores (pure, no adapters).

The names below load on first use, so that a module that needs one small piece of matching
(the Chinese folding, say) does not import the automaton, the topic schema and numpy too.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.matching.engine import Matcher, compile_topics
    from bot.matching.loader import load_topic, load_topics
    from bot.matching.spec import TopicSpec

__all__ = ["Matcher", "TopicSpec", "compile_topics", "load_topic", "load_topics"]

_HOMES = {
    "Matcher": "bot.matching.engine",
    "compile_topics": "bot.matching.engine",
    "load_topic": "bot.matching.loader",
    "load_topics": "bot.matching.loader",
    "TopicSpec": "bot.matching.spec",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(home), name)
