"""Hostile YAML (alias bombs, self-containing aliases, deep nesting) gives file:line errors fast."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings.yamlsource import MAX_NODES, parse_yaml


def alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels):
        refs = ", ".join([f"*a{n - 1}"] * 9)
        lines.append(f"a{n}: &a{n} [{refs}]")
    return "\n".join(lines) + "\n"


def problem_of(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, path="bad.yaml", env={})
    (problem,) = caught.value.problems
    return str(problem)


def test_alias_bomb_is_refused_with_a_line() -> None:
    """Nine levels of nine aliases (387 million values) stop at the expansion bound."""
    message = problem_of(alias_bomb(9))
    assert message.startswith("bad.yaml:")
    assert f"more than {MAX_NODES:,} values once aliases are expanded" in message


def test_a_few_aliases_still_work() -> None:
    """Ordinary anchors and aliases (a shared list reused) are expanded as before."""
    doc = parse_yaml("base: &b [1, 2]\nother: *b\nthird: {k: *b}\n", path="ok.yaml", env={})
    assert doc.data == {"base": [1, 2], "other": [1, 2], "third": {"k": [1, 2]}}


@pytest.mark.parametrize(
    "text", ["a: &a [*a]\n", "x: 1\nb: &b {c: *b}\n", "top:\n  - &l [1, [2, *l]]\n"]
)
def test_self_containing_alias_is_a_file_line_error(text: str) -> None:
    """`a: &a [*a]` is reported at its line instead of raising RecursionError."""
    message = problem_of(text)
    assert message.startswith("bad.yaml:")
    assert "an alias refers to a node that contains it" in message


@pytest.mark.parametrize("depth", [100, 600])
def test_deep_nesting_is_a_clear_error(depth: int) -> None:
    """Lists nested far deeper than any config are refused, never a RecursionError."""
    message = problem_of("a: " + "[" * depth + "]" * depth + "\n")
    assert "nested more than 64 levels deep" in message


def test_control_character_is_a_file_line_error() -> None:
    """A control character (found by fuzzing) is reported at its line, not as a traceback."""
    message = problem_of("a: 1\nb: x\x1fy\n")
    assert message == "bad.yaml:2: invalid YAML: character #x001f is not allowed"
