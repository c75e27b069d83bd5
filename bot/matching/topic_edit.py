"""Rewrites numbers of a topic file in place: every other byte (comments, terms) stays as it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import partial

from bot.errors import ConfigError, Problem

Loc = tuple[str | int, ...]

_NUMBER = r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"


def format_number(value: float) -> str:
    """0.35, 0.5, 1.0: the shortest form that still reads as a float."""
    text = f"{value:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def rewrite_numbers(
    text: str, lines: Mapping[Loc, int], changes: Mapping[Loc, float], *, path: str
) -> str:
    """`text` with the number at each changed location replaced.

    `lines` maps a location to the 1-based line of its key (bot.settings.yamlsource). The
    number must follow its key on that line exactly once (`weight: 0.5`, also inside a flow
    mapping); anything else is refused rather than guessed.
    """
    out = text.splitlines(keepends=True)
    problems: list[Problem] = []
    for loc, value in changes.items():
        line = lines.get(loc)
        key = loc[-1]
        if line is None or not isinstance(key, str):
            problems.append(Problem(path, None, f"{'.'.join(map(str, loc))} is not in the file"))
            continue
        pattern = re.compile(rf"(?<![\w-])({re.escape(key)}\s*:\s*)({_NUMBER})(?![\w.])( +(?=#))?")
        found = pattern.findall(out[line - 1])
        if len(found) != 1:
            problems.append(
                Problem(path, line, f"cannot rewrite {key!r} here: expected one `{key}: number`")
            )
            continue
        out[line - 1] = pattern.sub(partial(_replace, value=value), out[line - 1], count=1)
    if problems:
        raise ConfigError(problems)
    return "".join(out)


def _replace(match: re.Match[str], *, value: float) -> str:
    """The key and new number; a comment after it keeps its column when there is room."""
    number = format_number(value)
    gap = match.group(3)
    if gap is not None:
        gap = " " * max(1, len(gap) + len(match.group(2)) - len(number))
    return match.group(1) + number + (gap or "")


def set_model(
    text: str, lines: Mapping[Loc, int], *, file: str, weight: float, sha256: str, path: str
) -> str:
    """`text` naming a text model: the `model:` section's weight and checksum replaced, or the
    section appended when the topic has none. Every other byte stays."""
    if ("model",) not in lines:
        block = (
            "\n# The text model blended with the rules (`narcowatch train --write` writes the\n"
            "# file and these numbers; docs/topics.md explains the blend).\n"
            f"model:\n  file: {file}\n  weight: {format_number(weight)}\n  sha256: {sha256}\n"
        )
        return text + ("" if text.endswith("\n") else "\n") + block
    if lines.get(("model", "file")) is None:
        raise ConfigError([Problem(path, lines[("model",)], "model: has no `file:` to keep")])
    if lines[("model", "file")] == lines[("model",)]:
        raise ConfigError(
            [Problem(path, lines[("model",)], "write `model:` as a block, one key a line")]
        )
    changes: dict[Loc, float] = {}
    if ("model", "weight") in lines:
        changes[("model", "weight")] = weight
    out = rewrite_numbers(text, lines, changes, path=path).splitlines(keepends=True)
    digest_line = lines.get(("model", "sha256"))
    if digest_line is not None:
        pattern = re.compile(r"(?<![\w-])(sha256\s*:\s*)([0-9a-fA-F]{64}|null|~|\"[0-9a-f]*\")")
        if len(pattern.findall(out[digest_line - 1])) != 1:
            raise ConfigError(
                [Problem(path, digest_line, "cannot rewrite 'sha256' here: expected one value")]
            )
        out[digest_line - 1] = pattern.sub(lambda m: m.group(1) + sha256, out[digest_line - 1])
    else:
        at = lines[("model", "file")] - 1
        indent = out[at][: len(out[at]) - len(out[at].lstrip())]
        out.insert(at + 1, f"{indent}sha256: {sha256}\n")
    if ("model", "weight") not in lines:
        at = lines[("model", "file")] - 1
        indent = out[at][: len(out[at]) - len(out[at].lstrip())]
        out.insert(at + 1, f"{indent}weight: {format_number(weight)}\n")
    return "".join(out)
