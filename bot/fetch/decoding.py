"""Content-Encoding decoders that never produce more than the bytes still allowed."""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli  # type: ignore[import-untyped]

ACCEPT_ENCODING = "gzip, deflate, br"


class DecodeFailed(Exception):
    """The body is not valid for its Content-Encoding."""


class BoundedDecoder(Protocol):
    """Decodes a body chunk by chunk; each call returns at most `room + 1` bytes, so a
    result longer than `room` means the body is over the cap without decoding it all."""

    def decode(self, data: bytes, room: int) -> bytes: ...


class UnsupportedEncoding(Exception):
    """A Content-Encoding we did not offer and cannot decode."""


def decoder_for(content_encoding: str | None) -> BoundedDecoder:
    """The decoder for a Content-Encoding header value (absent or identity: none)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return _Identity()
    if len(codings) > 1:
        raise UnsupportedEncoding(", ".join(codings))
    coding = codings[0]
    if coding in ("gzip", "x-gzip"):
        return _Zlib(zlib.MAX_WBITS | 16)
    if coding == "deflate":
        return _Deflate()
    if coding == "br":
        return _Brotli()
    raise UnsupportedEncoding(coding)


class _Identity:
    def decode(self, data: bytes, room: int) -> bytes:
        return data


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._inflate = zlib.decompressobj(wbits)

    def decode(self, data: bytes, room: int) -> bytes:
        try:
            # max_length stops a zip bomb from inflating past the cap in one call.
            return self._inflate.decompress(data, room + 1)
        except zlib.error as exc:
            raise DecodeFailed(str(exc)) from exc


class _Deflate:
    """`deflate` is meant to be zlib-wrapped, but some servers send raw deflate."""

    def __init__(self) -> None:
        self._inner: _Zlib | None = None

    def decode(self, data: bytes, room: int) -> bytes:
        if self._inner is None:
            self._inner = _Zlib(zlib.MAX_WBITS)
            try:
                return self._inner.decode(data, room)
            except DecodeFailed:
                self._inner = _Zlib(-zlib.MAX_WBITS)
        return self._inner.decode(data, room)


class _Brotli:
    def __init__(self) -> None:
        self._decompressor = brotli.Decompressor()

    def decode(self, data: bytes, room: int) -> bytes:
        try:
            out: bytes = self._decompressor.process(data, output_buffer_limit=room + 1)
        except brotli.error as exc:
            raise DecodeFailed(str(exc)) from exc
        return out
