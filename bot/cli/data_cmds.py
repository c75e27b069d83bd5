"""Data commands: `export` matches for analysts; `sources` list, OPML export and import."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from bot.cli.common import (
    config_option,
    config_path,
    exits_on_bad_input,
    parse_where,
    where_option,
)
from bot.errors import InputError

if TYPE_CHECKING:
    from bot.settings import Settings
    from bot.storage import Store
    from bot.storage.exports import SourceListing

STDOUT = "-"


def utc_now() -> datetime:
    return datetime.now(UTC)


def load(config_file: str | None) -> Settings:
    from bot.settings import load_settings

    return load_settings(config_path(config_file), env=os.environ)


def open_migrated_store(settings: Settings) -> Store:
    """The store, migrated first so a fresh database works."""
    from bot.storage import open_store

    origin = "DATABASE_URL" if os.environ.get("DATABASE_URL") else "database_url"
    return open_store(settings.database_url, origin=origin)


@contextmanager
def output_stream(target: str) -> Iterator[IO[bytes]]:
    """stdout for '-'; else FILE, written whole or not at all (a temp file renamed at the end)."""
    if target == STDOUT:
        try:
            yield sys.stdout.buffer
            sys.stdout.buffer.flush()
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly like other Unix tools, and keep
            # Python from complaining again when it flushes stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        return
    path = Path(target)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as stream:
            yield stream
        partial.replace(path)
    except OSError as exc:
        raise InputError(f"{target}: cannot write: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def write_chunks(chunks: Iterable[str], target: str) -> None:
    with output_stream(target) as stream:
        for chunk in chunks:
            stream.write(chunk.encode("utf-8"))


# --- export --------------------------------------------------------------------------------


@click.command("export")
@config_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help="CSV with a header, or JSON Lines (one object per match).",
)
@click.option("--topic", "topic", default=None, help="Only this topic's matches.")
@click.option("--since", default=None, help="Only matches made since: 30d, 12h, or 2026-01-01.")
@click.option("--min-score", type=click.FloatRange(0, 1), default=None, help="Lowest score.")
@where_option
@click.option("--output", "-o", default=STDOUT, show_default=True, help="File, or - for stdout.")
@exits_on_bad_input
def export(
    config_file: str | None,
    fmt: str,
    topic: str | None,
    since: str | None,
    min_score: float | None,
    where: str | None,
    output: str,
) -> None:
    """Write stored matches (score, evidence, item, sources) as CSV or JSON Lines."""
    from bot.core.export import export_chunks, parse_since
    from bot.storage.exports import iter_matches

    since_at = None
    if since is not None:
        try:
            since_at = parse_since(since, now=utc_now())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--since'") from None
    from bot.places.follow import place_codes

    codes = place_codes(parse_where(where))
    store = open_migrated_store(load(config_file))
    try:
        counted = _Counter(
            iter_matches(
                store.engine, topic=topic, since=since_at, min_score=min_score, places=codes
            )
        )
        write_chunks(export_chunks(counted, fmt), output)
    finally:
        store.close()
    where = "" if output == STDOUT else f" to {output}"
    click.echo(f"exported {counted.count} matches{where}", err=True)


class _Counter:
    """Passes rows through, counting them, so the summary needs no second query."""

    def __init__(self, rows: Iterable[Any]) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Any]:
        for row in self.rows:
            self.count += 1
            yield row


# --- sources -------------------------------------------------------------------------------


@click.group("sources")
@config_option
@click.pass_context
def sources(ctx: click.Context, config_file: str | None) -> None:
    """List, test and add sources; export them as OPML, or import an OPML file."""
    ctx.obj = {"config_file": config_file}


def _config_of(ctx: click.Context, config_file: str | None) -> str | None:
    """The subcommand's --config, else the group's."""
    if config_file is not None:
        return config_file
    parent = ctx.find_object(dict)
    return parent.get("config_file") if parent else None


def _state(source: SourceListing) -> str:
    if not source.enabled:
        return f"disabled: {source.disabled_reason}" if source.disabled_reason else "disabled"
    return "paused" if source.paused else "enabled"


def _listing_json(source: SourceListing) -> dict[str, Any]:
    last = source.last_success_at
    return {
        "id": source.id,
        "name": source.name,
        "url": source.url,
        "origin": source.origin,
        "type": source.type,
        "enabled": source.enabled,
        "paused": source.paused,
        "disabled_reason": source.disabled_reason,
        "interval_s": source.interval_s,
        "topics": list(source.topics) if source.topics is not None else None,
        "last_success_at": last.isoformat() if last is not None else None,
        "consecutive_failures": source.consecutive_failures,
        "last_error": source.last_error,
    }


@sources.command("list")
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON array, for machines.")
@click.pass_context
@exits_on_bad_input
def list_command(ctx: click.Context, config_file: str | None, as_json: bool) -> None:
    """Show every source: state, interval, last success, failures and last error."""
    from bot.storage.exports import list_sources

    settings = load(_config_of(ctx, config_file))
    store = open_migrated_store(settings)
    try:
        listed = list_sources(store.engine)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps([_listing_json(s) for s in listed], ensure_ascii=False, indent=2))
        return
    _print_table(listed)
    stored = {source.name for source in listed}
    unsynced = [source.name for source in settings.sources if source.name not in stored]
    if unsynced:
        # The daemon adds config sources when it starts; say so rather than look broken.
        click.echo(
            f"{len(unsynced)} config sources are not in the database yet "
            "(`narcowatch run` or `narcowatch poll --once` adds them)"
        )


def _print_table(listed: list[SourceListing]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from bot.core.sanitize import clean_line
    from bot.settings.units import format_duration

    table = Table("id", "name", "origin", "state", "interval", "last success", "fails", "error")
    for source in listed:
        last = source.last_success_at
        cells = (
            str(source.id),
            source.name,
            source.origin,
            _state(source),
            format_duration(source.interval_s),
            last.strftime("%Y-%m-%d %H:%M") if last is not None else "never",
            str(source.consecutive_failures),
            source.last_error or "",
        )
        # Names and errors hold feed text: shown as text (not rich markup), without escapes.
        table.add_row(*(Text(clean_line(cell)) for cell in cells))
    Console().print(table)
    click.echo(f"{len(listed)} sources")


@sources.command("export")
@config_option
@click.option("--output", "-o", default=STDOUT, show_default=True, help="File, or - for stdout.")
@click.pass_context
@exits_on_bad_input
def export_sources(ctx: click.Context, config_file: str | None, output: str) -> None:
    """Write the enabled sources as OPML 2.0 (type, interval, topics, selectors kept)."""
    from bot.core.opml import OpmlSource, render_opml
    from bot.storage.exports import list_sources

    store = open_migrated_store(load(_config_of(ctx, config_file)))
    try:
        listed = [s for s in list_sources(store.engine) if s.enabled]
    finally:
        store.close()
    opml = render_opml(
        (OpmlSource(s.name, s.url, s.type, s.interval_s, s.topics, s.selectors) for s in listed),
        title="narcowatch sources",
        now=utc_now(),
    )
    write_chunks([opml], output)
    where = "" if output == STDOUT else f" to {output}"
    click.echo(f"exported {len(listed)} sources{where}", err=True)


@sources.command("import")
@config_option
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Report what would be added; add nothing.")
@click.pass_context
@exits_on_bad_input
def import_sources(ctx: click.Context, config_file: str | None, file: str, dry_run: bool) -> None:
    """Add the feeds of an OPML file; skip known names and URLs; report bad outlines."""
    from bot.core.opml import parse_opml, plan_import
    from bot.storage import SourceSpec
    from bot.storage.exports import list_sources

    try:
        data = Path(file).read_bytes()
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror or exc}") from exc
    document = parse_opml(data, path=file)
    settings = load(_config_of(ctx, config_file))
    store = open_migrated_store(settings)
    try:
        known = list_sources(store.engine)
        plan = plan_import(
            document.sources,
            known_names=[*(s.name for s in known), *(s.name for s in settings.sources)],
            known_urls=[
                *(s.url for s in known),
                *(s.config_url for s in known if s.config_url),
                *(s.url for s in settings.sources),
            ],
        )
        added: list[str] = []
        skipped = [(source, reason) for source, reason in plan.skip]
        now = utc_now()
        for source in plan.add:
            spec = SourceSpec(
                name=source.name,
                url=source.url,
                type=source.type,
                interval_s=source.interval_s or settings.polling.interval,
                topics=source.topics,
                selectors=source.selectors,
            )
            # The operator imports the file: trusted like the config (intranet feeds allowed).
            if dry_run or store.add_source(spec, now=now, trusted=True) is not None:
                added.append(f"{file}:{source.line}: {source.name!r} {source.url}")
            else:  # a source of this name appeared since we looked
                skipped.append((source, "a source with this name exists"))
    finally:
        store.close()
    verb = "would add" if dry_run else "added"
    for line in added:
        click.echo(f"{verb}: {line}")
    for source, reason in skipped:
        click.echo(f"skipped: {file}:{source.line}: {source.name!r} {source.url}: {reason}")
    for problem in document.problems:
        click.echo(f"invalid: {problem}", err=True)
    tail = " (dry run: nothing changed)" if dry_run else ""
    click.echo(
        f"{len(added)} {verb}, {len(skipped)} skipped, {len(document.problems)} invalid{tail}"
    )


COMMANDS = (export, sources)
