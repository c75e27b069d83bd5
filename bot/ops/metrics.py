"""Prometheus metrics: one registry per daemon, so tests and several apps never share state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.core.models import PollOutcome


@dataclass
class Metrics:
    """The counters, gauges and histograms narcowatch exposes at /metrics."""

    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    _feedback_topics: set[str] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        r = self.registry
        self.polls = Counter("narcowatch_polls", "Source polls by result", ["result"], registry=r)
        self.fetch_errors = Counter(
            "narcowatch_fetch_errors", "Failed polls by error kind", ["kind"], registry=r
        )
        self.new_items = Counter("narcowatch_new_items", "New items stored", registry=r)
        self.items_refused = Counter(
            "narcowatch_items_refused", "Items the database refused (skipped)", registry=r
        )
        self.items_capped = Counter(
            "narcowatch_items_capped",
            "Items left out of a poll because the feed held more than polling.max_items",
            registry=r,
        )
        self.matches = Counter("narcowatch_matches", "Matches by topic", ["topic"], registry=r)
        self.poll_duration = Histogram(
            "narcowatch_poll_duration_seconds",
            "Duration of one source poll",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "narcowatch_outbox_backlog", "Alerts waiting to be sent", registry=r
        )
        self.outbox_oldest_age = Gauge(
            "narcowatch_outbox_oldest_age_seconds", "Age of the oldest unsent alert", registry=r
        )
        self.deliveries = Counter(
            "narcowatch_deliveries", "Telegram sends by result", ["result"], registry=r
        )
        self.telegram_429 = Counter(
            "narcowatch_telegram_rate_limited", "Telegram 429 answers", registry=r
        )
        self.sources_unhealthy = Gauge(
            "narcowatch_sources_unhealthy",
            "Sources failing or silent beyond their thresholds (as of the last health check)",
            registry=r,
        )
        self.article_fetches = Counter(
            "narcowatch_article_fetches",
            "Article pages read for items with little feed text, by result",
            ["result"],
            registry=r,
        )
        for result in ("ok", "failed", "cached", "skipped"):
            self.article_fetches.labels(result)
        self.feedback_since_model = Gauge(
            "narcowatch_feedback_since_model",
            "Subscriber verdicts a topic's text model has not learnt yet: alerts judged and items "
            "reported missed since it was trained (read from the database on each scrape)",
            ["topic", "kind"],
            registry=r,
        )
        self.delivery_latency = Histogram(
            "narcowatch_delivery_latency_seconds",
            "From match to Telegram message",
            buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600),
            registry=r,
        )

    def count_article(self, result: str) -> None:
        """One article page for an item with little feed text: ok, failed, cached, or skipped
        (its poll's article budget was spent, or no worker came free in time)."""
        self.article_fetches.labels(result).inc()

    def set_backlog(self, count: int, oldest_age_s: float | None) -> None:
        """The outbox gauges, from `Store.outbox_backlog` (no backlog: oldest age 0)."""
        self.outbox_backlog.set(count)
        self.outbox_oldest_age.set(max(oldest_age_s or 0.0, 0.0))

    def set_feedback_since_model(self, counts: Mapping[str, tuple[int, int]]) -> None:
        """Per topic with a text model: (alerts judged, items reported missed) since it was
        trained. Topics no longer listed (a reload dropped them or their model) are removed."""
        for labels in self._feedback_topics - counts.keys():
            for kind in ("judged", "missed"):
                self.feedback_since_model.remove(labels, kind)
        for topic, (judged, missed) in counts.items():
            self.feedback_since_model.labels(topic, "judged").set(judged)
            self.feedback_since_model.labels(topic, "missed").set(missed)
        self._feedback_topics = set(counts)

    def record_poll(self, outcome: PollOutcome, seconds: float) -> None:
        """Count one poll: its result, duration, new items, matches or error kind."""
        self.poll_duration.observe(seconds)
        if outcome.ok:
            self.polls.labels("not_modified" if outcome.not_modified else "ok").inc()
            self.new_items.inc(outcome.new_items)
            self.items_refused.inc(outcome.refused_items)
            self.items_capped.inc(outcome.beyond_cap)
            for match in outcome.matches:
                self.matches.labels(match.score.topic).inc()
        else:
            self.polls.labels("failed").inc()
            self.fetch_errors.labels(outcome.error_kind or "unknown").inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
