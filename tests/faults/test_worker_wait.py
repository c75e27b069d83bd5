"""Waiting for a parse worker: feeds before article pages, and never outside a budget (issue 17).

Two feeds of article pages that take trafilatura long held the only worker while every other
source's parse queued behind them, and that wait was outside every budget. These tests hold the
worker with a real extraction and queue jobs behind it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

import pytest

from bot.errors import WorkersBusy
from bot.services.parse_jobs import Budget, ParseJob
from bot.services.parse_runner import ProcessRunner
from tests.support import hostile
from tests.support.floodrun import slow_page

PAGE = b"<html><body><article><p>The keeper fed the zebra at the park.</p></article></body></html>"


async def until(condition: object, what: str) -> None:
    """Wait (at most 60 s) until `condition()` holds."""
    async with asyncio.timeout(60):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_a_feed_queued_after_article_pages_is_parsed_before_them() -> None:
    """With the only worker extracting a heavy page, an article page queued first and a feed
    queued after it: the feed is parsed before that page is extracted."""
    finished: list[str] = []

    async def job(name: str, work: Awaitable[object]) -> None:
        await work
        finished.append(name)

    body, content_type = hostile.normal_feed(3)
    async with ProcessRunner(1) as runner:
        heavy = asyncio.create_task(
            job(
                "heavy", runner.extract(slow_page(2_000_000), "http://x/a", "text/html", Budget(60))
            )
        )
        await until(lambda: runner.busy == 1, "the heavy page holds the worker")
        page = asyncio.create_task(
            job("page", runner.extract(PAGE, "http://x/b", "text/html", Budget(60)))
        )
        await until(lambda: runner.waiting == 1, "the page queued")
        feed = asyncio.create_task(
            job("feed", runner.parse(ParseJob(body, "http://x/f", content_type), Budget(60)))
        )
        await until(lambda: runner.waiting == 2, "the feed queued")
        await asyncio.gather(heavy, page, feed)
    assert finished == ["heavy", "feed", "page"]


async def test_a_page_that_waits_past_its_time_never_runs_and_costs_no_worker() -> None:
    """An article page whose time runs out while it waits for the busy worker fails at once
    with WorkersBusy (on main it waited for the worker, outside any budget, then ran); no
    worker is replaced, and the page is read normally once the worker is free."""
    async with ProcessRunner(1) as runner:
        heavy = asyncio.create_task(
            runner.extract(slow_page(2_000_000), "http://x/a", "text/html", Budget(60))
        )
        await until(lambda: runner.busy == 1, "the heavy page holds the worker")
        with pytest.raises(WorkersBusy, match=r"^no parse worker came free within 0\.3s$"):
            await runner.extract(PAGE, "http://x/b", "text/html", Budget(0.3))
        assert not heavy.done()
        assert runner.replaced == 0
        await heavy
        text = await runner.extract(PAGE, "http://x/b", "text/html", Budget(60))
    assert "zebra" in text
    assert runner.replaced == 0


async def test_a_fresh_workers_first_page_pays_for_its_extraction_not_for_loading_trafilatura() -> (
    None
):
    """Loading the extractor is a worker's set-up, like compiling the topics: a fresh worker's
    first page was charged the import too (a second on a loaded machine), so a page that takes
    milliseconds failed an `articles.timeout` of 1 s. Now the first page's budget pays for what
    the second one's does."""
    async with ProcessRunner(1) as runner:
        first, second = Budget(60), Budget(60)
        text = await runner.extract(PAGE, "http://x/a", "text/html", first)
        await runner.extract(PAGE, "http://x/b", "text/html", second)
    assert "zebra" in text
    # Importing trafilatura takes 0.4 s of CPU on a quiet machine; the page, milliseconds.
    assert first.spent < second.spent + 0.25, (first.spent, second.spent)
    assert runner.replaced == 0
