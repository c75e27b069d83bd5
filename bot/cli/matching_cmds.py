"""Matcher commands: score, eval, seed-terms (and backtest, which waits for the store)."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import click

from bot.cli.common import (
    EXIT_BAD_INPUT,
    config_option,
    config_path,
    exits_on_bad_input,
)
from bot.errors import InputError, Problem

if TYPE_CHECKING:
    from bot.matching import Matcher
    from bot.matching.evaluate import Labelled
    from bot.matching.scoreio import InputRow

STDIN = "-"


def load_matcher(config_file: str | None, topic_id: str | None) -> Matcher:
    """The topics named by the main config (or just `topic_id`), compiled."""
    from bot.matching import compile_topics, load_topics
    from bot.settings import load_settings

    settings = load_settings(config_path(config_file), env=os.environ)
    topics = load_topics(list(settings.topics), env=os.environ)
    if topic_id is not None:
        chosen = [t for t in topics if t.id == topic_id]
        if not chosen:
            known = ", ".join(t.id for t in topics) or "none"
            raise InputError(f"unknown topic {topic_id!r} (topics in the config: {known})")
        topics = chosen
    if not topics:
        raise InputError("the config lists no topics")
    return compile_topics(topics)


@contextmanager
def source_lines(source: str) -> Iterator[tuple[Iterator[str], str]]:
    """(lines, name for messages) of a file, or of stdin for '-', read as they are used: each
    with its newline (any line end read as one). A file that turns out not to be UTF-8 stops
    at the line that is not, as an InputError."""
    name = "<stdin>" if source == STDIN else source
    try:
        stream = sys.stdin if source == STDIN else open(source, encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc}") from exc
    try:
        yield _decoded(stream, name), name
    finally:
        if stream is not sys.stdin:
            stream.close()


def _decoded(stream: TextIO, name: str) -> Iterator[str]:
    try:
        yield from stream
    except (UnicodeDecodeError, OSError) as exc:
        raise InputError(f"{name}: cannot read: {exc}") from exc


def read_source(source: str) -> tuple[str, str]:
    """(text, name for messages) of a file, or of stdin for '-'."""
    if source == STDIN:
        return sys.stdin.read(), "<stdin>"
    try:
        return Path(source).read_text(encoding="utf-8"), source
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{source}: cannot read: {exc}") from exc


def report(problems: list[Problem]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


@click.command("score")
@config_option
@click.option("--topic", "topic_id", default=None, help="Score one topic only (default: all).")
@click.option("--skip-bad", is_flag=True, help="Skip bad lines (still reported on stderr).")
@click.argument("source", default=STDIN, required=False, metavar="[FILE or -]")
@exits_on_bad_input
def score(config_file: str | None, topic_id: str | None, skip_bad: bool, source: str) -> None:
    """Score items (JSON Lines, or one plain-text item) against the topics; JSON Lines out."""
    from bot.matching.scoreio import InputRow, iter_input

    matcher = load_matcher(config_file, topic_id)
    problems: list[Problem] = []
    out = sys.stdout
    # Parsing and scoring make no reference cycles (tests/matching/test_fast_paths.py), so
    # the cycle collector would only walk the input again and again (5% of the time).
    gc.disable()
    try:
        with source_lines(source) as (lines, name):
            batch: list[InputRow] = []
            for row in iter_input(lines, source=name):
                if not isinstance(row, InputRow):
                    problems.append(row)
                    report([row])
                    continue
                batch.append(row)
                if len(batch) == SCORE_BATCH:
                    write_scores(out, batch, matcher)
                    batch = []
            write_scores(out, batch, matcher)
    finally:
        gc.enable()
    out.flush()
    if problems and not skip_bad:
        sys.exit(EXIT_BAD_INPUT)


SCORE_BATCH = 64
"""Items scored together: a topic's text model reads them in one go."""


def write_scores(out: TextIO, rows: list[InputRow], matcher: Matcher) -> None:
    """One JSON line per row and topic, in order."""
    from bot.matching.scoreio import score_line

    scored = matcher.score_many([row.item for row in rows])
    for row, scores in zip(rows, scored, strict=True):
        for topic_score in scores:
            out.write(score_line(row.id, topic_score) + "\n")


@click.command("eval")
@click.argument("source", metavar="FILE", required=False)
@click.option("--topic", "topic_id", default=None, help="Topic to judge (default: the first).")
@click.option(
    "--feedback",
    is_flag=True,
    help="Precision from subscribers' Relevant / Not relevant buttons instead of a FILE.",
)
@config_option
@exits_on_bad_input
def eval_items(
    source: str | None, topic_id: str | None, feedback: bool, config_file: str | None
) -> None:
    """Precision, recall and F1 (per language and overall) for items labelled 0/1."""
    from bot.matching.evaluate import evaluate, format_report

    if feedback:
        report_feedback(config_file, topic_id)
        return
    if source is None:
        raise InputError("eval needs a FILE of labelled items (or --feedback)")

    matcher = load_matcher(config_file, topic_id)
    topic = topic_id or matcher.topic_ids[0]
    rows = read_labelled(source)
    scored = ((row, matcher.score_for(row.item, topic)) for row in rows)
    click.echo(format_report(evaluate(scored, topic=topic)))


def read_labelled(source: str) -> list[Labelled]:
    """Labelled items (`"label": 0/1`) of a JSON Lines file; every bad line reported, exit 2."""
    text, name = read_source(source)
    return parse_labelled(text, name)


