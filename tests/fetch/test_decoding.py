"""Tests for the bounded Content-Encoding decoders."""

from __future__ import annotations

import gzip
import zlib

import brotli  # type: ignore[import-untyped]
import pytest

from bot.fetch.decoding import DecodeFailed, UnsupportedEncoding, decoder_for

PAYLOAD = b"<rss>" + b"a" * 100_000 + b"</rss>"
ENCODED = {
    "gzip": gzip.compress(PAYLOAD),
    "deflate": zlib.compress(PAYLOAD),
    "br": brotli.compress(PAYLOAD),
}


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_decodes_in_chunks(encoding: str) -> None:
    """A body fed in small chunks decodes to the original bytes."""
    decoder = decoder_for(encoding)
    data = ENCODED[encoding]
    out = b"".join(decoder.decode(data[i : i + 100], 10**9) for i in range(0, len(data), 100))
    assert out == PAYLOAD


BOMB = bytes(10 * 1024 * 1024)


@pytest.mark.parametrize(
    ("encoding", "slack"),
    [("gzip", 1), ("deflate", 1), ("br", 128 * 1024)],  # brotli grows its buffer in blocks
)
def test_output_is_bounded_by_room(encoding: str, slack: int) -> None:
    """A 10 MB bomb fed at once yields just past `room` bytes, not 10 MB."""
    bomb = {"gzip": gzip.compress, "deflate": zlib.compress, "br": brotli.compress}[encoding](BOMB)
    out = decoder_for(encoding).decode(bomb, 1000)
    assert 1000 < len(out) <= 1000 + slack


def test_raw_deflate_is_accepted() -> None:
    """Servers that send raw deflate (no zlib header) are decoded too."""
    raw = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    data = raw.compress(PAYLOAD) + raw.flush()
    assert decoder_for("deflate").decode(data, 10**9) == PAYLOAD


@pytest.mark.parametrize("header", [None, "", "identity"])
def test_identity(header: str | None) -> None:
    """No Content-Encoding passes bytes through."""
    assert decoder_for(header).decode(b"abc", 10) == b"abc"


def test_invalid_data_fails() -> None:
    """Bytes that are not gzip raise DecodeFailed."""
    with pytest.raises(DecodeFailed):
        decoder_for("gzip").decode(b"definitely not gzip", 100)


@pytest.mark.parametrize("header", ["compress", "zstd", "gzip, br"])
def test_unsupported_encodings(header: str) -> None:
    """Codings we did not offer, or stacked codings, are refused."""
    with pytest.raises(UnsupportedEncoding):
        decoder_for(header)
