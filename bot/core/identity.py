"""Item identity: canonical URLs, title hashes and the key an item is stored under."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from bot.core.models import Item
from bot.core.text import fold_space

MAX_KEY_LENGTH = 500
"""Longer guids and links are stored by their hash so keys fit an indexed column."""

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


def _bounded(kind: str, value: str) -> str:
    if len(value) <= MAX_KEY_LENGTH:
        return f"{kind}:{value}"
    return f"{kind}-sha256:{_sha256(value)}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
