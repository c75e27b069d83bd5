"""Reads a topic file: YAML -> TopicSpec, with every problem reported as file:line at once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import re2

from bot.errors import ConfigError, Problem
from bot.matching.compiler import is_cjk
from bot.matching.model_info import model_summary, recorded_time
from bot.matching.normalize import fold
from bot.matching.spec import ModelSpec, TermSpec, TopicSpec
from bot.matching.textmodel import ModelFileError, decode
from bot.settings.yamlsource import Loc, YamlDocument, read_yaml, validate_document


def load_topic(path: Path, *, env: Mapping[str, str]) -> TopicSpec:
    """A validated topic with its text model's numbers read, or ConfigError naming every
    problem with its file and line."""
    return topic_from_document(read_yaml(path, env=env))


def topic_from_document(doc: YamlDocument) -> TopicSpec:
    """The validated topic of a parsed topic file, its text model (a file beside it) read, or
    ConfigError naming every problem."""
    return with_model(rules_of(doc), doc)


def rules_of(doc: YamlDocument) -> TopicSpec:
    """The validated topic of a parsed topic file, its text model not read (`train` makes a
    new one whatever state the old file is in)."""
    spec = validate_document(TopicSpec, doc)
    problems = check_topic(spec, doc)
    if problems:
        raise ConfigError(problems)
    return spec


def with_model(spec: TopicSpec, doc: YamlDocument) -> TopicSpec:
    """The topic with its text model's numbers read from the file it names (ConfigError
    naming the `model.file` line when the file is missing, changed or not a model)."""
    if spec.model is None:
        return spec
    model_path = model_file(Path(doc.path), spec.model)
    try:
        data = model_path.read_bytes()
        if spec.model.sha256 is not None and hashlib.sha256(data).hexdigest() != spec.model.sha256:
            raise ModelFileError(
                "its sha256 differs from the one this topic names (the file changed since "
                "`narcowatch train --write` wrote it): train again, or remove `sha256`"
            )
        loaded = decode(data)
    except (OSError, ModelFileError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        line = doc.line_of(("model", "file"))
        raise ConfigError([Problem(doc.path, line, f"model file {model_path}: {reason}")]) from exc
    return spec.model_copy(update={"model": spec.model.model_copy(update={"loaded": loaded})})


def model_file(topic_path: Path, model: ModelSpec) -> Path:
    """Where a topic's model file is: relative to the topic file's folder."""
    return topic_path.parent / model.file


def models_trained_at(
    topic_paths: Sequence[Path], *, env: Mapping[str, str]
) -> dict[str, datetime]:
    """When each topic's text model was trained (see `trained_at`), read from the topic files
    alone: a model file that no longer loads still has its date."""
    found: dict[str, datetime] = {}
    for path in topic_paths:
        try:
            spec = rules_of(read_yaml(path, env=env))
        except ConfigError:
            continue
        at = trained_at(path, spec.model) if spec.model is not None else None
        if at is not None:
            found[spec.id] = at
    return found


def model_record(topic_path: Path, model: ModelSpec) -> dict[str, Any]:
    """The record `train --write` writes beside a topic's model (`TOPIC.model.json`: when,
    from what, with which figures); empty when it is missing or unreadable, since nothing
    that scores depends on it."""
    record = model_file(topic_path, model).with_suffix(".json")
    try:
        found = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def trained_at(topic_path: Path, model: ModelSpec) -> datetime | None:
    """When a topic's text model was trained, from its record; None without a readable date.
    The verdicts given since are the ones it has not learnt."""
    return recorded_time(model_record(topic_path, model).get("trained_at"))


def model_description(topic_path: Path, spec: TopicSpec) -> tuple[str, str] | None:
    """What the topic's text model is and where it came from, read from the record beside it
    (bot.matching.model_info.model_summary); None when the topic has none."""
    if spec.model is None:
        return None
    return model_summary(spec, model_record(topic_path, spec.model))


def _all_terms(spec: TopicSpec) -> Iterator[tuple[Loc, TermSpec]]:
    for name, group in spec.groups.items():
        for lang, terms in group.terms.items():
            for i, term in enumerate(terms):
                yield ("groups", name, "terms", lang, i), term
    for lang, terms in spec.exclusions.terms.items():
        for i, term in enumerate(terms):
            yield ("exclusions", "terms", lang, i), term
    for e, entity in enumerate(spec.entities.items):
        for lang, terms in entity.aliases.items():
            for i, term in enumerate(terms):
                yield ("entities", "items", e, "aliases", lang, i), term


def term_problem(term: TermSpec) -> str | None:
    """What is wrong with one term, if anything (beyond what the schema checks)."""
    if term.regex is not None:
        try:
            re2.compile(term.regex)
        except re2.error as exc:
            return f"regex {term.regex!r} does not compile (RE2 syntax): {exc}"
        return None
    text = term.term or ""
    if not fold(text).strip(" *'.,"):
        return f"{text!r}: a term needs letters or digits"
    if "*" not in text:
        return None
    if is_cjk(text):
        return f"{text!r}: Chinese terms match inside words already; drop the '*'"
    if term.match_case:
        return f"{text!r}: a wildcard term cannot be `match_case`"
    if any(word.startswith("*") or "*" in word.rstrip("*") for word in text.split()):
        return f"{text!r}: '*' goes at the end of a word (наркотик*), never at its start"
    return None


def check_topic(spec: TopicSpec, doc: YamlDocument) -> list[Problem]:
    """Problems the schema cannot see: unknown group names, bad regexes and wildcards."""
    problems: list[Problem] = []

    def problem(loc: Loc, message: str) -> None:
        problems.append(Problem(doc.path, doc.line_of(loc), message))

    known = ", ".join(spec.groups)
    for i, name in enumerate(spec.required):
        if name not in spec.groups:
            problem(("required", i), f"required group {name!r} is not defined (groups: {known})")
    for i, name in enumerate(spec.cross_border.groups):
        if name not in spec.groups:
            problem(
                ("cross_border", "groups", i),
                f"cross_border group {name!r} is not defined (groups: {known})",
            )
    actor_group = spec.cross_border.actor_group
    if actor_group is not None and actor_group not in spec.groups:
        problem(
            ("cross_border", "actor_group"),
            f"cross_border actor_group {actor_group!r} is not defined (groups: {known})",
        )
    fed = {g for entity in spec.entities.items for g in entity.groups}
    for e, entity in enumerate(spec.entities.items):
        for i, name in enumerate(entity.groups):
            if name not in spec.groups:
                problem(
                    ("entities", "items", e, "groups", i),
                    f"entity {entity.name!r} names unknown group {name!r} (groups: {known})",
                )
        for name in entity.mandate:
            if name not in spec.groups:
                problem(
                    ("entities", "items", e, "mandate", name),
                    f"entity {entity.name!r} mandate names unknown group {name!r} "
                    f"(groups: {known})",
                )
        if not entity.aliases:
            problem(("entities", "items", e), f"entity {entity.name!r} has no aliases")
    for name, group in spec.groups.items():
        if not any(group.terms.values()) and name not in fed:
            problem(("groups", name), f"group {name!r} has no terms and no entity adds to it")
    for loc, term in _all_terms(spec):
        message = term_problem(term)
        if term.regex is not None and loc[0] == "entities":
            message = "entity aliases are literal names; regex aliases are not supported"
        if message is not None:
            problem(loc, message)
    problems.sort(key=lambda p: p.line or 0)
    return problems


def load_topics(paths: Sequence[Path], *, env: Mapping[str, str]) -> list[TopicSpec]:
    """Every topic file, with the problems of all files reported together; ids are unique."""
    specs: list[TopicSpec] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            spec = load_topic(path, env=env)
        except ConfigError as exc:
            problems += exc.problems
            continue
        if spec.id in seen:
            problems.append(
                Problem(str(path), None, f"topic id {spec.id!r} is also used by {seen[spec.id]}")
            )
            continue
        seen[spec.id] = path
        specs.append(spec)
    if problems:
        raise ConfigError(problems)
    return specs
