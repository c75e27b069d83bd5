"""A loopback feed server (aiohttp.web on 127.0.0.1, random port) for fetch, poll and bench tests.

Start it with the async context manager or the pytest fixture::

    from tests.support.feedserver import FeedServer, feed_server, rss_feed

    async with feed_server() as server:            # or the `feedserver` fixture
        url = server.add_feed("/news.xml", rss_feed(10), etag='"v1"')
        ...
        assert server.requests_to("/news.xml")[0].headers["user-agent"].startswith("narcowatch/")

To use the fixture elsewhere, import it into a conftest.py:
``from tests.support.feedserver import feedserver  # noqa: F401``.

Registered feeds (`add_feed(path, body, *, content_type, etag, last_modified, delay, headers)`
-> absolute URL) answer 200 with prebuilt bytes and headers, or 304 when `If-None-Match`
matches the ETag (or, without `If-None-Match`, when `If-Modified-Since` is not older than
Last-Modified). Calling `add_feed` again on a path replaces the feed (a new version).
`add_feeds(count, items)` registers `/feeds/<i>.xml` for i in range(count), each an RSS 2.0
feed with its own items, ETag and Last-Modified, and returns their URLs (benchmarks).
`remove_feed(path)` makes a path 404 again.

Built-in routes:

- ``/rss/<n>``: an RSS 2.0 feed of n items.
- ``/status/<n>?retry_after=V``: status n, with ``Retry-After: V`` when given.
- ``/slow?delay=S``: sleeps S seconds (default 5), then a small feed.
- ``/trickle?interval=S&count=N``: a 200 whose body trickles one byte every S seconds (slow
  loris; default 0.2 s, 1000 bytes), with no Content-Length.
- ``/redirect/<n>?code=C1,C2&to=PATH``: n redirects, then ``Location: PATH`` (default
  ``/rss/3``); hop i uses code Ci (the last one repeats; default 302).
- ``/loop/a`` and ``/loop/b``: 302 to each other forever.
- ``/big?size=N&chunked=1``: N bytes (default 6 MiB); with chunked=1 no Content-Length.
- ``/bomb/<gzip|deflate|br>?size=N``: N zero bytes (default 20 MiB) compressed, sent with that
  Content-Encoding (a zip bomb of a few KB).
- ``/compressed/<gzip|deflate|br>?items=N``: a valid RSS feed sent with that Content-Encoding.
- ``/garbage``: 4 KiB of random bytes served as application/rss+xml.
- ``/html``: an HTML page served as text/html (fetches fine, is not a feed).

Introspection: `requests` (every RecordedRequest: method, path, query, headers with lower-case
names), `requests_to(path)`, `max_in_flight(host=None)` (highest number of requests handled at
once, for one Host header or overall), `reset()` (forgets both).
"""

from __future__ import annotations

import asyncio
import gzip
import random
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from xml.sax.saxutils import escape

import brotli  # type: ignore[import-untyped]
import pytest_asyncio
from aiohttp import web

from tests.support.webserve import serve_app

RSS_TYPE = "application/rss+xml; charset=utf-8"
_EPOCH = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
_HTML_PAGE = (
    b"<!DOCTYPE html><html lang='en'><head><title>Not a feed</title></head>"
    b"<body><h1>Welcome</h1><p>This is a web page, not a feed.</p></body></html>"
)


def rss_feed(
    count: int,
    *,
    title: str = "Loopback feed",
    site: str = "http://example.org",
    prefix: str = "item",
    summary_words: int = 20,
    start: datetime = _EPOCH,
) -> bytes:
    """An RSS 2.0 feed of `count` items with guids `<prefix>-<i>`, links under `site`,
    hourly pubDates from `start` (newest first) and a summary of `summary_words` words."""
    words = " ".join(f"word{n % 97}" for n in range(summary_words))
    items = []
    for i in reversed(range(count)):
        when = format_datetime(start + timedelta(hours=i), usegmt=True)
        items.append(
            f"<item><title>{escape(prefix)} {i} headline</title>"
            f"<link>{escape(site)}/{escape(prefix)}/{i}</link>"
            f'<guid isPermaLink="false">{escape(prefix)}-{i}</guid>'
            f"<pubDate>{when}</pubDate>"
            f"<description>{escape(prefix)} {i}: {words}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{escape(site)}/</link>"
        f"<description>{escape(title)}</description><language>en</language>"
        + "".join(items)
        + "</channel></rss>"
    ).encode()


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """Header names lower-cased."""
    at: float = 0.0
    """time.monotonic() when the request arrived (comparable within the test process)."""


@dataclass(slots=True)
class _Feed:
    body: bytes
    headers: dict[str, str]
    etag: str | None
    last_modified: datetime | None
    delay: float


