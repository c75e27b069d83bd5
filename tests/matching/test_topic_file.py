"""The default topic file loads, every term is traceable, and bad topic files are reported."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.matching import TopicSpec, load_topic, load_topics
from tests.matching.conftest import DEFAULT_TOPIC

TRACE = re.compile(r"#.*\[(S1|S2|S1~|S2~|F)\]")


def test_default_topic_loads(topic: TopicSpec) -> None:
    """The bundled topic validates and names the required groups in three languages."""
    assert topic.id == "drug-control-cooperation"
    assert 0 < topic.threshold < 1
    assert set(topic.required) == {"drugs", "cooperation"}
    for group in topic.required:
        assert {"en", "zh", "ru"} <= set(topic.groups[group].terms)


def test_every_term_of_the_default_topic_says_where_it_comes_from() -> None:
    """Each term line under groups/exclusions carries a [S1]/[S2]/[S1~]/[S2~]/[F] comment."""
    lines = DEFAULT_TOPIC.read_text(encoding="utf-8").splitlines()
    in_terms = False
    untraced = []
    for number, line in enumerate(lines, start=1):
        if line.startswith(("groups:", "exclusions:")):
            in_terms = True
        elif line.startswith("entities:"):
            in_terms = False
        if in_terms and line.strip().startswith("- ") and not TRACE.search(line):
            untraced.append(f"{number}: {line.strip()}")
    assert untraced == []


def test_every_entity_of_the_default_topic_says_where_it_comes_from() -> None:
    """Each entity's `name:` line carries a traceability comment too."""
    text = DEFAULT_TOPIC.read_text(encoding="utf-8").split("\nentities:", 1)[1]
    names = [line for line in text.splitlines() if line.strip().startswith("- name:")]
    assert names
    assert [line for line in names if not TRACE.search(line)] == []


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "topic.yaml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """\
id: t
title: T
threshold: 0.5
groups:
  a:
    weight: 0.5
    terms: {en: [alpha]}
"""


def test_a_minimal_topic_loads(tmp_path: Path) -> None:
    """A topic needs only an id, a title, a threshold and one group."""
    spec = load_topic(write(tmp_path, GOOD), env={})
    assert (spec.id, spec.title, spec.threshold) == ("t", "T", 0.5)


def test_every_problem_is_reported_with_file_and_line(tmp_path: Path) -> None:
    """Unknown groups, bad regexes, wildcards and a threshold out of range: all at once."""
    path = write(
        tmp_path,
        """\
id: t
title: T
threshold: 0.5
required: [a, nope]
groups:
  a:
    weight: 0.5
    terms:
      en:
        - alpha
        - {regex: "(unclosed"}
        - "*beta"
      zh: ["禁毒*"]
entities:
  items:
    - name: X
      type: organisation
      groups: [missing]
      aliases: {en: [x]}
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_topic(path, env={})
    rendered = [str(p) for p in caught.value.problems]
    assert any(r.startswith(f"{path}:4: required group 'nope'") for r in rendered)
    assert any(r.startswith(f"{path}:11: regex") for r in rendered)
    assert any(r.startswith(f"{path}:12: ") and "end of a word" in r for r in rendered)
    assert any(r.startswith(f"{path}:13: ") and "Chinese" in r for r in rendered)
    assert any(r.startswith(f"{path}:18: entity 'X' names unknown group") for r in rendered)


def test_schema_errors_name_their_line(tmp_path: Path) -> None:
    """A threshold outside [0, 1] and an unknown key are pydantic problems with lines."""
    path = write(tmp_path, GOOD.replace("threshold: 0.5", "threshold: 1.5\ncolour: red"))
    with pytest.raises(ConfigError) as caught:
        load_topic(path, env={})
    rendered = [str(p) for p in caught.value.problems]
    assert f"{path}:3: threshold: threshold must be between 0 and 1, not 1.5" in rendered
    assert f"{path}:4: unknown key 'colour'" in rendered


def test_duplicate_topic_ids_across_files_are_an_error(tmp_path: Path) -> None:
    """Two files with one id: the second is named in the error."""
    first = write(tmp_path, GOOD)
    second = tmp_path / "again.yaml"
    second.write_text(GOOD, encoding="utf-8")
    with pytest.raises(ConfigError, match="also used by"):
        load_topics([first, second], env=os.environ)


def test_the_example_in_the_topic_docs_loads(tmp_path: Path) -> None:
    """The full example in docs/topics.md is a valid topic file."""
    docs = (DEFAULT_TOPIC.parents[2] / "docs" / "topics.md").read_text(encoding="utf-8")
    example = next(
        block.split("```", 1)[0] for block in docs.split("```yaml\n")[1:] if "threshold:" in block
    )
    spec = load_topic(write(tmp_path, example), env={})
    assert spec.required == ("drugs", "cooperation")
    assert spec.entities.items[1].country == "US"


def test_an_unknown_actor_group_is_reported_with_its_line(tmp_path: Path) -> None:
    """`cross_border.actor_group` must name a group of the topic."""
    path = write(tmp_path, GOOD + "cross_border:\n  actor_group: nope\n  actor_evidence: 1.0\n")
    with pytest.raises(ConfigError) as caught:
        load_topic(path, env={})
    rendered = [str(p) for p in caught.value.problems]
    assert any(r.startswith(f"{path}:9: cross_border actor_group 'nope'") for r in rendered)
