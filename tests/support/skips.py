"""What did not run: one loud line per skip reason at the end of a pytest run.

Outside CI an unreachable PostgreSQL skips every PostgreSQL test (about a quarter of the
suite), and pytest's own summary says only "N skipped". tests/conftest.py installs the hook
below so that the end of the output names what did not run and why.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from typing import Any, NoReturn

import pytest

POSTGRES_REASON_START = "PostgreSQL not reachable"


def skip_or_fail_in_ci(reason: str) -> NoReturn:
    """Skip the test for `reason`; in CI, where everything must run, fail it instead."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def skip_reason(report: Any) -> str:
    """The reason a skipped test report gives (pytest keeps it as (path, line, 'Skipped: ...'))."""
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def not_run_lines(reasons: Iterable[str]) -> list[str]:
    """One line per reason, PostgreSQL first, most frequent next: 'N tests NOT RUN: reason'."""
    counts = Counter(reasons)
    ordered = sorted(
        counts.items(),
        key=lambda pair: (not pair[0].startswith(POSTGRES_REASON_START), -pair[1], pair[0]),
    )
    lines = []
    for reason, count in ordered:
        noun = "test" if count == 1 else "tests"
        line = f"{count} {noun} NOT RUN: {reason}"
        if reason.startswith(POSTGRES_REASON_START):
            line += " (set CI=1 to make this a failure)"
        lines.append(line)
    return lines


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """After the run: name every skipped group, in red when PostgreSQL was not there."""
    reasons = [skip_reason(report) for report in terminalreporter.stats.get("skipped", [])]
    for line in not_run_lines(reasons):
        loud = line.split("NOT RUN: ", 1)[1].startswith(POSTGRES_REASON_START)
        terminalreporter.write_sep("!", line, red=loud, bold=loud, yellow=not loud)
