"""Fixtures for the operations tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns about int time attributes unless opted in; warnings are errors here."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
