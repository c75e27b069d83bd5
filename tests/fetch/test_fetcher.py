"""Integration tests of HttpFetcher against the loopback feed server, one per fetching rule."""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot import __version__
from bot.core.models import FetchRequest
from bot.errors import (
    GoneFetchError,
    ParseError,
    PermanentFetchError,
    RateLimitedFetchError,
    TransientFetchError,
)
from bot.fetch import FetchLimits, HttpFetcher
from bot.parse import parse_body
from tests.support.feedserver import FeedServer, rss_feed

MODIFIED = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)


async def test_fetches_body_and_validators(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A 200 returns the body, content type, ETag and Last-Modified, and parses."""
    url = feedserver.add_feed("/news.xml", rss_feed(3), etag='"v1"', last_modified=MODIFIED)
    result = await fetcher.fetch(FetchRequest(url=url))
    assert result.status == 200
    assert result.url == url
    assert result.etag == '"v1"'
    assert result.last_modified == "Fri, 01 Mar 2024 08:00:00 GMT"
    assert result.permanent_url is None
    assert len(parse_body(result.body, url=url, content_type=result.content_type).items) == 3


async def test_user_agent_names_narcowatch(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """Every request carries a User-Agent naming narcowatch and its version."""
    await fetcher.fetch(FetchRequest(url=feedserver.url("/rss/1")))
    (request,) = feedserver.requests_to("/rss/1")
    assert request.headers["user-agent"].startswith(f"narcowatch/{__version__} (+https://")
    assert "gzip" in request.headers["accept-encoding"]


async def test_etag_gives_304(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A stored ETag is sent as If-None-Match and a 304 comes back as not modified."""
    url = feedserver.add_feed("/news.xml", rss_feed(3), etag='"v1"')
    result = await fetcher.fetch(FetchRequest(url=url, etag='"v1"'))
    assert result.not_modified
    assert result.body == b""
    assert result.etag == '"v1"'
    assert feedserver.requests_to("/news.xml")[0].headers["if-none-match"] == '"v1"'


async def test_last_modified_gives_304(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A stored Last-Modified is sent as If-Modified-Since and honoured."""
    url = feedserver.add_feed("/news.xml", rss_feed(3), last_modified=MODIFIED)
    stamp = format_datetime(MODIFIED, usegmt=True)
    result = await fetcher.fetch(FetchRequest(url=url, last_modified=stamp))
    assert result.status == 304
    assert result.last_modified == stamp
    assert feedserver.requests_to("/news.xml")[0].headers["if-modified-since"] == stamp


async def test_changed_feed_gives_200_despite_validators(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """An ETag that no longer matches gets the new body and the new ETag."""
    url = feedserver.add_feed("/news.xml", rss_feed(4), etag='"v2"')
    result = await fetcher.fetch(FetchRequest(url=url, etag='"v1"'))
    assert result.status == 200
    assert result.etag == '"v2"'


@pytest.mark.parametrize("code", ["301", "308", "301,308"])
async def test_permanent_redirects_report_new_url(
    feedserver: FeedServer, fetcher: HttpFetcher, code: str
) -> None:
    """When every hop is a permanent redirect the final URL is reported as permanent_url."""
    result = await fetcher.fetch(FetchRequest(url=feedserver.url(f"/redirect/2?code={code}")))
    assert result.status == 200
    assert result.url == feedserver.url("/rss/3")
    assert result.permanent_url == feedserver.url("/rss/3")


@pytest.mark.parametrize("code", ["302", "307", "301,302", "302,301"])
async def test_temporary_redirects_keep_the_url(
    feedserver: FeedServer, fetcher: HttpFetcher, code: str
) -> None:
    """A chain with any temporary redirect is followed but reports no permanent_url."""
    result = await fetcher.fetch(FetchRequest(url=feedserver.url(f"/redirect/2?code={code}")))
    assert result.status == 200
    assert result.url == feedserver.url("/rss/3")
    assert result.permanent_url is None


async def test_permanent_redirect_then_304(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A moved feed that is unchanged is a 304 that still reports the new URL."""
    feedserver.add_feed("/moved.xml", rss_feed(1), etag='"m"')
    result = await fetcher.fetch(
        FetchRequest(url=feedserver.url("/redirect/1?code=301&to=/moved.xml"), etag='"m"')
    )
    assert result.not_modified
    assert result.permanent_url == feedserver.url("/moved.xml")


async def test_five_redirects_are_followed(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """Up to five redirects lead to the feed."""
    result = await fetcher.fetch(FetchRequest(url=feedserver.url("/redirect/5")))
    assert result.status == 200


async def test_six_redirects_are_too_many(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A sixth redirect is a permanent error and is not followed."""
    with pytest.raises(PermanentFetchError, match=r"too many redirects \(over 5\)"):
        await fetcher.fetch(FetchRequest(url=feedserver.url("/redirect/6")))
    assert len(feedserver.requests) == 6


async def test_redirect_loop(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A redirect back to a URL already visited is reported as a loop at that URL."""
    with pytest.raises(PermanentFetchError, match=r"redirect loop at .*/loop/a"):
        await fetcher.fetch(FetchRequest(url=feedserver.url("/loop/a")))


async def test_redirect_to_non_web_scheme(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A redirect to file: or ftp: is refused."""
    with pytest.raises(PermanentFetchError, match="only http and https"):
        await fetcher.fetch(FetchRequest(url=feedserver.url("/redirect/1?to=file:///etc/passwd")))


async def test_gone(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """HTTP 410 is a GoneFetchError so the source gets disabled."""
    with pytest.raises(GoneFetchError, match=r"HTTP 410 Gone from 127\.0\.0\.1") as caught:
        await fetcher.fetch(FetchRequest(url=feedserver.url("/status/410")))
    assert caught.value.status == 410


async def test_429_retry_after_seconds(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """HTTP 429 with Retry-After in seconds is rate limited for that long."""
    with pytest.raises(RateLimitedFetchError, match="retry after 120 s") as caught:
        await fetcher.fetch(FetchRequest(url=feedserver.url("/status/429?retry_after=120")))
    assert caught.value.retry_after == 120.0
    assert caught.value.status == 429


async def test_429_retry_after_date(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """HTTP 429 with Retry-After as an HTTP date waits until that date."""
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=600), usegmt=True)
    with pytest.raises(RateLimitedFetchError) as caught:
        await fetcher.fetch(FetchRequest(url=feedserver.url(f"/status/429?retry_after={later}")))
    assert caught.value.retry_after is not None
    assert 590 <= caught.value.retry_after <= 600


async def test_503_is_rate_limited(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """HTTP 503 is rate limited, with or without Retry-After."""
    with pytest.raises(RateLimitedFetchError) as caught:
        await fetcher.fetch(FetchRequest(url=feedserver.url("/status/503?retry_after=30")))
    assert caught.value.retry_after == 30.0
    with pytest.raises(RateLimitedFetchError) as caught:
        await fetcher.fetch(FetchRequest(url=feedserver.url("/status/503")))
    assert caught.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 504, 408])
async def test_server_errors_are_transient(
    feedserver: FeedServer, fetcher: HttpFetcher, status: int
) -> None:
    """5xx (and 408) are transient errors naming the status and host."""
    with pytest.raises(TransientFetchError, match=rf"^HTTP {status} .*from 127\.0\.0\.1") as caught:
        await fetcher.fetch(FetchRequest(url=feedserver.url(f"/status/{status}")))
    assert not isinstance(caught.value, RateLimitedFetchError)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 451])
async def test_client_errors_are_permanent(
    feedserver: FeedServer, fetcher: HttpFetcher, status: int
) -> None:
    """Other 4xx statuses are permanent errors."""
    with pytest.raises(PermanentFetchError, match=rf"^HTTP {status}") as caught:
        await fetcher.fetch(FetchRequest(url=feedserver.url(f"/status/{status}")))
    assert not isinstance(caught.value, GoneFetchError)


async def test_slow_response_times_out(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A server that does not answer in time is a transient timeout."""
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match=r"timed out after 1 s fetching 127\.0\.0\.1"):
        await fetcher.fetch(FetchRequest(url=feedserver.url("/slow?delay=5")))
    assert time.monotonic() - started < 4  # the timeout cut it: the answer comes after 5 s


async def test_trickling_body_hits_the_deadline(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """A body that trickles a byte every 0.1 s (never idle long enough for the read timeout)
    is cut off by the overall deadline."""
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="timed out after 1 s"):
        await fetcher.fetch(FetchRequest(url=feedserver.url("/trickle?interval=0.1&count=100")))
    assert time.monotonic() - started < 4  # the deadline cut it: the body takes 10 s


async def test_oversize_by_content_length(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A declared Content-Length over the cap is refused before reading the body."""
    size = 2 * 1024 * 1024
    with pytest.raises(PermanentFetchError, match=r"body over 1 MB cap .*Content-Length"):
        await fetcher.fetch(FetchRequest(url=feedserver.url(f"/big?size={size}")))


async def test_oversize_while_streaming(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A chunked body without Content-Length is cut off once it passes the cap."""
    size = 3 * 1024 * 1024
    with pytest.raises(PermanentFetchError, match=r"^body over 1 MB cap from 127\.0\.0\.1$"):
        await fetcher.fetch(FetchRequest(url=feedserver.url(f"/big?size={size}&chunked=1")))


async def test_body_exactly_at_cap_is_fine(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A body of exactly the cap is accepted."""
    size = 1024 * 1024
    result = await fetcher.fetch(FetchRequest(url=feedserver.url(f"/big?size={size}&chunked=1")))
    assert len(result.body) == size


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_compression_bomb_is_capped(
    feedserver: FeedServer, fetcher: HttpFetcher, encoding: str
) -> None:
    """A few KB that decompress to 20 MB are refused at the cap after decoding."""
    with pytest.raises(PermanentFetchError, match="body over 1 MB cap"):
        await fetcher.fetch(FetchRequest(url=feedserver.url(f"/bomb/{encoding}")))


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
async def test_compressed_feed_is_decoded(
    feedserver: FeedServer, fetcher: HttpFetcher, encoding: str
) -> None:
    """gzip, deflate and brotli bodies are decoded."""
    result = await fetcher.fetch(FetchRequest(url=feedserver.url(f"/compressed/{encoding}")))
    assert len(parse_body(result.body, url=result.url, content_type=None).items) == 5


async def test_bad_gzip_is_permanent(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """A body that is not valid for its Content-Encoding is a permanent error."""
    url = feedserver.add_feed("/bad.gz", b"not gzip at all", headers={"Content-Encoding": "gzip"})
    with pytest.raises(PermanentFetchError, match="could not decode gzip body"):
        await fetcher.fetch(FetchRequest(url=url))


async def test_html_page_fetches_then_fails_to_parse(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """An HTML page is fetched fine; parsing it says it is not a feed."""
    result = await fetcher.fetch(FetchRequest(url=feedserver.url("/html")))
    assert result.status == 200
    with pytest.raises(ParseError, match="got an HTML page"):
        parse_body(result.body, url=result.url, content_type=result.content_type)


async def test_garbage_fetches_then_fails_to_parse(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """Random bytes are fetched fine; parsing them is a ParseError."""
    result = await fetcher.fetch(FetchRequest(url=feedserver.url("/garbage")))
    with pytest.raises(ParseError, match="not a feed"):
        parse_body(result.body, url=result.url, content_type=result.content_type)


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "file:///etc/passwd", "example.org"])
async def test_non_http_urls_are_refused(fetcher: HttpFetcher, url: str) -> None:
    """Only http and https URLs are fetched."""
    with pytest.raises(PermanentFetchError, match="only http and https"):
        await fetcher.fetch(FetchRequest(url=url))


async def test_connection_refused_is_transient(fetcher: HttpFetcher) -> None:
    """Nothing listening on the port is a transient connection error naming the host."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransientFetchError, match=r"^connection to 127\.0\.0\.1 failed"):
        await fetcher.fetch(FetchRequest(url=f"http://127.0.0.1:{port}/feed"))


async def test_at_most_two_requests_per_host(feedserver: FeedServer, fetcher: HttpFetcher) -> None:
    """Ten simultaneous fetches from one host never have more than two requests in flight."""
    urls = [feedserver.add_feed(f"/f{i}.xml", rss_feed(1), delay=0.1) for i in range(10)]
    results = await asyncio.gather(*(fetcher.fetch(FetchRequest(url=u)) for u in urls))
    assert all(r.status == 200 for r in results)
    assert feedserver.max_in_flight(feedserver.host) == 2


async def test_overall_concurrency_limit(feedserver: FeedServer) -> None:
    """The overall limit caps requests in flight even when the per-host limit is higher."""
    urls = [feedserver.add_feed(f"/f{i}.xml", rss_feed(1), delay=0.1) for i in range(9)]
    limits = FetchLimits(timeout_s=2, per_host=10, concurrency=3)
    async with HttpFetcher(limits, trust_env=False) as fetcher:
        await asyncio.gather(*(fetcher.fetch(FetchRequest(url=u)) for u in urls))
    assert feedserver.max_in_flight() == 3


async def test_waiting_for_a_host_slot_does_not_count_as_timeout(feedserver: FeedServer) -> None:
    """Fetches queued behind others on the same host get their full timeout once they start."""
    urls = [feedserver.add_feed(f"/q{i}.xml", rss_feed(1), delay=0.3) for i in range(4)]
    limits = FetchLimits(timeout_s=0.8, per_host=1)
    async with HttpFetcher(limits, trust_env=False) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(FetchRequest(url=u)) for u in urls))
    assert [r.status for r in results] == [200] * 4
    assert feedserver.max_in_flight() == 1


async def test_non_ascii_validator_does_not_crash(
    feedserver: FeedServer, fetcher: HttpFetcher
) -> None:
    """A stored ETag with non-ASCII characters is sent as bytes rather than failing the fetch."""
    url = feedserver.add_feed("/news.xml", rss_feed(1), etag='"v1"')
    result = await fetcher.fetch(FetchRequest(url=url, etag='"vé"'))
    assert result.status == 200


async def test_304_answers_keep_their_connection(fetcher: HttpFetcher) -> None:
    """Unchanged feeds answered 304 one after another reuse one kept-alive connection."""
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                writer.write(b'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\n\r\n')
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        for _ in range(3):
            result = await fetcher.fetch(FetchRequest(f"http://127.0.0.1:{port}/f", etag='"v1"'))
            assert result.not_modified
    finally:
        for writer in writers:
            writer.close()
            await writer.wait_closed()
        server.close()
        await server.wait_closed()
    assert len(writers) == 1
