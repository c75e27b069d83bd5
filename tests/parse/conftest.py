"""Shared fixtures for parser tests: the sample bodies under fixtures/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixture_bytes() -> Callable[[str], bytes]:
    """Reads a sample body by file name."""

    def read(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return read
