"""The daemon's HTTP side door: /healthz as JSON and /metrics for Prometheus."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.errors import NarcowatchError
from bot.ops.metrics import Metrics

log = logging.getLogger("narcowatch.health")

HealthCheck = Callable[[], Awaitable[dict[str, Any]]]


class HealthListenError(NarcowatchError):
    """The health server's address cannot be bound."""


Refresh = Callable[[], Awaitable[None]]


def build_app(
    check: HealthCheck, metrics: Metrics, *, refresh: Refresh | None = None
) -> web.Application:
    """An aiohttp app answering GET /healthz (200 healthy, 503 not) and GET /metrics.

    `refresh` runs before each /metrics answer to update gauges read from the database (the
    outbox backlog); when it fails the last values are served and the failure is logged.
    """

    async def healthz(_: web.Request) -> web.Response:
        try:
            report = await asyncio.wait_for(check(), timeout=5)
        except Exception as exc:  # a broken check is itself unhealthy, never a crash
            report = {"healthy": False, "error": f"health check failed: {exc}"}
        status = 200 if report.get("healthy") else 503
        return web.Response(
            status=status, text=json.dumps(report, default=str), content_type="application/json"
        )

    async def metrics_view(_: web.Request) -> web.Response:
        if refresh is not None:
            try:
                await asyncio.wait_for(refresh(), timeout=5)
            except Exception as exc:
                log.warning(
                    "metrics.refresh_failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300]}
                )
        return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)
    return app


class HealthServer:
    """Serves the app on host:port until stopped."""

    def __init__(self, app: web.Application, listen: str) -> None:
        self.app = app
        host, _, port = listen.rpartition(":")
        self.host = host.strip("[]")
        self.port = int(port)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise HealthListenError(
                f"cannot listen on {self.host}:{self.port} for /healthz: {exc.strerror or exc} "
                "(another program uses it? set health.listen)"
            ) from exc
        log.info("health.listening", extra={"address": f"{self.host}:{self.port}"})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
