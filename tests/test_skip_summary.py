"""The end of a pytest run names what did not run, loudest when PostgreSQL was missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.skips import not_run_lines

REPO = Path(__file__).resolve().parents[1]
NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:asyncio", "-p", "no:timeout")
PG_DOWN = "PostgreSQL not reachable at 127.0.0.1:5432 (connection refused)"


def test_one_line_per_reason_postgres_first() -> None:
    """Skips are counted by reason; the PostgreSQL line comes first and says how to fail."""
    lines = not_run_lines(["no docker", PG_DOWN, "no docker", PG_DOWN, PG_DOWN, "no hadolint"])
    assert lines == [
        f"3 tests NOT RUN: {PG_DOWN} (set CI=1 to make this a failure)",
        "2 tests NOT RUN: no docker",
        "1 test NOT RUN: no hadolint",
    ]
    assert not_run_lines([]) == []


def test_a_real_run_ends_with_the_line(tmp_path: Path) -> None:
    """pytest with the hook, on tests that skip for PostgreSQL: the last lines name them."""
    (tmp_path / "test_some.py").write_text(
        "import pytest\n\n"
        "def test_runs():\n    pass\n\n"
        "@pytest.mark.parametrize('n', range(3))\n"
        f"def test_needs_postgres(n):\n    pytest.skip({PG_DOWN!r})\n",
        encoding="utf-8",
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.support.skips", *NO_PLUGINS],
        cwd=tmp_path,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    tail = result.stdout.splitlines()[-3:]
    assert any(f"3 tests NOT RUN: {PG_DOWN}" in line for line in tail), result.stdout
    assert "1 passed, 3 skipped" in result.stdout
