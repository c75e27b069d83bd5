"""The third-party captures in `<repo>/../shared/realfeeds/`: manifest rows, skip when absent."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

REALFEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "realfeeds"
MANIFEST = REALFEEDS / "MANIFEST.tsv"
ABSENT = f"real-world captures not found at {REALFEEDS} (third-party data, kept outside the repo)"

# How a plain web server would label each kind: no charset, so the document's own declaration
# (or its absence) decides, as it does on the real sites these came from.
CONTENT_TYPES = {
    "rss1": "application/rdf+xml",
    "rss2": "application/rss+xml",
    "atom": "application/atom+xml",
    "jsonfeed": "application/feed+json",
    "html": "text/html",
}


@dataclass(frozen=True, slots=True)
class Capture:
    """One manifest row: a captured feed or page and what it is known to hold."""

    file: str
    kind: str
    language: str
    declared_encoding: str
    site: str
    notes: str
    expected_items: int | None

    @property
    def path(self) -> Path:
        return REALFEEDS / self.file

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.kind]


def captures() -> list[Capture]:
    """Every manifest row, or [] when the captures are absent."""
    if not MANIFEST.is_file():
        return []
    with MANIFEST.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Capture(
            file=row["file"],
            kind=row["kind"],
            language=row["language"],
            declared_encoding=row["declared_encoding"],
            site=row["site"],
            notes=row["notes"],
            expected_items=int(row["expected_items"]) if row["expected_items"] else None,
        )
        for row in rows
    ]


def require_realfeeds() -> None:
    """Skip the calling test when the captures are not there."""
    if not MANIFEST.is_file():
        pytest.skip(ABSENT)


def read_capture(name: str) -> bytes:
    """The bytes of one capture; skips the test when the captures are absent."""
    require_realfeeds()
    return (REALFEEDS / name).read_bytes()
