"""Evidence from who acts: a drug-control body's mandate counts for the drug side, and two
acting countries count (a little) for cooperation when the topic says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.models import Item, TopicScore
from bot.errors import ConfigError
from bot.matching import compile_topics, load_topic
from tests.support.textmodels import line_of

BODIES = """\
id: bodies
title: Drug-control bodies
threshold: 0.5
title_boost: 2.0
groups:
  drugs:
    weight: 0.5
    terms: {en: [heroin]}
  cooperation:
    weight: 0.5
    terms: {en: [jointly]}
required: [drugs, cooperation]
entities:
  items:
    - name: Narcotics Board
      type: organisation
      international: true
      groups: [cooperation]
      mandate:
        drugs: 1.0
      aliases: {en: [Narcotics Board, NB]}
"""


def score(topic: str, tmp_path: Path, title: str, body: str = "") -> TopicScore:
    path = tmp_path / "topic.yaml"
    path.write_text(topic, encoding="utf-8")
    return compile_topics([load_topic(path, env={})]).score(Item(title=title, summary=body))[0]


def test_a_drug_control_body_acting_is_drug_evidence_once(tmp_path: Path) -> None:
    """Named in the title and twice more, the body adds its mandate's evidence once, not
    boosted by the title nor repeated, and the reason says it is the mandate; the drug side
    is then present without any drug word."""
    result = score(
        BODIES,
        tmp_path,
        "Narcotics Board meets in Vienna",
        "The Narcotics Board said the NB will publish its report.",
    )
    (drugs,) = [r for r in result.reasons if r.startswith("drugs:")]
    assert drugs.startswith("drugs: Narcotics Board (mandate) (evidence 1.0) +")
    assert not any(r.startswith("missing") for r in result.reasons)
    assert not any(hit.group == "drugs" for hit in result.terms)
    assert result.matched


def test_without_a_mandate_the_body_says_nothing_of_drugs(tmp_path: Path) -> None:
    """The same item for a body without a mandate misses the drug side."""
    topic = BODIES.replace("      mandate:\n        drugs: 1.0\n", "")
    result = score(topic, tmp_path, "Narcotics Board meets in Vienna")
    assert not any(r.startswith("drugs:") for r in result.reasons)
    assert "missing required group drugs: score x0.5" in result.reasons
    assert not result.matched


def test_a_mandate_naming_an_unknown_group_is_a_config_error(tmp_path: Path) -> None:
    """A mandate for a group the topic lacks is reported at its line, with the known groups."""
    path = tmp_path / "topic.yaml"
    path.write_text(BODIES.replace("        drugs: 1.0", "        narcotics: 1.0"), "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_topic(path, env={})
    (problem,) = caught.value.problems
    assert problem.line == line_of(path, "        narcotics:")
    assert problem.message == (
        "entity 'Narcotics Board' mandate names unknown group 'narcotics' "
        "(groups: drugs, cooperation)"
    )


COUNTRIES = """\
id: handover
title: Handovers
threshold: 0.5
groups:
  drugs:
    weight: 0.5
    terms: {en: [heroin]}
  cooperation:
    weight: 0.5
    terms: {en: [jointly]}
required: [drugs, cooperation]
entities: {countries: true}
cross_border:
  actor_group: cooperation
"""
HANDOVER = ("Mexico hands heroin suspects to the United States", "Mexico sent them on Friday.")


def test_two_acting_countries_add_country_evidence_to_the_actor_group(tmp_path: Path) -> None:
    """With `country_evidence: 1.5`, Mexico handing suspects to the United States is that
    much cooperation evidence, named by its actors, with no cooperation word."""
    topic = COUNTRIES + "  country_evidence: 1.5\n"
    result = score(topic, tmp_path, *HANDOVER)
    (cooperation,) = [r for r in result.reasons if r.startswith("cooperation:")]
    assert cooperation.startswith("cooperation: actors Mexico + United States (evidence 1.5)")
    assert not any(r.startswith("missing") for r in result.reasons)


def test_country_evidence_is_zero_by_default(tmp_path: Path) -> None:
    """Without the setting, two acting countries add no cooperation evidence."""
    result = score(COUNTRIES, tmp_path, *HANDOVER)
    assert not any(r.startswith("cooperation:") for r in result.reasons)
    assert "missing required group cooperation: score x0.5" in result.reasons
    assert "actors that counted: Mexico, United States" in result.reasons


def test_one_acting_country_adds_no_country_evidence(tmp_path: Path) -> None:
    """A country named only as the drugs' origin does not act: one actor is not two."""
    topic = COUNTRIES + "  country_evidence: 1.5\n"
    result = score(topic, tmp_path, "Mexico police seize heroin from Colombia")
    assert not any(r.startswith("cooperation:") for r in result.reasons)
