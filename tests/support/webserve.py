"""Serving an aiohttp app on loopback for a test, every connection closed at the end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.web_protocol import RequestHandler


@asynccontextmanager
async def serve_app(
    app: web.Application,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    shutdown_timeout: float = 0.5,
    access_log: bool = True,
) -> AsyncIterator[tuple[str, int]]:
    """Serve `app` on host:port (a free port when 0) for the block; yields the address bound.

    At the end every connection is closed, also one accepted while the server shut down:
    aiohttp closes the connections it knows when its shutdown starts, and a daemon polling
    every second may connect just then. Its transport, left open, was a ResourceWarning when
    the garbage collector met it later, failing whichever test was running then.
    """
    extra = {} if access_log else {"access_log": None}
    runner = web.AppRunner(app, shutdown_timeout=shutdown_timeout, **extra)
    await runner.setup()
    open_handlers: list[RequestHandler] = []  # (aiohttp's handlers take no weak reference)

    def connection() -> RequestHandler:
        assert runner.server is not None
        handler = runner.server()
        open_handlers[:] = [h for h in open_handlers if h.transport is not None]
        open_handlers.append(handler)
        return handler

    listener = await asyncio.get_running_loop().create_server(connection, host, port)
    bound = listener.sockets[0].getsockname()
    try:
        yield str(bound[0]), int(bound[1])
    finally:
        listener.close()
        await runner.cleanup()
        for handler in open_handlers:
            if handler.transport is not None:
                handler.transport.abort()
        # The transports' last callbacks (closing their sockets) run on the loop's next turn.
        await asyncio.sleep(0)
