"""`narcowatch search`: stored items by their words, as lines for people or JSON Lines."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import config_option, exits_on_bad_input
from bot.cli.data_cmds import STDOUT, load, open_migrated_store, utc_now, write_chunks
from bot.search.query import MAX_LIMIT, ORDERS

if TYPE_CHECKING:
    from bot.search.hits import SearchHit


@click.command("search")
@config_option
@click.argument("words", nargs=-1, required=True)
@click.option("--since", default=None, help="Only items of this period: 30d, 12h, or 2026-01-01.")
@click.option("--topic", "topic", default=None, help="Only items that matched this topic.")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_LIMIT),
    default=20,
    show_default=True,
    help="Most items shown.",
)
@click.option(
    "--sort",
    type=click.Choice(ORDERS),
    default="newest",
    show_default=True,
    help="Newest stored first, or best first (the index's relevance ranking).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item (JSON Lines).")
@exits_on_bad_input
def search(
    config_file: str | None,
    words: tuple[str, ...],
    since: str | None,
    topic: str | None,
    limit: int,
    sort: str,
    as_json: bool,
) -> None:
    """Find stored items (matched or not) containing all WORDS; quote a phrase ("golden
    triangle"). Russian words match their other forms, Chinese needs no spaces."""
    from bot.core.export import parse_since
    from bot.search.query import SearchRequest, parse_query

    try:
        query = parse_query(words)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'WORDS'") from None
    since_at = None
    if since is not None:
        try:
            since_at = parse_since(since, now=utc_now())
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--since'") from None
    request = SearchRequest(
        query,
        limit=limit,
        order="best" if sort == "best" else "newest",  # one of ORDERS, as mypy can tell
        since=since_at,
        topic=topic,
    )
    store = open_migrated_store(load(config_file))
    try:
        hits = store.search_items(request)
    finally:
        store.close()
    if as_json:
        write_chunks((json.dumps(hit_json(hit), ensure_ascii=False) + "\n" for hit in hits), STDOUT)
    else:
        write_chunks((hit_text(hit) for hit in hits), STDOUT)
    more = " (the first ones: raise --limit to see more)" if len(hits) == limit else ""
    items = "item" if len(hits) == 1 else "items"
    click.echo(f"search: {len(hits)} {items}, {sort} first{more}", err=True)


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """One hit as JSON: the item, its dates, and each topic it matched with the score."""
    best = hit.matches[0] if hit.matches else None
    return {
        "id": hit.item_id,
        "title": hit.title,
        "link": hit.link,
        "source": hit.source,
        "source_id": hit.source_id,
        "published": hit.published.isoformat() if hit.published else None,
        "fetched_at": hit.fetched_at.isoformat(),
        "date": hit.date.isoformat(),
        "matched": hit.matched,
        "topic": best.topic if best else None,
        "score": best.score if best else None,
        "topics": [{"topic": m.topic, "score": m.score} for m in hit.matches],
    }


def hit_text(hit: SearchHit) -> str:
    """Two lines: date, what it matched and the title; then the source and the link."""
    from bot.core.sanitize import clean_line

    if hit.matches:
        marks = ", ".join(f"{m.topic} {m.score:.2f}" for m in hit.matches)
    else:
        marks = "not matched"
    link = clean_line(hit.link) if hit.link else "(no link)"
    return (
        f"{hit.date:%Y-%m-%d}  {clean_line(marks)}  {clean_line(hit.title)}\n"
        f"            {clean_line(hit.source)} · {link}\n"
    )
