"""seed-terms: key phrases, names and acronyms with expansions, never numbers or dates."""

from __future__ import annotations

import os
from pathlib import Path

from bot.matching import load_topic
from bot.matching.seedterms import propose, render_yaml

DOC = (
    "On March 23 the National Narcotics Control Commission (NNCC) said drug trafficking "
    "rose. Drug trafficking in 2016 hit 9,000 tons. The Shanghai Cooperation Organization "
    "will help, said Wei Xiaojun. SCO members fight drug trafficking."
)


def test_acronyms_are_paired_with_their_expansions() -> None:
    """ "Long Name (ACR)" and a name whose initials spell a bare acronym are linked."""
    proposal = propose([("doc", DOC)])
    assert proposal.expansions["NNCC"] == "National Narcotics Control Commission"
    assert proposal.expansions["SCO"] == "Shanghai Cooperation Organization"


def test_key_phrases_are_counted_without_numbers_dates_or_names() -> None:
    """Repeated phrases are proposed with counts; numbers, months and names stay out."""
    proposal = propose([("doc", DOC)])
    assert proposal.phrases["drug trafficking"] == 3
    assert not any(ch.isdigit() for phrase in proposal.phrases for ch in phrase)
    assert not any("march" in phrase or "wei" in phrase for phrase in proposal.phrases)


def test_the_proposal_is_a_valid_topic_file(tmp_path: Path) -> None:
    """The YAML loads as a topic as it is, and comments carry the counts."""
    text = render_yaml(propose([("doc", DOC)]))
    assert '- "drug trafficking"  # 3' in text
    path = tmp_path / "proposed.yaml"
    path.write_text(text, encoding="utf-8")
    spec = load_topic(path, env=os.environ)
    names = [e.name for e in spec.entities.items]
    assert "National Narcotics Control Commission" in names
    assert "Wei Xiaojun" in names


def test_no_documents_still_give_valid_yaml(tmp_path: Path) -> None:
    """Even an empty document yields a topic skeleton that loads."""
    path = tmp_path / "empty.yaml"
    path.write_text(render_yaml(propose([("empty", "")])), encoding="utf-8")
    assert load_topic(path, env=os.environ).id == "new-topic"
