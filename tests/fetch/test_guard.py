"""The connect-time SSRF guard: untrusted fetches reach public addresses only, redirects too."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from bot.core.models import FetchRequest
from bot.errors import PermanentFetchError, TransientFetchError
from bot.fetch import FetchLimits, HttpFetcher
from bot.fetch.addresses import IPAddress, is_public_address
from bot.fetch.fetcher import refused_text
from tests.support.feedserver import FeedServer, feed_server, rss_feed

LIMITS = FetchLimits(timeout_s=2.0)
# Tests cannot reach a real public address, so 127.0.0.2 plays the public internet.
STAND_IN_PUBLIC = ipaddress.ip_address("127.0.0.2")


def stand_in_policy(address: IPAddress) -> bool:
    return address == STAND_IN_PUBLIC


def untrusted(url: str) -> FetchRequest:
    return FetchRequest(url=url, allow_private=False)


async def test_untrusted_fetch_to_loopback_is_refused(feedserver: FeedServer) -> None:
    """With the guard on, a loopback URL is refused before any byte reaches the server."""
    url = feedserver.add_feed("/feed.xml", rss_feed(2))
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        with pytest.raises(PermanentFetchError) as caught:
            await fetcher.fetch(untrusted(url))
    assert str(caught.value) == refused_text("127.0.0.1")
    assert feedserver.requests_to("/feed.xml") == []


async def test_trusted_fetch_to_loopback_works(feedserver: FeedServer) -> None:
    """A config source (trusted, the default) may be on a private address."""
    url = feedserver.add_feed("/feed.xml", rss_feed(2))
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        result = await fetcher.fetch(FetchRequest(url=url))
    assert result.status == 200


async def test_host_name_resolving_to_loopback_is_refused(feedserver: FeedServer) -> None:
    """`localhost` is checked by the address it resolves to, at connect time."""
    feedserver.add_feed("/feed.xml", rss_feed(2))
    port = feedserver.host.rsplit(":", 1)[1]
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        with pytest.raises(PermanentFetchError, match="not a public address"):
            await fetcher.fetch(untrusted(f"http://localhost:{port}/feed.xml"))
    assert feedserver.requests_to("/feed.xml") == []


@pytest.mark.parametrize("code", ["301", "302", "308"])
async def test_redirect_to_loopback_is_refused(code: str) -> None:
    """A "public" server redirecting to 127.0.0.1 gets refused at the redirect's connect."""
    async with feed_server("127.0.0.2") as public, feed_server() as private:
        target = private.add_feed("/secret.xml", rss_feed(2, title="Internal"))
        start = public.url(f"/redirect/1?code={code}&to={target}")
        async with HttpFetcher(LIMITS, trust_env=False, address_policy=stand_in_policy) as f:
            with pytest.raises(PermanentFetchError) as caught:
                await f.fetch(untrusted(start))
        assert str(caught.value) == refused_text("127.0.0.1")
        assert len(public.requests_to("/redirect/1")) == 1
        assert private.requests == []


async def test_only_allowed_addresses_of_a_name_are_connected() -> None:
    """Of the addresses a name resolves to, the refused ones are never tried."""

    async def resolver(host: str, port: int) -> list[str]:
        assert host == "mixed.test"
        return ["127.0.0.1", "127.0.0.2"]

    async with feed_server("127.0.0.2") as public:
        port = int(public.host.rsplit(":", 1)[1])
        public.add_feed("/feed.xml", rss_feed(1))
        # The same port on 127.0.0.1 answers too: only the guard keeps the fetch off it.
        async with feed_server("127.0.0.1", port) as private:
            private.add_feed("/feed.xml", rss_feed(1))
            async with HttpFetcher(
                LIMITS, trust_env=False, address_policy=stand_in_policy, resolver=resolver
            ) as fetcher:
                result = await fetcher.fetch(untrusted(f"http://mixed.test:{port}/feed.xml"))
            assert private.requests == []
        assert result.status == 200
        assert public.requests_to("/feed.xml")[0].headers["host"] == f"mixed.test:{port}"


