"""Article text on demand: loopback article pages, the real fetcher, store and matcher."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.article import ARTICLE_MARK, ARTICLE_REASON
from bot.core.models import Item, PollOutcome, TopicScore
from bot.core.render import AlertView, render_alert
from bot.fetch import FetchLimits, HttpFetcher
from bot.matching import TopicSpec, compile_topics, load_topic
from bot.ops.metrics import Metrics
from bot.services.article_text import ArticleReader, wants_article
from bot.services.parse_runner import ProcessRunner
from bot.services.poll import Poller
from bot.settings.model import ArticleSettings
from bot.storage import SourceSpec, Store
from tests.support.feedserver import FeedServer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOPIC = """\
id: zoo
title: Zoo keeping
threshold: 0.5
groups:
  animals:
    weight: 0.4
    saturation: 1
    terms:
      en: [zebra, {term: stripes, weight: 0.25}]
  keepers:
    weight: 0.4
    saturation: 1
    terms:
      en: [keeper]
"""
ARTICLE = """<!DOCTYPE html><html><head><title>{title}</title></head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>{title}</h1>
<p>Officials at the city park said on Monday that the animal had been found near the lake
after a long search that involved volunteers, police officers and park staff.</p>
<p>{body}</p>
<p>The park will reopen on Tuesday morning, a spokesperson said in a statement.</p>
</article><footer>Copyright the local paper</footer></body></html>"""


def article_page(title: str, body: str) -> bytes:
    return ARTICLE.format(title=html.escape(title), body=html.escape(body)).encode()


def feed(items: Sequence[tuple[str, str, str]]) -> bytes:
    """RSS with (guid, title, link) items and no description."""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{html.escape(title)}</title><link>{link}</link></item>"
        for guid, title, link in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'
    ).encode()


@pytest.fixture
def topic(tmp_path: Path) -> TopicSpec:
    path = tmp_path / "zoo.yaml"
    path.write_text(TOPIC, encoding="utf-8")
    return load_topic(path, env={})


class Rig:
    """A poller with article reading over the loopback server, and its metrics."""

    def __init__(self, store: Store, fetcher: HttpFetcher, topic: TopicSpec, **options: object):
        self.store = store
        self.metrics = Metrics()
        settings = ArticleSettings.model_validate({"allow_private": True, **options})
        self.reader = ArticleReader(
            fetcher, settings, topics=lambda: (topic,), on_result=self.metrics.count_article
        )
        self.poller = Poller(
            fetcher=fetcher,
            store=store,
            scorer=compile_topics([topic]),
            clock=lambda: NOW,
            articles=self.reader,
        )

    async def poll_twice(
        self, server: FeedServer, name: str, items: Sequence[tuple[str, str, str]]
    ) -> PollOutcome:
        """A baseline poll of an empty feed, then a poll that finds `items` new."""
        path = f"/{name}.xml"
        url = server.add_feed(path, feed([]), etag='"0"')
        self.store.sync_config_sources([SourceSpec(name=name, url=url)], now=NOW)
        for version in ("0", "1"):
            if version == "1":
                server.add_feed(path, feed(items), etag='"1"')
            (source,) = [
                s
                for s in self.store.claim_all_enabled(now=NOW, owner="t", lease_seconds=60)
                if s.name == name
            ]
            outcome = await self.poller.poll(source)
            assert outcome.ok, outcome.error
        return outcome

    def counted(self, result: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "narcowatch_article_fetches_total", {"result": result}
        )
        return value or 0.0


async def rig_for(store: Store, topic: TopicSpec, **options: object) -> tuple[Rig, HttpFetcher]:
    fetcher = HttpFetcher(FetchLimits(timeout_s=2.0), trust_env=False)
    return Rig(store, fetcher, topic, **options), fetcher


async def test_an_item_whose_article_carries_the_evidence_alerts_with_the_marker(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """A headline alone scores below the threshold; its article page names the keeper, so the
    item matches, the reasons and the rendered alert say the article text was used, and the
    fetch is counted."""
    link = feedserver.add_feed(
        "/news/zebra.html",
        article_page("Zebra back at the park", "The keeper fed the zebra as it came home."),
        content_type="text/html; charset=utf-8",
    )
    rig, fetcher = await rig_for(store, topic)
    async with fetcher:
        outcome = await rig.poll_twice(feedserver, "park", [("z1", "Zebra back at the park", link)])
    (match,) = outcome.matches
    assert match.score.topic == "zoo"
    assert match.score.score >= 0.5
    assert {hit.term for hit in match.score.terms} == {"zebra", "keeper"}
    assert any(reason.startswith(ARTICLE_REASON) for reason in match.score.reasons)
    assert link in match.score.reasons[-1]
    view = AlertView(1, 1, 1, match.title, match.link, ("park",), None, match.score)
    assert ARTICLE_MARK in render_alert(view).html
    assert len(feedserver.requests_to("/news/zebra.html")) == 1
    assert rig.counted("ok") == 1
    assert rig.counted("failed") == 0


async def test_a_failing_article_page_still_stores_the_item(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """An article page that answers 500, or has no article text, leaves the item stored as the
    feed gave it, unmatched, and counts as failed."""
    blank = feedserver.add_feed(
        "/blank.html", b"<html><body></body></html>", content_type="text/html"
    )
    rig, fetcher = await rig_for(store, topic)
    async with fetcher:
        outcome = await rig.poll_twice(
            feedserver,
            "broken",
            [
                ("b1", "Zebra escapes", feedserver.url("/status/500")),
                ("b2", "Zebra returns", blank),
            ],
        )
    assert outcome.new_items == 2
    assert outcome.matches == ()
    assert rig.counted("failed") == 2
    assert rig.counted("ok") == 0


async def test_an_article_on_a_private_address_is_refused_unless_allowed(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """Article links come from feed content: with `articles.allow_private: false` a loopback
    page is never requested, the fetch counts as failed and the item is still stored."""
    link = feedserver.add_feed(
        "/private.html",
        article_page("Zebra", "The keeper fed the zebra."),
        content_type="text/html",
    )
    rig, fetcher = await rig_for(store, topic, allow_private=False)
    async with fetcher:
        outcome = await rig.poll_twice(feedserver, "private", [("p1", "Zebra back", link)])
    assert outcome.new_items == 1
    assert outcome.matches == ()
    assert feedserver.requests_to("/private.html") == []
    assert rig.counted("failed") == 1


async def test_the_cache_fetches_an_article_once(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """Two sources linking the same article page: it is fetched once, the second read is
    counted as cached, and both items match on it."""
    link = feedserver.add_feed(
        "/shared.html",
        article_page("Zebra news", "A keeper and a zebra walked in."),
        content_type="text/html",
    )
    rig, fetcher = await rig_for(store, topic)
    async with fetcher:
        first = await rig.poll_twice(feedserver, "one", [("s1", "Zebra news", link)])
        second = await rig.poll_twice(feedserver, "two", [("s2", "Zebra news today", link)])
    assert len(feedserver.requests_to("/shared.html")) == 1
    assert (rig.counted("ok"), rig.counted("cached")) == (1, 1)
    assert len(first.matches) == 1
    assert len(second.matches) == 1


async def test_articles_enabled_false_reads_no_page(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """With `articles.enabled: false` no page is fetched and the headline is all that counts."""
    link = feedserver.add_feed(
        "/off.html", article_page("Zebra", "The keeper fed the zebra."), content_type="text/html"
    )
    rig, fetcher = await rig_for(store, topic, enabled=False)
    async with fetcher:
        outcome = await rig.poll_twice(feedserver, "off", [("o1", "Zebra back", link)])
    assert outcome.new_items == 1
    assert outcome.matches == ()
    assert feedserver.requests_to("/off.html") == []
    assert rig.counted("ok") + rig.counted("failed") + rig.counted("cached") == 0


async def test_at_most_max_per_poll_pages_are_read(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """A poll reads no more article pages than `articles.max_per_poll`."""
    rig, fetcher = await rig_for(store, topic, max_per_poll=2)
    items = [
        (f"m{n}", f"Zebra story {n}", feedserver.add_feed(f"/m{n}.html", b"<html></html>"))
        for n in range(5)
    ]
    async with fetcher:
        await rig.poll_twice(feedserver, "many", items)
    fetched = [n for n in range(5) if feedserver.requests_to(f"/m{n}.html")]
    assert len(fetched) == 2


async def test_extraction_runs_in_the_parse_workers_and_an_overrun_costs_only_the_article(
    feedserver: FeedServer, store: Store, topic: TopicSpec
) -> None:
    """With the daemon's worker processes, a page is extracted and scored there; a page whose
    extraction overruns `articles.timeout` has its worker replaced, counts as failed, and its
    item is stored as the feed gave it."""
    good = feedserver.add_feed(
        "/good.html", article_page("Zebra", "The keeper fed the zebra."), content_type="text/html"
    )
    # One paragraph of 60,000 spans (1.1 MB): trafilatura needs seconds even for the first
    # 50,000 tags it is given (bot.parse.article_text.MAX_ARTICLE_TAGS), 3 s on a quiet
    # machine. (60,000 tiny paragraphs, used before issue 17, now take about the limit.)
    spans = "".join(f"<span>w{n}</span>" for n in range(60_000))
    huge = feedserver.add_feed(
        "/huge.html",
        f"<html><body><article><p>{spans}</p></article></body></html>".encode(),
        content_type="text/html",
    )
    async with (
        HttpFetcher(FetchLimits(timeout_s=5.0), trust_env=False) as fetcher,
        ProcessRunner(1) as runner,
    ):
        rig = Rig(store, fetcher, topic, timeout="1s")
        rig.reader.runner = runner
        rig.poller.runner = runner
        first = await rig.poll_twice(feedserver, "worker", [("w1", "Zebra back", good)])
        assert len(first.matches) == 1
        assert runner.replaced == 0
        second = await rig.poll_twice(feedserver, "huge", [("h1", "Zebra gone", huge)])
    assert second.new_items == 1
    assert second.matches == ()
    assert (rig.counted("ok"), rig.counted("failed")) == (1, 1)
    assert runner.replaced == 1


def score(topic: str, value: float, *, terms: bool = True, matched: bool = False) -> TopicScore:
    from bot.core.models import TermHit

    hits = (TermHit("zebra", "animals", 1),) if terms else ()
    return TopicScore(topic=topic, score=value, matched=matched, terms=hits)


def exclusion(topic: str, value: float) -> TopicScore:
    from bot.core.models import TermHit

    return TopicScore(
        topic=topic, score=value, matched=False, terms=(TermHit("pharmacy", "exclusion", 1),)
    )


def modelled(topic: str, value: float, *, probability: float) -> TopicScore:
    from bot.core.models import ModelPart, TermHit

    return TopicScore(
        topic=topic,
        score=value,
        matched=False,
        terms=(TermHit("zebra", "animals", 1),),
        model=ModelPart(probability=probability, added=0.0),
    )


@pytest.mark.parametrize(
    ("item", "scores", "body", "wanted"),
    [
        # near the threshold, evidence in the body too
        (Item("t", link="http://x/a", summary="s"), [score("zoo", 0.4)], [score("zoo", 0.2)], True),
        # far below, but the evidence is all in the headline
        (Item("t", link="http://x/a"), [score("zoo", 0.1)], [score("zoo", 0, terms=False)], True),
        # far below, with body evidence in a summary of some length: the article would not
        # change much
        (
            Item("t", link="http://x/a", summary="s " * 250),
            [score("zoo", 0.1)],
            [score("zoo", 0.1)],
            False,
        ),
        # far below, but terse (a headline and a sentence) and saying something of the topic:
        # the story is behind the link
        (
            Item("t", link="http://x/a", summary="s " * 150),
            [score("zoo", 0.1)],
            [score("zoo", 0.1)],
            True,
        ),
        # terse, but only an exclusion term (the other sense of the words) found
        (
            Item("t", link="http://x/a", summary="s"),
            [exclusion("zoo", 0.0)],
            [exclusion("zoo", 0.0)],
            False,
        ),
        # a summary of some length, but the text model leans towards relevant
        (
            Item("t", link="http://x/a", summary="s " * 250),
            [modelled("zoo", 0.2, probability=0.6)],
            [score("zoo", 0.1)],
            True,
        ),
        # ... and not when it leans away
        (
            Item("t", link="http://x/a", summary="s " * 250),
            [modelled("zoo", 0.2, probability=0.1)],
            [score("zoo", 0.1)],
            False,
        ),
        # already matched
        (Item("t", link="http://x/a"), [score("zoo", 0.9, matched=True)], [], False),
        # no link to read
        (Item("t"), [score("zoo", 0.4)], [], False),
        # the feed already carries the article
        (Item("t", link="http://x/a", content="w " * 800), [score("zoo", 0.4)], [], False),
        # nothing of the topic at all
        (Item("t", link="http://x/a"), [score("zoo", 0.0, terms=False)], [], False),
    ],
)
def test_which_items_get_their_article_read(
    item: Item, scores: list[TopicScore], body: list[TopicScore], wanted: bool
) -> None:
    """Near the threshold (within the margin), terse text saying something of the topic, a
    text model leaning towards relevant, or evidence only in the headline; with a link and
    little text, and not matched yet."""
    assert wants_article(item, scores, body, {"zoo": 0.5}, margin=0.15) is wanted


def test_metrics_start_at_zero_for_every_result() -> None:
    """/metrics shows the three article results before the first fetch."""
    text = Metrics().render().decode()
    for result in ("ok", "failed", "cached"):
        assert f'narcowatch_article_fetches_total{{result="{result}"}} 0.0' in text
