"""libyaml's parser, used when it can be, reads every file as PyYAML's own parser does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.settings.yamlsource import YamlDocument, _compose, _document, parse_yaml
from tests.fuzz.test_config_fuzz import yaml_texts

REPO = Path(__file__).resolve().parents[2]


def pure(text: str) -> YamlDocument | str:
    """The document (or the error) through PyYAML's pure-Python parser alone."""
    try:
        root = _compose(text, path="f.yaml")
        if root is None:
            return YamlDocument(path="f.yaml", data=None, lines={})
        return _document(root, path="f.yaml", env={"HOME": "/h"})
    except ConfigError as exc:
        return str(exc)


def chosen(text: str) -> YamlDocument | str:
    try:
        return parse_yaml(text, path="f.yaml", env={"HOME": "/h"})
    except ConfigError as exc:
        return str(exc)


def same(a: YamlDocument | str, b: YamlDocument | str) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return repr(a.data) == repr(b.data) and a.lines == b.lines  # repr: NaN equals itself


def test_libyaml_is_there() -> None:
    """The image's PyYAML has libyaml, or every start pays 70 ms for the topic file."""
    assert hasattr(yaml, "CSafeLoader")


@pytest.mark.parametrize(
    "path",
    sorted(p.relative_to(REPO) for p in (REPO / "config").rglob("*.yaml")),
    ids=str,
)
def test_bundled_files_read_the_same(path: Path) -> None:
    """The bundled config and topic files: the same values at the same lines."""
    text = (REPO / path).read_text(encoding="utf-8")
    assert same(chosen(text), pure(text))


@settings(max_examples=300)
@given(
    yaml_texts
    | st.sampled_from(
        [
            "a: 1\nb: x\x1fy\n",
            "\ufeffa: 1\n",
            "a: 1\n\ufeffb: 2\n",
            "a: " + "[" * 100 + "]" * 100,
            "a: &a [*a]\n",
            "a:\tb\n",
            "a: 1\n\x85b: 2\u2028c: 3\n",
            "k: 'x\u2029y'\n",
            "- a\n-b\n",
            "%YAML 1.1\n---\na: 1\n",
            "a: ${HOME}\nb: ${UNSET}\n",
            "a: 1\na: 2\n",
            "",
            "---",
            "- a\n-",
            "# only a comment\n",
        ]
    )
)
def test_any_text_reads_the_same(text: str) -> None:
    """Random documents and YAML-ish noise: the same values and lines, or the same error."""
    assert same(chosen(text), pure(text))
