"""`narcowatch borderline`: the stored items that came closest to matching a topic without
matching it, for a person to read or to label (JSON Lines that `train` takes back)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from bot.cli.common import config_option, exits_on_bad_input
from bot.cli.data_cmds import STDOUT, load, open_migrated_store, utc_now, write_chunks
from bot.services.borderline import SCORED

if TYPE_CHECKING:
    from bot.services.borderline import NearMiss


@click.command("borderline")
@config_option
@click.option(
    "--since", default="7d", show_default=True, help="Items stored in this period: 30d, 12h."
)
@click.option("--topic", "topic_id", default=None, help="Only this topic (default: every one).")
@click.option(
    "--limit", type=click.IntRange(1, 10_000), default=50, show_default=True, help="Most shown."
)
@click.option(
    "--scan",
    type=click.IntRange(1, 1_000_000),
    default=SCORED,
    show_default=True,
    help="How many of the newest unmatched items are scored again.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='JSON Lines in the labelled-item format: add "label": 0 or 1 and give it to train.',
)
@exits_on_bad_input
def borderline(
    config_file: str | None,
    since: str,
    topic_id: str | None,
    limit: int,
    scan: int,
    as_json: bool,
) -> None:
    """List the unmatched stored items that score highest on a topic now, best first: where a
    label teaches the text model most (see docs/topics.md, the text model)."""
    from bot.cli.matching_cmds import load_matcher
    from bot.core.export import parse_since
    from bot.services.borderline import closest

    try:
        since_at = parse_since(since, now=utc_now())
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'--since'") from None
    matcher = load_matcher(config_file, topic_id)
    topics = [topic.id for topic in matcher.topics]
    store = open_migrated_store(load(config_file))
    try:
        candidates = store.unmatched_items(topics=topics, since=since_at, limit=scan)
    finally:
        store.close()
    near = closest(candidates, matcher, topics, limit=limit)
    if as_json:
        lines = (json.dumps(near_json(found), ensure_ascii=False) + "\n" for found in near)
        write_chunks(lines, STDOUT)
    else:
        write_chunks((near_text(found) for found in near), STDOUT)
    click.echo(
        f"borderline: {len(near)} of {len(candidates)} unmatched items stored since "
        f"{since_at:%Y-%m-%d %H:%M} UTC",
        err=True,
    )


def near_json(found: NearMiss) -> dict[str, Any]:
    """One item as a `score` / `train` input line, with the topic and its score now."""
    item = found.item
    return {
        "id": f"item-{found.hit.item_id}",
        "title": item.title,
        "summary": item.summary,
        "content": item.content,
        "lang": item.lang,
        "url": item.link,
        "source": found.hit.source,
        "date": found.hit.date.isoformat(),
        "topic": found.topic,
        "score": round(found.score, 4),
    }


def near_text(found: NearMiss) -> str:
    """Two lines for a terminal (feed text cleaned of control characters): the score, topic,
    date and title; then the item's number, source and link."""
    from bot.core.sanitize import clean_line

    hit = found.hit
    link = clean_line(hit.link) if hit.link else "(no link)"
    return (
        f"{found.score:.2f}  {clean_line(found.topic)}  {hit.date:%Y-%m-%d}  "
        f"{clean_line(hit.title)}\n      #{hit.item_id} {clean_line(hit.source)} · {link}\n"
    )
