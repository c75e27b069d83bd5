"""Export queries on SQLite and PostgreSQL: filters, chunking, sources, OPML round trip."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from bot.core.export import export_chunks
from bot.core.models import HtmlSelectors
from bot.core.opml import OpmlSource, parse_opml, plan_import, render_opml
from bot.storage import SourceSpec, open_store
from bot.storage.exports import SourceListing, iter_matches, list_sources
from bot.storage.tables import ITEM
from tests.data.conftest import AWKWARD_TITLE, Filled


def shape(source: SourceListing) -> tuple[object, ...]:
    """What an OPML file carries of a source."""
    return (
        source.name,
        source.url,
        source.type,
        source.interval_s,
        source.topics,
        source.selectors,
    )


def keys(filled: Filled, **filters: object) -> list[tuple[str, str]]:
    """(item link tail, topic) of each exported match, in export order."""
    rows = iter_matches(filled.store.engine, **filters)  # type: ignore[arg-type]
    return [((row.link or "").rsplit("/", 1)[-1], row.topic) for row in rows]


def test_every_match_is_exported_in_id_order_with_its_evidence(filled: Filled) -> None:
    """All matches come out once, oldest first, with item, source, time and evidence."""
    rows = list(iter_matches(filled.store.engine))
    assert [((r.link or "")[-3:], r.topic) for r in rows] == [
        ("old", "drugs"),
        ("e/a", "drugs"),
        ("e/a", "other"),
        ("e/b", "drugs"),
        ("e/d", "drugs"),
    ]
    assert [r.match_id for r in rows] == sorted(r.match_id for r in rows)
    last = rows[-1]
    assert (last.title, last.sources, last.score) == (AWKWARD_TITLE, ("Agency",), 0.95)
    assert last.matched_at == filled.now - timedelta(days=2)
    assert last.published is not None
    assert last.published.tzinfo is not None
    assert [t.term for t in last.terms] == ["narcotics", "cooperation"]
    assert [e.name for e in last.entities] == ["UNODC"]
    assert last.reasons[1] == "missing x; y: score x0.5"
    assert last.actors == ("CN", "MM", "UNODC")


def test_filters_by_topic_since_and_min_score(filled: Filled) -> None:
    """--topic, --since and --min-score narrow the export, alone and together."""
    month_ago = filled.now - timedelta(days=30)
    assert keys(filled, topic="other") == [("a", "other")]
    assert [k for k, _ in keys(filled, topic="drugs")] == ["old", "a", "b", "d"]
    assert keys(filled, since=month_ago) == [
        ("a", "drugs"),
        ("a", "other"),
        ("b", "drugs"),
        ("d", "drugs"),
    ]
    assert [k for k, _ in keys(filled, min_score=0.7)] == ["old", "a", "d"]
    assert keys(filled, topic="drugs", since=month_ago, min_score=0.5) == [
        ("a", "drugs"),
        ("d", "drugs"),
    ]
    assert keys(filled, topic="nope") == []


def test_chunked_reading_returns_every_row_once(filled: Filled) -> None:
    """Reading two rows per query yields the same rows as one big query."""
    everything = [r.match_id for r in iter_matches(filled.store.engine)]
    assert [r.match_id for r in iter_matches(filled.store.engine, chunk=2)] == everything
    assert [r.match_id for r in iter_matches(filled.store.engine, chunk=5)] == everything


def test_a_story_lists_every_source_that_carried_it(filled: Filled) -> None:
    """Items sharing a story id list all their sources, the match's own source first."""
    # No Store method assigns stories yet (near-duplicate grouping does), so set one by hand.
    with filled.store.engine.begin() as conn:
        conn.execute(
            update(ITEM)
            .where(ITEM.c.link.in_(["https://news.example/b", "https://news.example/d"]))
            .values(story_id=7)
        )
    by_link = {r.link: r.sources for r in iter_matches(filled.store.engine)}
    assert by_link["https://news.example/b"] == ("Wire", "Agency")
    assert by_link["https://news.example/d"] == ("Agency", "Wire")
    assert by_link["https://news.example/old"] == ("Wire",)


def test_csv_of_the_database_parses_back(filled: Filled) -> None:
    """The CSV of stored matches has one record per match plus the header."""
    text = "".join(export_chunks(iter_matches(filled.store.engine, topic="drugs"), "csv"))
    records = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["title"] for r in records][-1] == "'" + AWKWARD_TITLE
    assert len(records) == 4


def test_list_sources_shows_health_and_settings(filled: Filled) -> None:
    """Sources come with origin, interval, state and their last poll's result."""
    listed = list_sources(filled.store.engine)
    assert [(s.name, s.origin, s.enabled, s.paused) for s in listed] == [
        ("Wire", "config", True, False),
        ("Agency", "config", True, False),
    ]
    assert listed[0].interval_s == 900.0
    assert listed[1].last_success_at == filled.now - timedelta(days=2)
    assert listed[0].consecutive_failures == 0


def test_opml_round_trip_into_a_fresh_database(filled: Filled, tmp_path: Path) -> None:
    """Sources exported as OPML and imported into an empty database come back the same."""
    store = filled.store
    store.add_source(
        SourceSpec(
            name="Ministry",
            url="https://ministry.example/news",
            type="html",
            interval_s=7200.0,
            topics=("drugs",),
            selectors=HtmlSelectors(item="li", title="a", link="a"),
        ),
        now=filled.now,
    )
    before = list_sources(store.engine)
    opml = render_opml(
        (OpmlSource(s.name, s.url, s.type, s.interval_s, s.topics, s.selectors) for s in before),
        title="t",
        now=filled.now,
    )
    document = parse_opml(opml.encode(), path="export.opml")
    fresh = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        plan = plan_import(document.sources, known_names=[], known_urls=[])
        for source in plan.add:
            spec = SourceSpec(
                source.name,
                source.url,
                source.type,
                source.interval_s or 1.0,
                source.topics,
                source.selectors,
            )
            assert fresh.add_source(spec, now=filled.now) is not None
        after = list_sources(fresh.engine)
    finally:
        fresh.close()

    assert [shape(s) for s in after] == [shape(s) for s in before]
    assert len(after) == 3
