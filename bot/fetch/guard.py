"""The connect-time SSRF guard: an httpx transport that only opens sockets to allowed addresses.

Checking a URL before fetching it is not enough: the fetcher resolves the name again when it
connects (a DNS answer can change in between), and redirects lead elsewhere. So the check sits
where the socket is opened: the network backend resolves the host itself, drops every address
the policy refuses, and connects to an allowed address by number. TLS still verifies the host
name, which httpcore passes separately.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterable

import httpcore
import httpx

from bot.fetch.addresses import IPAddress, is_public_address, parse_address
from bot.fetch.tls import tls_context

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""(host, port) -> the addresses to try, as text; raises OSError when the name does not resolve."""

AddressPolicy = Callable[[IPAddress], bool]


class AddressRefused(Exception):
    """No address of the host may be reached (or it did not resolve): nothing was connected."""

    def __init__(self, host: str) -> None:
        self.host = host
        super().__init__(host)


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses getaddrinfo gives for a TCP connection to host:port."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, filters by `policy`, then connects by address through the usual backend."""

    def __init__(
        self,
        *,
        policy: AddressPolicy = is_public_address,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            found = await self._resolver(host, port)
        except OSError as exc:
            # The same answer as for a private name: whether an internal name exists is a secret.
            raise AddressRefused(host) from exc
        allowed: list[str] = []
        for text in found:
            address = parse_address(text)
            if address is not None and self._policy(address) and text not in allowed:
                allowed.append(text)
        if not allowed:
            raise AddressRefused(host)
        failure: Exception | None = None
        for address_text in allowed:
            try:
                return await self._inner.connect_tcp(
                    address_text,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused(path)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(backend: GuardedBackend, *, max_connections: int) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection goes through `backend` (no proxy: a proxy
    would connect on our behalf to an address we never see)."""
    context = tls_context(trust_env=False)
    transport = httpx.AsyncHTTPTransport(verify=context, trust_env=False)
    # httpx does not take a network backend; its pool is swapped for one that uses ours.
    # tests/fetch/test_guard.py fails if a new httpx stops honouring it.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=context,
        max_connections=max_connections,
        max_keepalive_connections=max_connections,
        network_backend=backend,
    )
    return transport
