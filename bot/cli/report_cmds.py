"""`narcowatch report`: the period's briefing as a self-contained HTML page or JSON."""

from __future__ import annotations

import json

import click

from bot.cli.common import config_option, exits_on_bad_input, parse_where, where_option
from bot.cli.data_cmds import STDOUT, load, open_migrated_store, utc_now, write_chunks


@click.command("report")
@config_option
@click.option("--since", default="30d", show_default=True, help="30d, 12h, or 2026-01-01.")
@click.option("--topic", "topic", default=None, help="Only this topic (default: every topic).")
@where_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "json"]),
    default="html",
    show_default=True,
    help="One self-contained HTML page (charts inline), or the same data as JSON.",
)
@click.option("--output", "-o", default=STDOUT, show_default=True, help="File, or - for stdout.")
@exits_on_bad_input
def report(
    config_file: str | None,
    since: str,
    topic: str | None,
    where: str | None,
    fmt: str,
    output: str,
) -> None:
    """Write a briefing of stored matches: stories, charts, who worked with whom (a network
    and the top pairs), countries, organisations, sources."""
    from bot.briefing.model import Period
    from bot.core.export import parse_since
    from bot.services.briefing import Briefings

    now = utc_now()
    try:
        start = parse_since(since, now=now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--since'") from None
    if start >= now:
        raise click.BadParameter(f"{since!r} is not in the past", param_hint="'--since'")
    places = parse_where(where)
    store = open_migrated_store(load(config_file))
    try:
        briefing = Briefings(store, utc_now).report(
            Period(start, now), [topic] if topic is not None else None, places=places
        )
    finally:
        store.close()
    if fmt == "json":
        from bot.briefing.jsonview import briefing_data

        text = json.dumps(briefing_data(briefing), ensure_ascii=False, indent=2) + "\n"
    else:
        from bot.drawing.report import report_html

        text = report_html(briefing, generated_at=now)
    write_chunks([text], output)
    target = "" if output == STDOUT else f" to {output}"
    place_note = f" in {', '.join(briefing.places)}" if briefing.places else ""
    click.echo(
        f"report: {briefing.total} matched items, {len(briefing.stories)} stories, "
        f"{len(briefing.pairs)} pairs{place_note}{target}",
        err=True,
    )
