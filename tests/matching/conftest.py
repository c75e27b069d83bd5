"""Shared fixtures: the default topic, loaded and compiled once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.core.models import Item, TopicScore
from bot.matching import Matcher, TopicSpec, compile_topics, load_topic

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOPIC = REPO / "config" / "topics" / "drug-control-cooperation.yaml"


@pytest.fixture(scope="session")
def topic() -> TopicSpec:
    return load_topic(DEFAULT_TOPIC, env=os.environ)


@pytest.fixture(scope="session")
def matcher(topic: TopicSpec) -> Matcher:
    return compile_topics([topic])


def score(matcher: Matcher, title: str, body: str = "", **kwargs: str) -> TopicScore:
    """The default topic's score for a title and body."""
    return matcher.score(Item(title=title, summary=body, **kwargs))[0]  # type: ignore[arg-type]
