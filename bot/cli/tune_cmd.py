"""`narcowatch tune`: fit a topic's numbers to labelled items and feedback; rewrite its file."""

from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.common import config_option, config_path, exits_on_bad_input
from bot.cli.matching_cmds import read_labelled
from bot.errors import ConfigError, InputError, Problem

if TYPE_CHECKING:
    from datetime import datetime

    from bot.matching.evaluate import Confusion, Labelled
    from bot.matching.spec import TopicSpec
    from bot.matching.tune import TuneResult
    from bot.settings import Settings
    from bot.settings.yamlsource import YamlDocument

MIN_ITEMS = 10


@dataclass(frozen=True)
class TopicFile:
    """A topic file as read once: its text, the document parsed from it, the topic it gives."""

    path: Path
    text: str
    doc: YamlDocument
    spec: TopicSpec


def topic_file(settings: Settings, topic_id: str | None, *, model: bool = True) -> TopicFile:
    """The chosen topic's file (default: the first), read once: the spec, the line map and the
    text a later rewrite starts from all come from the same bytes. With `model=False` its
    text model is not read."""
    from bot.matching.loader import rules_of, topic_from_document
    from bot.settings.yamlsource import parse_yaml

    known = []
    for path in settings.topics:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError([Problem(str(path), None, f"cannot read file: {exc}")]) from exc
        doc = parse_yaml(text, path=str(path), env=os.environ)
        spec = topic_from_document(doc) if model else rules_of(doc)
        if topic_id is None or spec.id == topic_id:
            return TopicFile(path, text, doc, spec)
        known.append(spec.id)
    raise InputError(f"unknown topic {topic_id!r} (topics in the config: {', '.join(known)})")


def feedback_rows(
    settings: Settings, topic: str, *, since: datetime | None = None
) -> list[Labelled]:
    """Subscribers' Relevant / Not relevant verdicts on the topic's alerts, and the items they
    reported missed (`/missed`, relevant), as labelled items (with `since`: those given since
    then)."""
    from bot.matching.evaluate import Labelled
    from bot.storage import open_store
    from bot.storage.history import judged_items

    store = open_store(settings.database_url)
    try:
        judged = judged_items(store.engine, topic=topic, since=since)
    finally:
        store.close()
    return [
        Labelled(f"feedback:{j.key}", j.item.lang or "unknown", int(j.relevant), j.item)
        for j in judged
    ]


def _line(c: Confusion) -> str:
    return f"{c.precision:9.3f} {c.recall:7.3f} {c.f1:6.3f}"


def format_result(result: TuneResult, *, sources: str) -> str:
    """Before and cross-validated after per language, then the suggested numbers."""
    before, after = result.before, result.after
    columns = f"{'precision':>9} {'recall':>7} {'f1':>6}"
    header = f"{'':<8} {columns}   {columns}"

    def row(name: str, b: Confusion, a: Confusion) -> str:
        return f"{name:<8} {_line(b)}   {_line(a)}"

    lines = [
        f"topic: {result.topic}; {result.items} labelled items ({sources}); "
        f"{result.folds}-fold cross-validation",
        f"{'':<8} {'before (current numbers)':>24}   {'after (cross-validated)':>24}",
        header,
        *(row(lang, before.by_lang[lang], after.by_lang[lang]) for lang in before.by_lang),
        row("overall", before.overall, after.overall),
        "",
        textwrap.fill(
            f"tuned: threshold, {', '.join(k.name for k in result.knobs) or 'nothing else'}",
            width=100,
            subsequent_indent="  ",
        ),
    ]
    if not result.changes:
        lines.append(
            "no change suggested: cross-validation finds no gain over the current numbers"
            if result.gain <= 0
            else "no change suggested"
        )
    else:
        lines.append(
            f"suggested (fitted on all items; mean F1 over languages "
            f"{result.gain:+.3f} cross-validated):"
        )
        width = max(len(c.knob.name) for c in result.changes)
        lines += [
            f"  {c.knob.name:<{width}}  {c.knob.value:g} -> {c.new:g}" for c in result.changes
        ]
    return "\n".join(lines)