@dataclass(slots=True)
class _InFlight:
    now: int = 0
    most: int = 0


@dataclass
class FeedServer:
    """The running server: register feeds, then read what requests it got."""

    base_url: str = ""
    record_requests: bool = True
    """Benchmarks turn this off so that serving many requests does not grow a log."""
    requests: list[RecordedRequest] = field(default_factory=list)
    _feeds: dict[str, _Feed] = field(default_factory=dict)
    _in_flight: dict[str, _InFlight] = field(default_factory=dict)
    _overall: _InFlight = field(default_factory=_InFlight)

    def url(self, path: str) -> str:
        """The absolute URL of a path on this server."""
        return self.base_url + (path if path.startswith("/") else "/" + path)

    @property
    def host(self) -> str:
        """`127.0.0.1:<port>`, as sent in the Host header."""
        return self.base_url.split("://", 1)[1]

    def add_feed(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = RSS_TYPE,
        etag: str | None = None,
        last_modified: datetime | None = None,
        delay: float = 0.0,
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Serve `body` at `path` (replacing what was there) and return its URL."""
        prebuilt = {"Content-Type": content_type, **(headers or {})}
        if etag is not None:
            prebuilt["ETag"] = etag
        if last_modified is not None:
            prebuilt["Last-Modified"] = format_datetime(last_modified, usegmt=True)
        self._feeds[path] = _Feed(body, prebuilt, etag, last_modified, delay)
        return self.url(path)

    def add_feeds(self, count: int, items: int, *, summary_words: int = 200) -> list[str]:
        """Register `count` feeds of `items` items each at /feeds/<i>.xml; return their URLs."""
        return [
            self.add_feed(
                f"/feeds/{i}.xml",
                rss_feed(items, title=f"Feed {i}", prefix=f"f{i}", summary_words=summary_words),
                etag=f'"f{i}-v1"',
                last_modified=_EPOCH,
            )
            for i in range(count)
        ]

    def remove_feed(self, path: str) -> None:
        """Stop serving `path` (it answers 404)."""
        self._feeds.pop(path, None)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The requests received for one path, oldest first."""
        return [r for r in self.requests if r.path == path]

    def max_in_flight(self, host: str | None = None) -> int:
        """Most requests handled at once, for one Host header value or overall."""
        if host is None:
            return self._overall.most
        counter = self._in_flight.get(host)
        return counter.most if counter else 0

    def reset(self) -> None:
        """Forget recorded requests and in-flight maxima."""
        self.requests.clear()
        self._in_flight.clear()
        self._overall = _InFlight()

    # -- handlers -------------------------------------------------------------------------

    @web.middleware
    async def _track(self, request: web.Request, handler: web.Handler) -> web.StreamResponse:
        if self.record_requests:
            self.requests.append(
                RecordedRequest(
                    method=request.method,
                    path=request.path,
                    query=dict(request.query),
                    headers={k.lower(): v for k, v in request.headers.items()},
                    at=time.monotonic(),
                )
            )
        counters = (self._in_flight.setdefault(request.host, _InFlight()), self._overall)
        for counter in counters:
            counter.now += 1
            counter.most = max(counter.most, counter.now)
        try:
            return await handler(request)
        finally:
            for counter in counters:
                counter.now -= 1

    async def _registered(self, request: web.Request) -> web.StreamResponse:
        feed = self._feeds.get(request.path)
        if feed is None:
            raise web.HTTPNotFound(text=f"no feed at {request.path}")
        if feed.delay:
            await asyncio.sleep(feed.delay)
        if _not_modified(request, feed):
            return web.Response(status=304, headers=_validators(feed))
        return web.Response(body=feed.body, headers=feed.headers)

    async def _rss(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=_cached_rss(int(request.match_info["n"])), content_type=_RSS)

    async def _status(self, request: web.Request) -> web.StreamResponse:
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        status = int(request.match_info["n"])
        return web.Response(status=status, headers=headers, text=f"status {status}")

    async def _slow(self, request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(float(request.query.get("delay", "5")))
        return web.Response(body=_cached_rss(2), content_type=_RSS)

    async def _trickle(self, request: web.Request) -> web.StreamResponse:
        interval = float(request.query.get("interval", "0.2"))
        count = int(request.query.get("count", "1000"))
        response = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(count):
                await response.write(b" ")
                await asyncio.sleep(interval)
            await response.write_eof()
        except ConnectionError:
            pass  # the client gave up, which is what the test wants
        return response

    async def _redirect(self, request: web.Request) -> web.StreamResponse:
        remaining = int(request.match_info["n"])
        codes = request.query.get("code", "302").split(",")
        target = request.query.get("to", "/rss/3")
        if remaining <= 0:
            raise web.HTTPNotFound(text="redirect chains start at 1")
        if remaining == 1:
            location = target
        else:
            rest = ",".join(codes[1:] or codes)
            location = str(
                request.url.with_path(f"/redirect/{remaining - 1}").with_query(code=rest, to=target)
            )
        return web.Response(status=int(codes[0]), headers={"Location": location})

    async def _loop(self, request: web.Request) -> web.StreamResponse:
        other = "b" if request.match_info["name"] == "a" else "a"
        return web.Response(status=302, headers={"Location": f"/loop/{other}"})

    async def _big(self, request: web.Request) -> web.StreamResponse:
        size = int(request.query.get("size", str(6 * 1024 * 1024)))
        if request.query.get("chunked") != "1":
            return web.Response(body=_cached_padding(size), content_type=_RSS)
        response = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
        response.enable_chunked_encoding()
        await response.prepare(request)
        block = _cached_padding(64 * 1024)
        try:
            for offset in range(0, size, len(block)):
                await response.write(block[: size - offset])
            await response.write_eof()
        except ConnectionError:
            pass  # the fetcher stopped reading at its cap
        return response

    async def _bomb(self, request: web.Request) -> web.StreamResponse:
        encoding = request.match_info["encoding"]
        size = int(request.query.get("size", str(20 * 1024 * 1024)))
        # Compressing tens of MB takes a while: off the loop, so other requests are not held up.
        body = await asyncio.to_thread(compression_bomb, encoding, size)
        headers = {"Content-Type": RSS_TYPE, "Content-Encoding": encoding}
        return web.Response(body=body, headers=headers)

    async def _compressed(self, request: web.Request) -> web.StreamResponse:
        encoding = request.match_info["encoding"]
        body = _compress(encoding, _cached_rss(int(request.query.get("items", "5"))))
        headers = {"Content-Type": RSS_TYPE, "Content-Encoding": encoding}
        return web.Response(body=body, headers=headers)

    async def _garbage(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=random.Random(7).randbytes(4096), content_type=_RSS)

    async def _html(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=_HTML_PAGE, content_type="text/html", charset="utf-8")

    def build_app(self) -> web.Application:
        """The aiohttp application: built-in routes first, registered feeds for other paths."""
        app = web.Application(middlewares=[self._track])
        app.router.add_get("/rss/{n:\\d+}", self._rss)
        app.router.add_get("/status/{n:\\d+}", self._status)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/trickle", self._trickle)
        app.router.add_get("/redirect/{n:\\d+}", self._redirect)
        app.router.add_get("/loop/{name:[ab]}", self._loop)
        app.router.add_get("/big", self._big)
        app.router.add_get("/bomb/{encoding:gzip|deflate|br}", self._bomb)
        app.router.add_get("/compressed/{encoding:gzip|deflate|br}", self._compressed)
        app.router.add_get("/garbage", self._garbage)
        app.router.add_get("/html", self._html)
        app.router.add_get("/{tail:.*}", self._registered)
        return app


_RSS = "application/rss+xml"


def _not_modified(request: web.Request, feed: _Feed) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        # If-Modified-Since is ignored when If-None-Match is present (RFC 9110 13.1.3).
        if feed.etag is None:
            return False
        wanted = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in wanted or feed.etag.removeprefix("W/") in wanted
    if_modified_since = request.headers.get("If-Modified-Since")
    if if_modified_since and feed.last_modified is not None:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since >= feed.last_modified
    return False


def _validators(feed: _Feed) -> dict[str, str]:
    return {k: v for k, v in feed.headers.items() if k in ("ETag", "Last-Modified")}


@cache
def _cached_rss(count: int) -> bytes:
    return rss_feed(count)


@cache
def _cached_padding(size: int) -> bytes:
    return b"x" * size


@cache
def compression_bomb(encoding: str, size: int) -> bytes:
    """`size` zero bytes compressed, as /bomb/<encoding>?size= serves them (built once: a test
    with a short fetch timeout builds it before polling, or the first fetch may time out)."""
    return _compress(encoding, bytes(size))


def _compress(encoding: str, data: bytes) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data, compresslevel=9, mtime=0)
    if encoding == "deflate":
        return zlib.compress(data, 9)
    compressed: bytes = brotli.compress(data, quality=5)
    return compressed


@asynccontextmanager
async def feed_server(host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[FeedServer]:
    """Run a FeedServer on 127.0.0.1 (or another loopback address), on a random port unless
    given, for the duration of the block."""
    server = FeedServer()
    async with serve_app(
        server.build_app(), host, port, shutdown_timeout=0.2, access_log=False
    ) as (bound_host, bound_port):
        server.base_url = f"http://{bound_host}:{bound_port}"
        yield server


@pytest_asyncio.fixture
async def feedserver() -> AsyncIterator[FeedServer]:
    """A running FeedServer, stopped after the test."""
    async with feed_server() as server:
        yield server
