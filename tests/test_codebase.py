"""Checks over the codebase itself: lint, format, types, import contracts, documented settings."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

from bot.settings.model import Settings

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)


def test_ruff_lint_passes() -> None:
    """`ruff check` finds nothing."""
    result = run_tool(str(BIN / "ruff"), "check", "bot", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_applied() -> None:
    """The code is formatted as `ruff format` would."""
    result = run_tool(str(BIN / "ruff"), "format", "--check", "bot", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_bot() -> None:
    """mypy --strict (configured in pyproject.toml) reports no error on bot/."""
    result = run_tool(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    """The pure core imports no adapter (import-linter contracts in pyproject.toml)."""
    result = run_tool(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr


def config_keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    keys: list[str] = []
    for name, field in model.model_fields.items():
        dotted = f"{prefix}{name}"
        keys.append(dotted)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys.extend(config_keys(annotation, f"{dotted}."))
    return keys


def test_readme_documents_every_config_key() -> None:
    """Every key of the main config appears in the README's configuration reference."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [key for key in config_keys(Settings) if f"`{key}`" not in readme]
    assert missing == []


@pytest.mark.parametrize(
    "command",
    [
        "run",
        "poll --once",
        "score",
        "eval",
        "seed-terms",
        "tune",
        "check-config",
        "health",
        "db upgrade",
        "report",
        "search",
    ],
)
def test_readme_documents_every_command(command: str) -> None:
    """Every CLI command is shown in the README."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"narcowatch {re.escape(command)}\b", readme), command


def test_readme_documents_every_environment_variable() -> None:
    """Every environment variable narcowatch reads is named in the README."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    source = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "bot").rglob("*.py"))
    names = set(re.findall(r"\b((?:NARCOWATCH|TELEGRAM)_[A-Z_]+|DATABASE_URL)\b", source))
    assert names >= {"DATABASE_URL", "NARCOWATCH_CONFIG", "NARCOWATCH_LOG_FORMAT"}
    assert sorted(n for n in names if n not in readme) == []
