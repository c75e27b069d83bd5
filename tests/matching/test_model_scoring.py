"""Scoring with a topic's text model: the missing-group gate becomes soft, the model's part is
explained, and without a model the gate still vetoes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.core.models import Item, TopicScore
from bot.matching import Matcher, compile_topics, load_topic
from bot.matching.scoreio import score_row
from tests.support.textmodels import GATED_TOPIC, RELEVANT, UNRELATED, write_model_topic

GATED = "Heroin talks with counterparts in Lima"
"""The drug side only (no cooperation word): the gate cuts it; the model knows the words."""
REASON = re.compile(
    r"^text model ([+-]0\.\d\d) \((“[^”]+”(?:, “[^”]+”)*)\): P\(relevant\) 0\.\d\d$"
)


@pytest.fixture
def with_model(tmp_path: Path) -> Matcher:
    return compile_topics([load_topic(write_model_topic(tmp_path, weight=0.6), env={})])


@pytest.fixture
def rules_only(tmp_path: Path) -> Matcher:
    path = tmp_path / "plain.yaml"
    path.write_text(GATED_TOPIC, encoding="utf-8")
    return compile_topics([load_topic(path, env={})])


def scored(matcher: Matcher, title: str, body: str = "") -> TopicScore:
    return matcher.score(Item(title=title, summary=body))[0]


def test_a_confident_model_lifts_an_item_the_gate_cut(
    with_model: Matcher, rules_only: Matcher
) -> None:
    """The rules cut the item for its missing group; with the model sure of its words the
    blend matches it, and the reasons say what the model added and which of the item's
    phrases pushed it."""
    plain = scored(rules_only, GATED)
    assert not plain.matched
    assert "missing required group cooperation: score x0.5" in plain.reasons
    result = scored(with_model, GATED)
    assert result.matched
    assert "missing required group cooperation: score x0.5" in result.reasons
    (line,) = [r for r in result.reasons if r.startswith("text model")]
    found = REASON.match(line)
    assert found is not None, line
    assert float(found.group(1)) > 0.3
    phrases = re.findall(r"“([^”]+)”", found.group(2))
    # Every word of the relevant titles but the shared "heroin" weighs the same in this
    # model: the phrases are some of them, each the item's own and learned from relevant items.
    assert phrases
    assert all(p in GATED.casefold() for p in phrases)
    assert all(learned_from(p, RELEVANT, not_in=UNRELATED) for p in phrases)
    assert result.model is not None
    assert result.model.phrases == tuple(phrases)
    assert result.score == pytest.approx(0.4 * plain.score + 0.6 * result.model.probability)
    assert result.reasons[-1].endswith("matched")


def test_the_model_sinks_an_item_it_learned_is_unrelated(with_model: Matcher) -> None:
    """Words the model learned from unrelated items pull the score down, and are named."""
    result = scored(with_model, "Heroin found by a farmer near Lima")
    assert not result.matched
    assert result.model is not None
    assert result.model.added < 0
    assert result.model.phrases
    assert all(learned_from(p, UNRELATED, not_in=RELEVANT) for p in result.model.phrases)


def learned_from(phrase: str, titles: tuple[str, ...], *, not_in: tuple[str, ...]) -> bool:
    """Whether the phrase occurs in some of `titles` and in none of `not_in`."""
    said = [t.casefold() for t in titles]
    other = [t.casefold() for t in not_in]
    return any(phrase in t for t in said) and not any(phrase in t for t in other)


def test_without_a_model_the_gate_still_vetoes(tmp_path: Path) -> None:
    """A topic without a model never matches an item missing a required group, even when
    its score (the gate factor at 1) is over the threshold."""
    path = tmp_path / "gate.yaml"
    path.write_text(
        GATED_TOPIC.replace("missing_required_factor: 0.5", "missing_required_factor: 1.0").replace(
            "threshold: 0.5 ", "threshold: 0.2 "
        ),
        encoding="utf-8",
    )
    spec = load_topic(path, env={})
    assert (spec.threshold, spec.missing_required_factor) == (0.2, 1.0)
    result = scored(compile_topics([spec]), "Heroin and cocaine seized")
    assert result.score >= spec.threshold
    assert not result.matched
    assert result.model is None
    assert not any(r.startswith("text model") for r in result.reasons)


def test_an_item_with_nothing_of_the_topic_is_not_read_by_the_model(with_model: Matcher) -> None:
    """No term or entity found: the score is 0 without asking the model, even about words it
    would call relevant."""
    result = scored(with_model, "Talks with counterparts in Vientiane")
    assert (result.score, result.matched, result.model) == (0.0, False, None)
    assert result.reasons == ("no term or entity of the topic found: score 0 < threshold 0.50",)
    assert "text_model" not in score_row("1", result)


def test_the_score_row_carries_the_models_part(with_model: Matcher) -> None:
    """`score` output has `text_model` with probability, added and phrases, rounded like the
    score, and the reasons in the order the scorer gave them."""
    result = scored(with_model, GATED)
    row = score_row("7", result)
    assert result.model is not None
    assert row["text_model"] == {
        "probability": round(result.model.probability, 4),
        "added": round(result.model.added, 4),
        "phrases": list(result.model.phrases),
    }
    assert row["reasons"] == list(result.reasons)
    assert row["matched"] is True


def test_callers_that_keep_only_matches_may_skip_the_phrases_of_the_rest(
    with_model: Matcher,
) -> None:
    """score_many without explain_unmatched (the parse workers keep only what matched) gives
    the same scores and verdicts; a matched item keeps its phrases, an unmatched one the
    model's part without them."""
    items = [Item(title=GATED), Item(title="Heroin found by a farmer near Lima")]
    full = with_model.score_many(items)
    lean = with_model.score_many(items, explain_unmatched=False)
    assert [(s.score, s.matched) for (s,) in lean] == [(s.score, s.matched) for (s,) in full]
    (matched,), (unmatched,) = lean
    assert matched.matched
    assert matched == full[0][0]
    assert not unmatched.matched
    assert full[1][0].model is not None
    assert full[1][0].model.phrases
    assert unmatched.model is not None
    assert unmatched.model.phrases == ()
    assert unmatched.model.added == full[1][0].model.added