@click.command("tune")
@click.argument("sources", nargs=-1, metavar="FILE...")
@click.option("--feedback", is_flag=True, help="Also fit to subscribers' stored verdicts.")
@click.option("--topic", "topic_id", default=None, help="Topic to tune (default: the first).")
@click.option("--write", is_flag=True, help="Rewrite the topic file's numbers (comments kept).")
@config_option
@exits_on_bad_input
def tune(
    sources: tuple[str, ...],
    feedback: bool,
    topic_id: str | None,
    write: bool,
    config_file: str | None,
) -> None:
    """Fit a topic's threshold, weights and bonuses to labelled items by cross-validation."""
    from bot.matching.topic_edit import rewrite_numbers
    from bot.matching.tune import tune as fit
    from bot.settings import load_settings

    if not sources:
        # Verdicts judge alerts and report misses, but nobody marks the unrelated items that
        # matched nothing: fitted to them alone, a threshold only ever goes down.
        raise InputError(
            "tune needs FILE... of labelled items (--feedback adds subscribers' verdicts to "
            "them; alone they would pull the threshold down, since nobody marks the unrelated "
            "items nothing matched: `narcowatch train --feedback` learns from them alone)"
        )
    settings = load_settings(config_path(config_file), env=os.environ)
    topic = topic_file(settings, topic_id)
    rows = [row for source in sources for row in read_labelled(source)]
    judged = feedback_rows(settings, topic.spec.id) if feedback else []
    rows += judged
    positives = sum(row.label for row in rows)
    if len(rows) < MIN_ITEMS or positives < 2 or len(rows) - positives < 2:
        raise InputError(
            f"tune needs at least {MIN_ITEMS} labelled items with two or more of each label "
            f"(got {len(rows)}: {positives} relevant, {len(rows) - positives} not)"
        )
    described = f"{len(rows) - len(judged)} from files, {len(judged)} from feedback"
    result = fit(topic.spec, rows, set(topic.doc.lines), progress=lambda m: click.echo(m, err=True))
    click.echo(format_result(result, sources=described))
    if not write:
        if result.changes:
            click.echo(f"not written; --write rewrites {topic.path}")
        return
    if not result.changes:
        return
    changed = rewrite_numbers(
        topic.text,
        topic.doc.lines,
        {c.knob.loc: c.new for c in result.changes},
        path=str(topic.path),
    )
    write_rewritten(topic, changed)
    click.echo(f"wrote {len(result.changes)} numbers to {topic.path}")


def write_rewritten(topic: TopicFile, changed: str) -> None:
    """Replace the topic file with `changed`, or leave it exactly as it is.

    Refused, nothing written, when the new text does not load as a topic (ConfigError), or
    when the file no longer holds the text tune read (InputError): an edit made during the fit
    wins, since the numbers were placed by the old text's lines. The file is replaced whole (a
    temporary file renamed over it), so a failed write (a full disk) leaves the original.
    """
    from bot.cli.file_writes import not_written, replace_file
    from bot.matching.loader import topic_from_document
    from bot.settings.yamlsource import parse_yaml

    path = topic.path
    try:
        topic_from_document(parse_yaml(changed, path=str(path), env=os.environ))
    except ConfigError as exc:
        why = "not written: with the new numbers the topic would not load"
        raise ConfigError([Problem(str(path), None, why), *exc.problems]) from exc
    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not written: cannot read it again: {exc}") from exc
    if current != topic.text:
        raise InputError(
            f"{path}: not written: the file changed while tune was running; "
            "run tune again on the file as it is now"
        )
    try:
        replace_file(path, changed.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: not written, the file is unchanged: {not_written(exc)}") from exc
