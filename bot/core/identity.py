"""Item identity: canonical URLs, title hashes and the key an item is stored under."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from bot.core.models import Item
from bot.core.text import fold_space

MAX_KEY_LENGTH = 500
"""Longer guids and links are stored by their hash so keys fit an indexed column."""

MAX_INDEXED_LINK_BYTES = 1000
"""Longer canonical links are indexed by their hash (see link_index_value)."""

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "_ga",
        "_gl",
        "igshid",
        "ref_src",
        "ref_url",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
        "twclid",
        "ttclid",
        "li_fat_id",
        "s_kwcid",
        "ncid",
        "cmpid",
        "rss_source",
    }
)


def canonical_url(url: str) -> str:
    """The URL without tracking parameters or fragment, scheme and host lower-cased,
    default port dropped; other query parameters keep their order and spelling."""
    text = url.strip()
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text  # not a URL we can take apart; compare it as written
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # IPv6 literals keep their brackets
    netloc = host
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    path = parts.path or ("/" if netloc and scheme in _DEFAULT_PORTS else "")
    return urlunsplit((scheme, netloc, path, _strip_tracking(parts.query), ""))


def _strip_tracking(query: str) -> str:
    # Filtering the raw "k=v" pieces keeps the remaining ones byte for byte as they were.
    kept = [piece for piece in query.split("&") if piece and not _is_tracking(piece)]
    return "&".join(kept)


def _is_tracking(piece: str) -> bool:
    name = unquote_plus(piece.partition("=")[0]).strip().lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def title_hash(title: str, published: datetime | None) -> str:
    """A stable hash of a title (case, width and spacing folded) and its publication time."""
    folded = fold_space(unicodedata.normalize("NFKC", title)).casefold()
    when = ""
    if published is not None:
        stamp = published if published.tzinfo else published.replace(tzinfo=UTC)
        when = stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return _sha256(f"{folded}\n{when}")[:32]


def item_key(item: Item) -> str:
    """The key an item is known by: its guid, else its canonical link, else a title hash."""
    guid = (item.guid or "").strip()
    if guid:
        return _bounded("guid", guid)
    link = (item.link or "").strip()
    if link:
        return _bounded("url", canonical_url(link))
    return f"hash:{title_hash(item.title, item.published)}"


def item_keys(items: Sequence[Item]) -> list[str]:
    """The key of each item of one feed, kept apart where the feed shows distinct items.

    Feeds without guids sometimes link every post to one archive page with its own anchor
    (`week.html#post1`, `week.html#post2`) or every item to one page, and some reuse a guid
    for posts published at different times. Where items share a key, their fragments tell them
    apart; failing that, for items keyed by link their title and date, for items keyed by guid
    their date (a guid stays authoritative: the same guid with another title and no other
    date is the same item, repeated). Items alike in all of these are one item. (A key that
    changes once the feed no longer shows the colliding sibling is still recognised by the
    store through the defragmented canonical link and title hash: the item is not new.)
    """
    keys = [item_key(item) for item in items]
    _split_collisions(keys, lambda i: _with_fragment(keys[i], items[i]))
    _split_collisions(keys, lambda i: _with_distinguisher(keys[i], items[i]))
    return keys


def _split_collisions(keys: list[str], alternative: Callable[[int], str | None]) -> None:
    # A group is split only when every member has an alternative key and they are not all alike.
    groups: dict[str, list[int]] = {}
    for index, key in enumerate(keys):
        groups.setdefault(key, []).append(index)
    for members in groups.values():
        if len(members) < 2:
            continue
        alternatives = {index: alternative(index) for index in members}
        values = set(alternatives.values())
        if len(values) > 1 and None not in values:
            for index, value in alternatives.items():
                keys[index] = value or keys[index]


def _with_distinguisher(key: str, item: Item) -> str | None:
    if (item.guid or "").strip():
        if item.published is None:
            return None  # an undated repeat of a guid is the same item
        return f"{key}|{title_hash('', item.published)}"
    return f"{key}|{title_hash(item.title, item.published)}"


def _with_fragment(key: str, item: Item) -> str:
    link = (item.link or "").strip()
    if (item.guid or "").strip() or not link:
        return key
    fragment = link.partition("#")[2]
    return _bounded("url", f"{canonical_url(link)}#{fragment}") if fragment else key


def link_index_value(link: str) -> str:
    """A canonical link as stored in the (indexed) link column: itself, or for a link too long
    for a database index entry (PostgreSQL's btree takes about 2.7 KB) its hash."""
    if len(link.encode("utf-8", "surrogatepass")) <= MAX_INDEXED_LINK_BYTES:
        return link
    return f"sha256:{_sha256(link)}"


def _bounded(kind: str, value: str) -> str:
    if len(value) <= MAX_KEY_LENGTH:
        return f"{kind}:{value}"
    return f"{kind}-sha256:{_sha256(value)}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
