"""Parse and score jobs in a small pool of worker processes, each job within its source's budget.

A job that overruns its budget cannot be stopped inside a thread (and a regex or a parser loop
holds the GIL, freezing the event loop with it), so jobs run in long-lived worker processes
(`bot.services.parse_worker`), and a worker whose job overruns is killed and replaced. The
source gets a parse failure ("parse budget of 5s exceeded"); everything else carries on. Workers
are started on first use and reused across polls, so start-up cost is paid once per worker.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from types import TracebackType
from typing import Any

from bot.errors import ParseError, WorkersBusy
from bot.matching import Matcher
from bot.matching.spec import TopicSpec
from bot.services.parse_jobs import Budget, ParsedEntries, ParseJob, score_entries
from bot.services.ports import Scorer, StoredEntry
from bot.services.worker_messages import HEADER
from bot.services.worker_slots import PrioritySlots

log = logging.getLogger("narcowatch.parse_runner")

WORKER_COMMAND = (sys.executable, "-m", "bot.services.parse_worker")
START_TIMEOUT_S = 60.0  # importing and compiling topics on a busy machine; not a source's cost
STOP_TIMEOUT_S = 2.0


class WorkerFailed(ParseError):
    """The worker process died or answered nonsense while running a job."""


class _Worker:
    """One worker process and the topics generation it has compiled."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.generation = 0
        self.reads_articles = False
        """Whether it has loaded the article extractor (trafilatura, a second on a busy
        machine: worker start-up, not the first page's cost)."""

    @classmethod
    async def start(cls) -> _Worker:
        process = await asyncio.create_subprocess_exec(
            *WORKER_COMMAND, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        worker = cls(process)
        try:
            async with asyncio.timeout(START_TIMEOUT_S):
                kind, _ = await worker.read()
        except BaseException:
            await worker.kill()
            raise
        if kind != "ready":
            await worker.kill()
            raise WorkerFailed(f"parse worker did not start: {kind}")
        log.info("parse_worker.started", extra={"pid": process.pid})
        return worker

    async def request(self, message: tuple[Any, ...]) -> tuple[str, Any]:
        # Pickling and unpickling megabytes takes milliseconds: off the event loop too.
        data = await asyncio.to_thread(pickle.dumps, message, pickle.HIGHEST_PROTOCOL)
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(HEADER.pack(len(data)))
            stdin.write(data)
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise WorkerFailed("parse worker stopped unexpectedly") from exc
        return await self.read()

    async def read(self) -> tuple[str, Any]:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            (size,) = HEADER.unpack(await stdout.readexactly(HEADER.size))
            data = await stdout.readexactly(size)
        except asyncio.IncompleteReadError as exc:
            raise WorkerFailed("parse worker stopped unexpectedly") from exc
        reply: tuple[str, Any] = await asyncio.to_thread(pickle.loads, data)
        return reply

    async def kill(self) -> None:
        with suppress(ProcessLookupError):
            self.process.kill()
        await self.process.wait()

    async def stop(self) -> None:
        """Let the worker finish on end of input; kill it when it does not."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await self.process.wait()
        except TimeoutError:
            await self.kill()


class ProcessRunner:
    """A pool of `workers` parse worker processes (use as an async context manager)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._slots = PrioritySlots(workers)
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()
        self._scorer: Scorer | None = None
        self._topics: tuple[TopicSpec, ...] = ()
        self._generation = 0
        self.replaced = 0
        """Workers killed because a job overran its budget or the worker failed."""

    @property
    def busy(self) -> int:
        """Jobs holding a worker (or starting one) now."""
        return self.workers - self._slots.free

    @property
    def waiting(self) -> int:
        """Jobs waiting for a free worker now."""
        return self._slots.waiting

    async def __aenter__(self) -> ProcessRunner:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop every worker at once: none holds anything to keep, and killing spares the
        daemon's stop a worker's own wind-down (seconds on a loaded machine)."""
        workers = self._live | set(self._idle)
        self._idle = []
        self._live = set()
        await asyncio.gather(*(worker.kill() for worker in workers))

    async def parse(self, job: ParseJob, budget: Budget) -> ParsedEntries:
        result: ParsedEntries = await self._call(("parse", job), budget, urgent=True)
        return result

    async def score(
        self,
        entries: Sequence[StoredEntry],
        scorer: Scorer,
        topics: tuple[str, ...] | None,
        budget: Budget,
    ) -> list[StoredEntry]:
        if not entries:
            return []
        if not isinstance(scorer, Matcher):  # a scorer a worker cannot rebuild from topics
            return await asyncio.to_thread(score_entries, entries, scorer, topics)
        result: list[StoredEntry] = await self._call(
            ("score", tuple(entries), topics),
            budget,
            scorer=scorer,
            urgent=True,
        )
        return result

    async def extract(self, body: bytes, url: str, content_type: str | None, budget: Budget) -> str:
        """An article page's main text (trafilatura), within `budget`; feeds' parse and score
        jobs go first when a worker comes free."""
        text: str = await self._call(
            ("article", body, url, content_type), budget, urgent=False, articles=True
        )
        return text

    async def _call(
        self,
        message: tuple[Any, ...],
        budget: Budget,
        *,
        urgent: bool,
        scorer: Matcher | None = None,
        articles: bool = False,
    ) -> Any:
        loop = asyncio.get_running_loop()
        async with self._worker(budget, urgent=urgent) as worker:
            if scorer is not None:
                await self._load_topics(worker, scorer)
            if articles and not worker.reads_articles:
                await self._prepare(worker, ("articles",), "load the article extractor")
                worker.reads_articles = True
            started = loop.time()
            try:
                async with asyncio.timeout(budget.remaining):
                    kind, value = await worker.request(message)
            except TimeoutError:
                raise budget.exceeded() from None
            finally:
                budget.spent += loop.time() - started
        if kind == "ok":
            return value
        if kind == "parse_error":
            raise ParseError(value)
        raise ParseError(f"parse failed: {value}")

    async def _load_topics(self, worker: _Worker, scorer: Matcher) -> None:
        if scorer is not self._scorer:  # the daemon swaps the matcher on reload
            self._scorer, self._topics = scorer, scorer.topics
            self._generation += 1
        if worker.generation == self._generation:
            return
        await self._prepare(worker, ("topics", self._topics), "compile topics")
        worker.generation = self._generation

    @staticmethod
    async def _prepare(worker: _Worker, message: tuple[Any, ...], what: str) -> None:
        """A worker's own set-up, bounded like its start rather than by a source's budget."""
        async with asyncio.timeout(START_TIMEOUT_S):
            kind, value = await worker.request(message)
        if kind != "ok":
            raise WorkerFailed(f"parse worker could not {what}: {value}")

    @asynccontextmanager
    async def _worker(self, budget: Budget, *, urgent: bool) -> AsyncIterator[_Worker]:
        """A worker for one job. Waiting for a free one is bounded by the job's budget (see
        Budget): when it runs out first, WorkersBusy, and no worker is touched (issue 17: a
        source queued behind slow jobs waited outside every budget)."""
        await self._acquire(budget, urgent=urgent)
        try:
            worker = await self._idle_or_new()
            try:
                yield worker
            except BaseException as exc:
                # Overrun, cancelled or broken: its state is unknown, so it goes.
                self._live.discard(worker)
                self.replaced += 1
                log.warning(
                    "parse_worker.killed",
                    extra={"pid": worker.process.pid, "reason": str(exc) or type(exc).__name__},
                )
                await asyncio.shield(worker.kill())
                raise
            if worker in self._live:
                self._idle.append(worker)
            else:  # the pool closed meanwhile
                await worker.stop()
        finally:
            self._slots.release()

    async def _acquire(self, budget: Budget, *, urgent: bool) -> None:
        if budget.remaining <= 0:  # spent by the source's earlier jobs
            raise budget.exceeded()
        waiting_spends_budget = budget.wait_s is None
        allowance = budget.wait_allowance
        if allowance is not None and allowance <= 0:
            raise WorkersBusy(0.0)
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(allowance):
                await self._slots.acquire(urgent=urgent)
        except TimeoutError:
            raise WorkersBusy(allowance or 0.0) from None
        finally:
            if waiting_spends_budget:
                budget.spent += loop.time() - started
        if waiting_spends_budget and budget.remaining <= 0:  # came free as the budget ran out
            self._slots.release()
            raise WorkersBusy(allowance or 0.0)

    async def _idle_or_new(self) -> _Worker:
        """An idle worker that is still alive (one may die idle, killed by the system's
        out-of-memory killer or an operator), else a new one: a job is never handed to a dead
        worker to fail on."""
        while self._idle:
            worker = self._idle.pop()
            if worker.process.returncode is None:
                return worker
            self._live.discard(worker)
            log.warning("parse_worker.died_idle", extra={"pid": worker.process.pid})
        return await self._start()

    async def _start(self) -> _Worker:
        worker = await _Worker.start()
        self._live.add(worker)
        return worker
