"""Reads the main config file: YAML -> Settings, with environment overrides and file:line errors."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.errors import ConfigError, Problem
from bot.settings.model import Settings
from bot.settings.yamlsource import YamlDocument, read_yaml, validate_document

# Environment variables that win over the file (SPEC 3.1/3.3), by the config key they replace.
_ENV_OVERRIDES = {
    "DATABASE_URL": ("database_url",),
    "TELEGRAM_API_BASE_URL": ("telegram", "api_base_url"),
    "TELEGRAM_BOT_TOKEN": ("telegram", "token"),
}


def apply_env_overrides(data: object, env: Mapping[str, str]) -> dict[str, object]:
    """A copy of the config data with DATABASE_URL & co. from the environment put in."""
    merged: dict[str, object] = dict(data) if isinstance(data, dict) else {}
    for variable, path in _ENV_OVERRIDES.items():
        value = env.get(variable)
        if not value:
            continue
        node = merged
        for key in path[:-1]:
            child = node.get(key)
            node[key] = dict(child) if isinstance(child, dict) else {}
            node = node[key]  # type: ignore[assignment]
        node[path[-1]] = value
    return merged


def resolve_topic_path(path: Path, config_file: Path) -> Path:
    """A relative topic path names a file from the working directory, else next to the config."""
    if path.is_absolute() or path.exists():
        return path
    beside = config_file.parent / path
    return beside if beside.exists() else path


def duplicate_source_names(doc: YamlDocument) -> list[Problem]:
    """Source names must be unique: they key the sources in the database."""
    sources = doc.data.get("sources") if isinstance(doc.data, dict) else None
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, source in enumerate(sources if isinstance(sources, list) else []):
        name = source.get("name") if isinstance(source, dict) else None
        if isinstance(name, str) and name in seen:
            line = doc.line_of(("sources", index, "name"))
            problems.append(Problem(doc.path, line, f"source name {name!r} is used twice"))
        if isinstance(name, str):
            seen.add(name)
    return problems


def read_settings(path: Path, *, env: Mapping[str, str]) -> tuple[Settings, YamlDocument]:
    """Settings and the parsed document (for locating later cross-file problems)."""
    doc = read_yaml(path, env=env)
    doc = YamlDocument(path=doc.path, data=apply_env_overrides(doc.data, env), lines=doc.lines)
    problems = duplicate_source_names(doc)
    try:
        settings = validate_document(Settings, doc)
    except ConfigError as exc:
        problems = sorted([*exc.problems, *problems], key=lambda p: p.line or 0)
        raise ConfigError(problems) from exc
    if problems:
        raise ConfigError(problems)
    topics = tuple(resolve_topic_path(topic, path) for topic in settings.topics)
    return settings.model_copy(update={"topics": topics}), doc


def load_settings(path: Path, *, env: Mapping[str, str]) -> Settings:
    """Validated settings from a config file, or ConfigError listing every problem."""
    return read_settings(path, env=env)[0]
