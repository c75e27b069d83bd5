"""YAML files -> plain data with `${VAR}` substituted and the line of every node (file:line)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from bot.errors import ConfigError, Problem

Loc = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_NODES = 100_000
"""Values in a file once aliases are expanded; a real config or topic file has a few thousand,
an alias bomb (each level naming the one before nine times) billions."""
MAX_DEPTH = 64
"""Nesting of mappings and lists; real files nest a few levels."""

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


@dataclass(frozen=True, slots=True)
class YamlDocument:
    """A parsed YAML file: its data and the 1-based line where each node starts."""

    path: str
    data: Any
    lines: Mapping[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Loc) -> int | None:
        """The line of the deepest node on `loc` that exists in the file."""
        for cut in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:cut]))
            if line is not None:
                return line
        return None


def substitute_env(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace `${VAR}` and `${VAR:-default}`; return the text and the names that were unset."""
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        value = env.get(name)
        if value is None or (value == "" and default is not None):
            if default is None:
                missing.append(name)
                return ""
            return default
        return value

    return _ENV_REF.sub(replace, text), missing


def parse_yaml(text: str, *, path: str, env: Mapping[str, str]) -> YamlDocument:
    """Parse YAML text; raise ConfigError naming every syntax, duplicate-key or env problem."""
    root = _compose_with_libyaml(text)
    if root is not None:
        try:
            return _document(root, path=path, env=env)
        except ConfigError:
            pass  # reported below as the pure-Python parser finds it, word for word
    root = _compose(text, path=path)
    if root is None:
        return YamlDocument(path=path, data=None, lines={})
    return _document(root, path=path, env=env)


def _compose_with_libyaml(text: str) -> yaml.Node | None:
    """The node tree by libyaml's parser (ten times faster: the default topic took 70 ms of
    every command's start), or None to leave the text to PyYAML's own parser: no libyaml, a
    document that is not a mapping or a list, any complaint, or characters the two take
    differently (libyaml allows a tab where PyYAML refuses it, e.g. after `key:`)."""
    loader_class = getattr(yaml, "CSafeLoader", None)
    if (
        loader_class is None
        or "\t" in text
        or "\ufeff" in text
        or _NON_PRINTABLE.search(text) is not None
    ):
        return None
    try:
        loader = loader_class(text)
        try:
            root: yaml.Node | None = loader.get_single_node()
        finally:
            loader.dispose()
    except Exception:  # PyYAML parses it again below and names the problem
        return None
    # A file of one scalar is no config; left to PyYAML (`---` alone ends a line apart).
    return root if isinstance(root, yaml.CollectionNode) else None


_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def _compose(text: str, *, path: str) -> yaml.Node | None:
    """The node tree by PyYAML's pure-Python parser; syntax errors as ConfigError."""
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a control character, checked before parsing
        where = text[: exc.position].count("\n") + 1
        raise ConfigError(
            [Problem(path, where, f"invalid YAML: character #x{exc.character:04x} is not allowed")]
        ) from exc
    try:
        root: yaml.Node | None = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ConfigError(
            [
                Problem(
                    path,
                    mark.line + 1 if mark is not None else None,
                    f"invalid YAML: {exc.problem or exc}",
                )
            ]
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(path, None, f"invalid YAML: {exc}")]) from exc
    except RecursionError as exc:  # PyYAML composes nested collections recursively
        raise ConfigError(
            [Problem(path, None, f"invalid YAML: nested more than {MAX_DEPTH} levels deep")]
        ) from exc
    finally:
        loader.dispose()
    return root


def _document(root: yaml.Node, *, path: str, env: Mapping[str, str]) -> YamlDocument:
    """Plain data from a node tree, with `${VAR}` substituted and the line of every node."""
    problems: list[Problem] = []
    lines: dict[Loc, int] = {}
    constructor = yaml.SafeLoader("")
    # An alias makes one node appear at several places: each is expanded, so the expansion is
    # bounded (an alias bomb), and a node that contains itself (`a: &a [*a]`) is refused.
    expanded = 0
    open_nodes: set[int] = set()

    def too_much(node: yaml.Node, message: str) -> ConfigError:
        return ConfigError([Problem(path, node.start_mark.line + 1, message)])

    def build(node: yaml.Node, loc: Loc) -> Any:
        nonlocal expanded
        expanded += 1
        if expanded > MAX_NODES:
            raise too_much(node, f"more than {MAX_NODES:,} values once aliases are expanded")
        if len(loc) > MAX_DEPTH:
            raise too_much(node, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.CollectionNode):
            if id(node) in open_nodes:
                raise too_much(node, "an alias refers to a node that contains it")
            open_nodes.add(id(node))
            try:
                return build_collection(node, loc)
            finally:
                open_nodes.discard(id(node))
        return build_scalar(node, loc)

    def build_collection(node: yaml.CollectionNode, loc: Loc) -> Any:
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = build(key_node, (*loc, "<key>"))
                if not isinstance(key, str | int):
                    problems.append(
                        Problem(path, key_node.start_mark.line + 1, "keys must be text")
                    )
                    continue
                if key in out:
                    line = key_node.start_mark.line + 1
                    problems.append(Problem(path, line, f"duplicate key {key!r}"))
                lines[(*loc, key)] = key_node.start_mark.line + 1
                out[key] = build(value_node, (*loc, key))
            lines.pop((*loc, "<key>"), None)
            return out
        return [build(child, (*loc, i)) for i, child in enumerate(node.value)]

    def build_scalar(node: yaml.Node, loc: Loc) -> Any:
        lines.setdefault(loc, node.start_mark.line + 1)
        value = constructor.construct_object(node, deep=True)
        if isinstance(value, str) and "${" in value:
            value, missing = substitute_env(value, env)
            for name in missing:
                problems.append(
                    Problem(
                        path,
                        node.start_mark.line + 1,
                        f"environment variable {name} is not set (use ${{{name}:-default}})",
                    )
                )
        return value

    try:
        data = build(root, ())
    except yaml.YAMLError as exc:
        raise ConfigError([Problem(path, None, f"invalid YAML: {exc}")]) from exc
    if problems:
        raise ConfigError(problems)
    return YamlDocument(path=path, data=data, lines=lines)


def read_yaml(path: Path, *, env: Mapping[str, str]) -> YamlDocument:
    """Read and parse a YAML file; a missing or unreadable file is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), None, f"cannot read file: {exc}")]) from exc
    return parse_yaml(text, path=str(path), env=env)


def describe_validation_error(error: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence naming the key."""
    loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    name = ".".join(str(part) for part in loc if not str(part).startswith("function-"))
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind == "extra_forbidden":
        return f"unknown key {name!r}"
    if kind == "missing":
        return f"missing required key {name!r}"
    return f"{name}: {message}" if name else message


def validate_document(model: type[ModelT], doc: YamlDocument, *, context: Any = None) -> ModelT:
    """Validate a document against a pydantic model; every error becomes a file:line Problem."""
    try:
        return model.model_validate(doc.data if doc.data is not None else {}, context=context)
    except ValidationError as exc:
        problems = [
            Problem(doc.path, doc.line_of(tuple(err["loc"])), describe_validation_error(err))
            for err in exc.errors()
        ]
        problems.sort(key=lambda problem: problem.line or 0)
        raise ConfigError(problems) from exc
