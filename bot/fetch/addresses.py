"""Which IP addresses an untrusted URL may reach: public unicast only, embedded IPv4 included."""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv6 ranges that carry an IPv4 address inside: the IPv4 part decides, because a gateway
# or the kernel turns them into a connection to that IPv4 address.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # local-use NAT64: site-internal
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated IPv4-compatible (::a.b.c.d)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, NAT64, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or address in _COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public_address(address: IPAddress) -> bool:
    """True for a globally routable unicast address; False for private, loopback, link-local,
    multicast, reserved, unspecified, shared (CGNAT), documentation and benchmarking ranges,
    and for IPv6 forms whose embedded IPv4 address is one of those."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None or address in _NAT64_LOCAL:
            return False
        inner = embedded_ipv4(address)
        if inner is not None:
            return _is_public_unicast(inner)
    return _is_public_unicast(address)


def _is_public_unicast(address: IPAddress) -> bool:
    return address.is_global and not (
        address.is_multicast
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_unspecified
    )


def parse_address(text: str) -> IPAddress | None:
    """The address in `text` (as getaddrinfo gives it, maybe with a `%zone`), or None."""
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