async def test_one_error_text_for_every_refusal() -> None:
    """A closed private port, an open one and a name that does not resolve read the same."""

    async def no_such_name(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    texts = []
    async with feed_server() as server:
        server.add_feed("/feed.xml", rss_feed(1))
        async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
            for url in (f"http://127.0.0.1:{closed}/x", server.url("/feed.xml")):
                with pytest.raises(PermanentFetchError) as caught:
                    await fetcher.fetch(untrusted(url))
                texts.append(str(caught.value))
        async with HttpFetcher(LIMITS, trust_env=False, resolver=no_such_name) as fetcher:
            with pytest.raises(PermanentFetchError) as caught:
                await fetcher.fetch(untrusted("http://127.0.0.1/feed.xml"))
            texts.append(str(caught.value))
    assert set(texts) == {refused_text("127.0.0.1")}


async def test_trusted_errors_stay_detailed() -> None:
    """Config sources keep their precise errors (connection refused is transient)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        with pytest.raises(TransientFetchError, match=r"connection to 127\.0\.0\.1 failed"):
            await fetcher.fetch(FetchRequest(url=f"http://127.0.0.1:{closed}/x"))


@pytest.mark.parametrize(
    "text",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::127.0.0.1",
        "::10.0.0.1",
        "64:ff9b::7f00:1",
        "64:ff9b::a00:1",
        "64:ff9b:1::808:808",
        "2002:7f00:1::",
        "2002:a00:1::1",
        "2002:c0a8:101::1",
        "2001:db8::1",
        "fe80::1%1",
    ],
)
def test_classifier_refuses_non_public(text: str) -> None:
    """Private, loopback, link-local, multicast, reserved and their IPv6 disguises are refused."""
    assert not is_public_address(ipaddress.ip_address(text))


@pytest.mark.parametrize(
    "text",
    [
        "8.8.8.8",
        "93.184.216.34",
        "2606:4700:4700::1111",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
        "2002:808:808::1",
    ],
)
def test_classifier_accepts_public(text: str) -> None:
    """Global unicast addresses, and IPv6 forms embedding a public IPv4 address, pass."""
    assert is_public_address(ipaddress.ip_address(text))


async def test_article_links_are_fetched_untrusted(feedserver: FeedServer) -> None:
    """An article link from feed content gets the guard unless articles.allow_private."""
    from bot.services.article_text import article_request

    url = feedserver.add_feed("/article.html", b"<html><body>x</body></html>")
    async with HttpFetcher(LIMITS, trust_env=False) as fetcher:
        with pytest.raises(PermanentFetchError, match="not a public address"):
            await fetcher.fetch(article_request(url, allow_private=False))
        assert (await fetcher.fetch(article_request(url, allow_private=True))).status == 200
    assert len(feedserver.requests_to("/article.html")) == 1


async def test_a_name_that_changes_its_answer_is_checked_at_each_connect() -> None:
    """DNS rebinding: public at the first connection, loopback at the next, which is refused."""
    answers = iter([["127.0.0.2"], ["127.0.0.1"]])

    async def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    async with feed_server("127.0.0.2") as public:
        port = int(public.host.rsplit(":", 1)[1])
        public.add_feed("/feed.xml", rss_feed(1))
        async with feed_server("127.0.0.1", port) as private:
            private.add_feed("/feed.xml", rss_feed(1))
            url = f"http://rebind.test:{port}/feed.xml"
            for expect_ok in (True, False):  # a new fetcher: a new connection, a new answer
                async with HttpFetcher(
                    LIMITS, trust_env=False, address_policy=stand_in_policy, resolver=rebinding
                ) as fetcher:
                    if expect_ok:
                        assert (await fetcher.fetch(untrusted(url))).status == 200
                    else:
                        with pytest.raises(PermanentFetchError, match="not a public address"):
                            await fetcher.fetch(untrusted(url))
            assert private.requests == []
        assert len(public.requests_to("/feed.xml")) == 1
