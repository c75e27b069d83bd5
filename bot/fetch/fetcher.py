"""The HTTP fetcher: conditional GET with caps, own redirect handling and per-host limits."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from types import TracebackType
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from bot.core.models import FetchRequest, FetchResult
from bot.core.weburl import web_url_problem
from bot.errors import PermanentFetchError, TransientFetchError
from bot.fetch.addresses import is_public_address
from bot.fetch.decoding import (
    ACCEPT_ENCODING,
    DecodeFailed,
    UnsupportedEncoding,
    decoder_for,
)
from bot.fetch.guard import (
    AddressPolicy,
    AddressRefused,
    GuardedBackend,
    Resolver,
    guarded_transport,
    system_resolver,
)
from bot.fetch.hosts import HostSlots
from bot.fetch.limits import FetchLimits, describe_bytes
from bot.fetch.statuses import PERMANENT_REDIRECTS, REDIRECTS, error_for_status
from bot.fetch.tls import tls_context

_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9,"
    " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
_WEB_SCHEMES = frozenset({"http", "https"})


def refused_text(host: str) -> str:
    """The one error for an untrusted fetch that may not or cannot reach an address: refused,
    private, unresolvable, all alike, so that errors do not map the internal network."""
    return f"refused {host}: not a public address"


@dataclass(frozen=True, slots=True)
class _Redirect:
    status: int
    location: str


class HttpFetcher:
    """Fetches sources over one shared httpx client; use as `async with HttpFetcher(limits)`.

    A request with `allow_private=False` (a source added from Telegram, a link found in a feed)
    goes through a second client whose sockets only ever connect to public addresses, on every
    redirect too. `address_policy` and `resolver` replace the public-address rule and DNS in
    tests.
    """

    def __init__(
        self,
        limits: FetchLimits | None = None,
        *,
        trust_env: bool = True,
        address_policy: AddressPolicy = is_public_address,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.limits = limits or FetchLimits()
        self._hosts = HostSlots(self.limits.per_host)
        self._overall = asyncio.Semaphore(self.limits.concurrency)
        # Redirects are followed by hand, to count them, spot loops and notice permanent moves.
        self._client = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(self.limits.timeout_s),
            # The semaphores above bound requests in flight; the pool holds up to twice as
            # many connections, so that a host's second request (per_host) gets a connection
            # of its own instead of queueing inside httpcore, whose queue costs O(connections)
            # per request and serialises that host.
            limits=httpx.Limits(
                max_connections=self.limits.concurrency * 2,
                max_keepalive_connections=self.limits.concurrency * 2,
            ),
            headers={
                "User-Agent": self.limits.user_agent,
                "Accept": _ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
                **dict(self.limits.headers),
            },
            trust_env=trust_env,  # honours HTTP(S)_PROXY; tests turn it off
            verify=tls_context(trust_env=trust_env),
        )
        backend = GuardedBackend(policy=address_policy, resolver=resolver)
        self._guarded = httpx.AsyncClient(
            follow_redirects=False,
            timeout=httpx.Timeout(self.limits.timeout_s),
            transport=guarded_transport(backend, max_connections=self.limits.concurrency),
            headers=self._client.headers,
            trust_env=False,
        )

    async def __aenter__(self) -> HttpFetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the shared connection pools."""
        await self._client.aclose()
        await self._guarded.aclose()

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """GET `request.url` conditionally; a FetchResult for 2xx/304, else a FetchError."""
        url = _checked_url(request.url.strip(), what="feed URL")
        visited = {url}
        budget = self.limits.timeout_s
        all_permanent = True
        for hops in range(self.limits.max_redirects + 1):
            host = _host(url)
            loop = asyncio.get_running_loop()
            # Time spent waiting for a slot is not the server's fault: only hops count.
            async with self._hosts.hold(host), self._overall:
                started = loop.time()
                outcome = await self._timed_hop(url, request, host, budget)
                budget -= loop.time() - started
            if isinstance(outcome, FetchResult):
                if hops and all_permanent:
                    return replace(outcome, permanent_url=url)
                return outcome
            all_permanent = all_permanent and outcome.status in PERMANENT_REDIRECTS
            if outcome.location in visited:
                raise PermanentFetchError(f"redirect loop at {outcome.location}")
            visited.add(outcome.location)
            url = outcome.location
        raise PermanentFetchError(
            f"too many redirects (over {self.limits.max_redirects}) from {_host(request.url)}"
        )

    async def _timed_hop(
        self, url: str, request: FetchRequest, host: str, budget: float
    ) -> FetchResult | _Redirect:
        timed_out = TransientFetchError(
            f"timed out after {self.limits.timeout_s:g} s fetching {host}"
        )
        if budget <= 0:
            raise timed_out
        try:
            async with asyncio.timeout(budget):
                return await self._hop(url, request, host)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise timed_out from exc
        except AddressRefused as exc:
            raise PermanentFetchError(refused_text(host)) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise PermanentFetchError(f"bad URL {url}: {exc}") from exc
        except httpx.HTTPError as exc:
            detail = str(exc).strip() or type(exc).__name__
            raise TransientFetchError(f"connection to {host} failed: {detail}") from exc

    async def _hop(self, url: str, request: FetchRequest, host: str) -> FetchResult | _Redirect:
        # Bytes, because a stored validator may hold non-ASCII that httpx would refuse to encode.
        headers: dict[bytes, bytes] = {k.encode(): v.encode() for k, v in request.headers}
        if request.etag:
            headers[b"If-None-Match"] = request.etag.encode()
        if request.last_modified:
            headers[b"If-Modified-Since"] = request.last_modified.encode()
        client = self._client if request.allow_private else self._guarded
        async with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in REDIRECTS:
                return _Redirect(status, _location(response, url, host))
            if status == 304:
                # Reading the (by definition empty) body ends the exchange, so the connection
                # goes back to the pool; left unread, httpx closes it and the next poll of this
                # host pays a new connection.
                await response.aread()
                return FetchResult(
                    status=304,
                    url=url,
                    etag=response.headers.get("etag") or request.etag,
                    last_modified=response.headers.get("last-modified") or request.last_modified,
                )
            error = error_for_status(
                status,
                host,
                retry_after=response.headers.get("retry-after"),
                now=datetime.now(UTC),
            )
            if error is not None:
                raise error
            body = await self._read_capped(response, host)
            return FetchResult(
                status=status,
                url=url,
                body=body,
                content_type=response.headers.get("content-type"),
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )

    async def _read_capped(self, response: httpx.Response, host: str) -> bytes:
        cap = self.limits.max_bytes
        too_big = f"body over {describe_bytes(cap)} cap from {host}"
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > cap:
            raise PermanentFetchError(f"{too_big} (Content-Length {declared})")
        encoding = response.headers.get("content-encoding")
        try:
            decoder = decoder_for(encoding)
        except UnsupportedEncoding as exc:
            raise PermanentFetchError(f"unsupported Content-Encoding {exc} from {host}") from exc
        chunks: list[bytes] = []
        raw = decoded = 0
        async for chunk in response.aiter_raw():
            raw += len(chunk)
            try:
                out = decoder.decode(chunk, cap - decoded)
            except DecodeFailed as exc:
                raise PermanentFetchError(f"could not decode {encoding} body from {host}") from exc
            decoded += len(out)
            if raw > cap or decoded > cap:
                raise PermanentFetchError(too_big)
            chunks.append(out)
        return b"".join(chunks)


def _location(response: httpx.Response, url: str, host: str) -> str:
    location = response.headers.get("location", "").strip()
    if not location:
        raise PermanentFetchError(f"HTTP {response.status_code} from {host} without a Location")
    try:
        target = urldefrag(urljoin(url, location)).url
    except ValueError as exc:
        raise PermanentFetchError(f"bad redirect from {host} to {location!r}: {exc}") from exc
    return _checked_url(target, what=f"redirect from {host}")


def _checked_url(url: str, *, what: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise PermanentFetchError(f"bad {what} {url[:200]!r}: {exc}") from exc
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.hostname:
        raise PermanentFetchError(
            f"bad {what} {url[:200]!r}: only http and https URLs can be fetched"
        )
    problem = web_url_problem(url)
    if problem is not None:
        raise PermanentFetchError(f"bad {what}: {problem}")
    return url


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or url).lower()
    except ValueError:
        return url
