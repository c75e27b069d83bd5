"""The whole configuration: main settings plus topic files, cross-checked, every problem at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ConfigError, Problem
from bot.matching import TopicSpec, load_topic
from bot.settings import Settings, read_settings


@dataclass(frozen=True, slots=True)
class Configuration:
    """Validated settings and the topics they name."""

    path: Path
    settings: Settings
    topics: tuple[TopicSpec, ...]

    @property
    def topic_ids(self) -> tuple[str, ...]:
        return tuple(topic.id for topic in self.topics)


def load_configuration(path: Path, *, env: Mapping[str, str]) -> Configuration:
    """Read the main config and every topic file; raise one ConfigError listing all problems."""
    settings, doc = read_settings(path, env=env)
    problems: list[Problem] = []
    topics: list[TopicSpec] = []
    if not settings.topics:
        problems.append(Problem(doc.path, doc.line_of(("topics",)), "no topic files listed"))
    for index, topic_path in enumerate(settings.topics):
        if not topic_path.is_file():
            line = doc.line_of(("topics", index))
            problems.append(Problem(doc.path, line, f"topic file {str(topic_path)!r} not found"))
            continue
        try:
            topics.append(load_topic(topic_path, env=env))
        except ConfigError as exc:
            problems.extend(exc.problems)
    seen: dict[str, Path] = {}
    for topic_path, topic in zip(settings.topics, topics, strict=False):
        if topic.id in seen:
            problems.append(
                Problem(
                    str(topic_path), None, f"topic id {topic.id!r} is also used by {seen[topic.id]}"
                )
            )
        seen.setdefault(topic.id, topic_path)
    if topics and len(topics) == len(settings.topics):
        known = {topic.id for topic in topics}
        for index, source in enumerate(settings.sources):
            for topic_id in source.topics or ():
                if topic_id not in known:
                    line = doc.line_of(("sources", index, "topics"))
                    problems.append(
                        Problem(
                            doc.path,
                            line,
                            f"source {source.name!r} names unknown topic {topic_id!r} "
                            f"(known: {', '.join(sorted(known))})",
                        )
                    )
    if problems:
        raise ConfigError(problems)
    return Configuration(path=path, settings=settings, topics=tuple(topics))
