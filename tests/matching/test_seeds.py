"""Both seed documents, given as plain text, score well above the threshold."""

from __future__ import annotations

import pytest

from bot.core.models import Item
from bot.matching import Matcher, TopicSpec
from tests.matching.conftest import REPO

SEEDS = sorted((REPO / "seeds").glob("*.txt"))


def test_there_are_two_seed_documents() -> None:
    """The topic is traced to two seed documents in seeds/."""
    assert len(SEEDS) == 2


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_seed_document_scores_well_above_threshold(
    path: object, matcher: Matcher, topic: TopicSpec
) -> None:
    """A seed (first line as title, the rest as body) matches with a score >= threshold + 0.3."""
    title, _, body = path.read_text(encoding="utf-8").partition("\n")  # type: ignore[attr-defined]
    result = matcher.score(Item(title=title, content=body))[0]
    assert result.matched
    assert result.score >= topic.threshold + 0.3
    groups = {hit.group for hit in result.terms}
    assert {"drugs", "cooperation", "transnational"} <= groups
