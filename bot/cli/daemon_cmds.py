"""Daemon commands: run, poll --once, check-config, health."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import TYPE_CHECKING

import click

from bot.cli.common import (
    EXIT_BAD_INPUT,
    config_location,
    config_option,
    config_path,
    exits_on_bad_input,
)
from bot.errors import ConfigError
from bot.log import configure_logging

# Commands import their heavy dependencies when they run, so `--help` and `health` start fast.
if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from bot.core.models import PollOutcome
    from bot.services.configuration import Configuration


def load(config_file: str | None) -> Configuration:
    from bot.services.configuration import load_configuration

    return load_configuration(config_path(config_file), env=os.environ)


@click.command("run")
@config_option
@exits_on_bad_input
def run(config_file: str | None) -> None:
    """Run the daemon: scheduler, fetchers, matcher, delivery, Telegram bot, health server."""
    import asyncio

    from bot.daemon import install_stop_signals, run_daemon
    from bot.ops.health import HealthListenError
    from bot.process_lock import AlreadyRunningError
    from bot.services.configuration import load_configuration

    location = config_location(config_file)
    config = load_configuration(location.path, env=os.environ)
    configure_logging(os.environ, secrets=[config.settings.telegram.token])
    logging.getLogger("narcowatch.config").info(
        "config.in_force",
        extra={"path": str(location.path.resolve()), "origin": location.origin},
    )

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await run_daemon(config, os.environ, stop)

    try:
        asyncio.run(main())
    except (AlreadyRunningError, HealthListenError) as exc:
        click.echo(f"narcowatch run: {exc}", err=True)
        sys.exit(1)


@click.command("poll")
@click.option("--once", is_flag=True, help="Poll every enabled source once, then exit.")
@config_option
@exits_on_bad_input
def poll(once: bool, config_file: str | None) -> None:
    """Poll every enabled source once; print a summary (ok/failed, new items, matches)."""
    import asyncio

    from rich.console import Console

    from bot.core.sanitize import clean_line
    from bot.daemon import poll_once

    if not once:
        click.echo(
            "narcowatch poll: only `poll --once` exists; the daemon is `narcowatch run`", err=True
        )
        sys.exit(EXIT_BAD_INPUT)
    config = load(config_file)
    configure_logging(
        {**os.environ, "NARCOWATCH_LOG_LEVEL": os.environ.get("NARCOWATCH_LOG_LEVEL", "WARNING")},
        secrets=[config.settings.telegram.token],
    )
    err = Console(stderr=True)
    total = sum(1 for source in config.settings.sources if source.enabled)
    if err.is_terminal:
        with poll_progress(err) as bar:
            task = bar.add_task("", total=total)

            def advance(outcome: PollOutcome) -> None:
                bar.update(task, advance=1, description=clean_line(outcome.source_name))

            outcomes = asyncio.run(poll_once(config, progress=advance))
    else:
        outcomes = asyncio.run(poll_once(config))
    print_summary(outcomes)


def poll_progress(console: Console) -> Progress:
    """The `poll --once` progress bar; the source name (feed text) is shown as plain text,
    never read as rich markup (a name like `News [/]` would crash it)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("polling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}", markup=False),
        console=console,
        transient=True,
    )


def print_summary(outcomes: list[PollOutcome]) -> None:
    """A row per source (status, items, new, matches, note) and a totals line."""
    from bot.core.sanitize import clean_line

    rows = [
        (
            clean_line(o.source_name),
            "unchanged" if o.not_modified else ("ok" if o.ok else "FAILED"),
            str(o.items_seen),
            str(o.new_items),
            str(len(o.matches)),
            clean_line(
                o.error or o.warning or ("first poll: recorded, no alerts" if o.baseline else "")
            ),
        )
        for o in sorted(outcomes, key=lambda o: (o.ok, o.source_name))
    ]
    header = ("source", "status", "items", "new", "matches", "note")
    widths = [min(max(len(row[i]) for row in [header, *rows]), 48) for i in range(5)]
    for row in [header, *rows]:
        cells = [cell[:48].ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[5]]).rstrip())
    ok = sum(1 for o in outcomes if o.ok)
    new = sum(o.new_items for o in outcomes)
    matches = [m for o in outcomes for m in o.matches]
    click.echo(
        f"sources: {len(outcomes)}  ok: {ok}  failed: {len(outcomes) - ok}  "
        f"new items: {new}  matches: {len(matches)}"
    )
    for match in matches:
        click.echo(
            clean_line(
                f"  {match.score.score:.2f}  {match.score.topic}  {match.title}  {match.link or ''}"
            )
        )


@click.command("check-config")
@config_option
def check_config(config_file: str | None) -> None:
    """Validate the config and topic files: exit 0, or exit 2 with `file:line: message` lines."""
    from bot.matching.loader import model_description
    from bot.services.configuration import load_configuration

    location = config_location(config_file)
    try:
        config = load_configuration(location.path, env=os.environ)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(EXIT_BAD_INPUT)
    settings = config.settings
    origin = " (the bundled config: `narcowatch init` writes a copy to edit)"
    sources, topics = len(settings.sources), len(config.topics)
    click.echo(
        f"{config.path}: ok ({sources} source{'s' * (sources != 1)}, "
        f"{topics} topic{'s' * (topics != 1)}: "
        f"{', '.join(config.topic_ids)}){origin if location.bundled else ''}"
    )
    for path, topic in zip(settings.topics, config.topics, strict=True):
        summary = model_description(path, topic)
        if summary is not None:
            what, origin = summary
            click.echo(f"  {topic.id}: {what}\n    {origin}")


@click.command("health")
@config_option
@click.option("--url", default=None, help="Health URL (default: from the config's health.listen).")
def health(config_file: str | None, url: str | None) -> None:
    """Exit 0 when the running daemon is healthy, 1 when not, 2 when it cannot be reached."""
    import httpx

    if url is None:
        listen = "127.0.0.1:8080"
        try:
            from bot.settings import load_settings

            path = config_path(config_file, quiet=True)
            listen = load_settings(path, env=os.environ).health.listen
        except ConfigError:
            pass  # the daemon may run with defaults; ask the default address
        host, _, port = listen.rpartition(":")
        if host in ("0.0.0.0", "::", "[::]"):
            host = "127.0.0.1"
        url = f"http://{host}:{port}/healthz"
    try:
        response = httpx.get(url, timeout=5)
    except httpx.HTTPError as exc:
        click.echo(f"narcowatch health: cannot reach {url}: {exc}", err=True)
        sys.exit(2)
    try:
        report = response.json()
    except json.JSONDecodeError:
        click.echo(
            f"narcowatch health: {url} answered {response.status_code} without JSON", err=True
        )
        sys.exit(1)
    click.echo(json.dumps(report, indent=2))
    sys.exit(0 if response.status_code == 200 and report.get("healthy") else 1)


__all__ = ["check_config", "health", "poll", "run"]
