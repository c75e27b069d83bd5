"""Article texts already read, by address, least recently used first out, within a byte budget."""

from __future__ import annotations

import sys
from collections import OrderedDict

ENTRY_OVERHEAD = 100
"""Bytes an entry costs beyond its two strings (the dictionary's slot and links)."""


def entry_bytes(url: str, text: str) -> int:
    """Memory one cached entry holds: both strings as Python stores them (1, 2 or 4 bytes a
    character, by the widest one) and the entry itself."""
    return sys.getsizeof(url) + sys.getsizeof(text) + ENTRY_OVERHEAD


class TextCache:
    """Texts by URL, at most `max_bytes` in all (issue 17: 4,096 texts of up to 20,000
    characters could hold 78-313 MB, by script)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self._texts: OrderedDict[str, str] = OrderedDict()

    def __len__(self) -> int:
        return len(self._texts)

    def get(self, url: str) -> str | None:
        """The text read for `url` ('' for a page that failed), or None when not cached."""
        text = self._texts.get(url)
        if text is not None:
            self._texts.move_to_end(url)
        return text

    def put(self, url: str, text: str) -> None:
        """Remember a text, dropping the least recently used ones to stay within the budget;
        an entry larger than the whole budget is not kept."""
        old = self._texts.pop(url, None)
        if old is not None:
            self.bytes -= entry_bytes(url, old)
        size = entry_bytes(url, text)
        if size > self.max_bytes:
            return
        self._texts[url] = text
        self.bytes += size
        while self.bytes > self.max_bytes:
            gone_url, gone = self._texts.popitem(last=False)
            self.bytes -= entry_bytes(gone_url, gone)
