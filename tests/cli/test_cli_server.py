"""The test helper that forks CLI runs from a process with narcowatch already imported gives
what a process started from scratch gives: output, errors, exit code, directory, input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import cli_env, cli_server, run_cli

pytestmark = pytest.mark.slow


def from_scratch(
    *args: str, cwd: Path, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=cli_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("check-config", "--config", "missing.yaml"),
        ("score", "-"),
        ("no-such-command",),
    ],
)
def test_a_forked_run_is_a_run_from_scratch(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Same stdout, stderr and exit code, in the given directory, reading the given input."""
    if cli_server() is None:
        pytest.skip("the CLI server is turned off (NARCOWATCH_TEST_CLI_SERVER=0)")
    item = '{"id": "1", "title": "China and Laos police seize heroin in a joint operation"}\n'
    stdin = item if args == ("score", "-") else None
    forked = run_cli(*args, cwd=tmp_path, stdin=stdin)
    scratch = from_scratch(*args, cwd=tmp_path, stdin=stdin)
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        scratch.returncode,
        scratch.stdout,
        scratch.stderr,
    )
    assert forked.returncode == (2 if args[0] in ("check-config", "no-such-command") else 0)


def test_a_forked_run_sees_only_the_environment_it_is_given(tmp_path: Path) -> None:
    """The server's own environment does not leak into a run: DATABASE_URL given to one run
    is used by it and gone in the next."""
    if cli_server() is None:
        pytest.skip("the CLI server is turned off (NARCOWATCH_TEST_CLI_SERVER=0)")
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    given = run_cli("db", "upgrade", env=cli_env(DATABASE_URL=url), cwd=tmp_path)
    assert given.returncode == 0, given.stderr
    assert (tmp_path / "from-env.db").is_file()
    assert "from-env.db" in given.stdout + given.stderr
    plain = run_cli("db", "upgrade", cwd=tmp_path)
    assert "from-env.db" not in plain.stdout + plain.stderr
