"""Topic matching: topic files -> one automaton -> explainable scores (pure, no adapters)."""

from bot.matching.engine import Matcher, compile_topics
from bot.matching.loader import load_topic, load_topics
from bot.matching.spec import TopicSpec

__all__ = ["Matcher", "TopicSpec", "compile_topics", "load_topic", "load_topics"]