def read_bytes(source: str) -> tuple[bytes, str]:
    """(bytes, name for messages) of a file, or of stdin for '-', read once: what a command
    records of its input (size, checksum) is then what it read."""
    if source == STDIN:
        return sys.stdin.buffer.read(), "<stdin>"
    try:
        return Path(source).read_bytes(), source
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc}") from exc


def parse_labelled(text: str, name: str) -> list[Labelled]:
    """Labelled items of JSON Lines text; every bad line reported, exit 2."""
    from bot.matching.evaluate import Labelled
    from bot.matching.scoreio import InputRow, json_lines, parse_line

    rows: list[Labelled] = []
    problems: list[Problem] = []
    for number, line in enumerate(json_lines(text), start=1):
        if not line.strip():
            continue
        row = parse_line(line, number, source=name)
        if not isinstance(row, InputRow):
            problems.append(row)
            continue
        label = row.raw.get("label")
        if label not in (0, 1) or isinstance(label, bool):
            problems.append(Problem(name, number, '"label" must be 0 or 1'))
            continue
        rows.append(Labelled(row.id, row.item.lang or "unknown", int(label), row.item))
    if problems:
        report(problems)
        sys.exit(EXIT_BAD_INPUT)
    return rows


def report_feedback(config_file: str | None, topic_id: str | None) -> None:
    """Print per topic how many judged alerts subscribers found relevant, how many items they
    reported missed, and how much of it came since the topic's model was trained."""
    from bot.matching.loader import models_trained_at
    from bot.settings import load_settings
    from bot.storage import open_store
    from bot.storage.history import feedback_by_topic, feedback_since_training

    settings = load_settings(config_path(config_file), env=os.environ)
    trained = models_trained_at(settings.topics, env=os.environ)
    store = open_store(settings.database_url)
    try:
        tallies = feedback_by_topic(store.engine)
        recent = feedback_since_training(store.engine, trained)
    finally:
        store.close()
    tallies = [t for t in tallies if topic_id is None or t.topic == topic_id]
    if not tallies:
        click.echo(
            "no feedback yet: subscribers judge alerts with the Relevant buttons and report "
            "missed items with /missed"
        )
        return
    click.echo(
        f"{'topic':<32} {'precision':>9} {'relevant':>9} {'not':>5} {'votes':>6} {'missed':>7}"
    )
    for tally in tallies:
        shown = f"{tally.precision:.3f}" if tally.precision is not None else "-"
        click.echo(
            f"{tally.topic:<32} {shown:>9} {tally.relevant:>9} {tally.not_relevant:>5} "
            f"{tally.votes:>6} {tally.missed:>7}"
        )
    for tally in tallies:
        if tally.topic not in trained:
            continue
        new = recent[tally.topic]
        judged = new.relevant + new.not_relevant
        hint = " (narcowatch train --feedback learns from them)" if judged or new.missed else ""
        click.echo(
            f"{tally.topic}: model trained {trained[tally.topic]:%Y-%m-%d %H:%M} UTC; since "
            f"then {_count(judged, 'alert')} judged and {_count(new.missed, 'item')} reported "
            f"missed{hint}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@click.command("seed-terms")
@click.argument("sources", nargs=-1, required=True, metavar="FILE...")
@exits_on_bad_input
def seed_terms(sources: tuple[str, ...]) -> None:
    """Propose watch terms and entities found in documents, as topic YAML on stdout."""
    from bot.matching.seedterms import propose, render_yaml

    documents = [(name, text) for text, name in (read_source(s) for s in sources)]
    click.echo(render_yaml(propose(documents)), nl=False)


@click.command("backtest")
@click.option("--since", default="30d", show_default=True, help="How far back to re-score.")
@click.option("--topic", "topic_id", default=None, help="One topic only (default: all).")
@config_option
@exits_on_bad_input
def backtest(since: str, topic_id: str | None, config_file: str | None) -> None:
    """Re-score stored items with the current topic files; show what would change."""
    from datetime import timedelta

    from bot.matching import compile_topics
    from bot.matching.backtest import backtest as compare
    from bot.services.configuration import load_configuration
    from bot.settings.units import parse_duration
    from bot.storage import open_store
    from bot.storage.history import stored_verdicts

    try:
        window = parse_duration(since)
    except ValueError as exc:
        raise InputError(f"--since: {exc}") from exc
    config = load_configuration(config_path(config_file), env=os.environ)
    if topic_id is not None and topic_id not in config.topic_ids:
        raise InputError(f"unknown topic {topic_id!r} (known: {', '.join(config.topic_ids)})")
    matcher = compile_topics(config.topics)
    store = open_store(config.settings.database_url)
    try:
        cutoff = datetime.now(UTC) - timedelta(seconds=window)
        result = compare(stored_verdicts(store.engine, since=cutoff), matcher, topic=topic_id)
    finally:
        store.close()
    click.echo(
        f"re-scored {result.scored} items fetched in the last {since}: "
        f"{len(result.newly_matching)} would now match, "
        f"{len(result.no_longer_matching)} would no longer match"
    )
    for heading, changes in (
        ("would now match", result.newly_matching),
        ("would no longer match", result.no_longer_matching),
    ):
        if changes:
            click.echo(f"\n{heading}:")
        for change in changes:
            reasons = "; ".join(change.score.reasons[:3])
            click.echo(
                f"  {change.score.score:.2f}  {change.score.topic}  {change.title}  ({reasons})"
            )
