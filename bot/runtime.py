"""The wired pieces one process runs with: opened from a configuration (database migrated,
config sources synced, topics compiled, HTTP client and parse workers started) and reloaded
in place. `narcowatch run` and `narcowatch poll` both start here (bot.daemon)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.core.models import HtmlSelectors
from bot.errors import ConfigError
from bot.fetch import FetchLimits, HttpFetcher
from bot.fetch.limits import limits_for
from bot.matching import compile_topics
from bot.matching.loader import model_description, trained_at
from bot.ops.metrics import Metrics
from bot.services.article_text import ArticleReader
from bot.services.configuration import Configuration, load_configuration
from bot.services.model_feedback import ModelFeedback, ModelStatus
from bot.services.parse_runner import ProcessRunner
from bot.services.poll import Poller
from bot.services.ports import Fetcher
from bot.settings import Settings
from bot.storage import SourceSpec, Store, create_engine_for, upgrade
from bot.storage.history import feedback_since_training

# The daemon's logger: these events (reload.applied, reload.rejected...) were always logged
# under it, and operators filter on it.
log = logging.getLogger("narcowatch.daemon")


def utc_now() -> datetime:
    return datetime.now(UTC)


def source_specs(settings: Settings) -> list[SourceSpec]:
    """The config's sources as the store syncs them."""
    specs = []
    for source in settings.sources:
        selectors = (
            HtmlSelectors(**source.selectors.model_dump()) if source.selectors is not None else None
        )
        specs.append(
            SourceSpec(
                name=source.name,
                url=source.url,
                type=source.type,
                interval_s=settings.source_interval(source),
                topics=source.topics,
                selectors=selectors,
                enabled=source.enabled,
                headers=tuple(settings.source_headers(source).items()),
            )
        )
    return specs


def fetch_limits(settings: Settings) -> FetchLimits:
    return limits_for(settings.polling)


@dataclass
class Runtime:
    """The wired pieces one process runs with."""

    config: Configuration
    store: Store
    poller: Poller
    fetcher: Fetcher
    metrics: Metrics
    owner: str
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """SIGHUP, /reload and the file watcher may ask at once: one reload at a time."""
    on_reload: list[Callable[[Settings], None]] = field(default_factory=list)
    """Told the new settings after each applied reload."""

    async def reload_summary(self, env: Mapping[str, str]) -> str:
        """Reload, as one message for the admin who asked in Telegram."""
        problems = await self.reload(env)
        if problems:
            return "Reload rejected; the old config stays in force:\n" + "\n".join(problems)
        return (
            f"Reloaded: {len(self.config.settings.sources)} sources, "
            f"topics {', '.join(self.config.topic_ids)}."
        )

    async def reload(self, env: Mapping[str, str]) -> list[str]:
        """Re-read config and topic files and apply sources and topics without a restart.

        An invalid new config changes nothing: its problems are logged and returned, and the
        old config stays in force. Returns the problems (empty when the reload was applied).
        """
        async with self.reload_lock:
            return await self._reload(env)

    async def _reload(self, env: Mapping[str, str]) -> list[str]:
        try:
            new = await asyncio.to_thread(load_configuration, self.config.path, env=env)
            matcher = await asyncio.to_thread(compile_topics, new.topics)
        except ConfigError as exc:
            problems = [str(problem) for problem in exc.problems]
            log.error("reload.rejected", extra={"problems": problems})
            return problems
        old = self.config.settings
        for key in ("database_url", "health", "telegram"):
            if getattr(old, key) != getattr(new.settings, key):
                log.warning("reload.needs_restart", extra={"key": key})
        report = await asyncio.to_thread(
            self.store.sync_config_sources, source_specs(new.settings), now=utc_now()
        )
        self.poller.scorer = matcher
        self.poller.apply(new.settings)
        self.config = new
        for hook in self.on_reload:
            hook(new.settings)
        log.info(
            "reload.applied",
            extra={
                "topics": list(new.topic_ids),
                "sources": len(new.settings.sources),
                "sync": str(report),
            },
        )
        return []


def feedback_since_models(runtime: Runtime) -> list[ModelFeedback]:
    """Per topic with a dated text model, the verdicts given since it was trained, which the
    next `narcowatch train --feedback` would learn from."""
    config = runtime.config
    models = {}
    for path, spec in zip(config.settings.topics, config.topics, strict=True):
        model = spec.model
        if model is not None and model.loaded is not None:
            at = trained_at(path, model)
            if at is not None:
                models[spec.id] = (model.loaded.digest, at)
    tallies = feedback_since_training(
        runtime.store.engine, {topic: at for topic, (_, at) in models.items()}
    )
    found = []
    for topic, (digest, at) in models.items():
        tally = tallies[topic]
        found.append(
            ModelFeedback(topic, digest, at, tally.relevant, tally.not_relevant, tally.missed)
        )
    return found


def model_statuses(runtime: Runtime) -> list[ModelStatus]:
    """Every topic's text model, where it came from and the verdicts since (/models)."""
    config = runtime.config
    feedback = {found.topic: found for found in feedback_since_models(runtime)}
    return [
        ModelStatus(spec.id, model_description(path, spec), feedback.get(spec.id))
        for path, spec in zip(config.settings.topics, config.topics, strict=True)
    ]


def article_reader(runtime: Runtime, runner: ProcessRunner) -> ArticleReader:
    """Article pages for items whose feed text leaves the verdict open, counted in /metrics;
    extracted and scored again in the parse workers."""
    return ArticleReader(
        runtime.fetcher,
        runtime.config.settings.articles,
        topics=lambda: runtime.config.topics,
        on_result=runtime.metrics.count_article,
        runner=runner,
    )


@asynccontextmanager
async def open_runtime(config: Configuration) -> AsyncIterator[Runtime]:
    """Migrate the database, sync config sources, compile topics, open the HTTP client."""
    settings = config.settings
    engine = create_engine_for(settings.database_url)
    try:
        await asyncio.to_thread(upgrade, settings.database_url)
        store = Store(engine)
        await asyncio.to_thread(store.sync_config_sources, source_specs(settings), now=utc_now())
        matcher = compile_topics(config.topics)
        async with (
            HttpFetcher(fetch_limits(settings)) as fetcher,
            ProcessRunner(settings.polling.parse_workers) as runner,
        ):
            poller = Poller(
                fetcher=fetcher, store=store, scorer=matcher, clock=utc_now, runner=runner
            )
            owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
            runtime = Runtime(config, store, poller, fetcher, Metrics(), owner)
            poller.articles = article_reader(runtime, runner)
            poller.apply(settings)
            yield runtime
    finally:
        engine.dispose()
