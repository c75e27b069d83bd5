"""The main config: YAML -> Settings with env substitution, units and file:line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings
from bot.settings.units import format_duration, parse_duration, parse_size

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "narcowatch.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env or {})
    return [str(problem) for problem in caught.value.problems]


def test_bundled_config_loads_with_many_real_sources() -> None:
    """The bundled config validates and lists 15+ sources for the default topic."""
    settings = load_settings(REPO / "config/narcowatch.yaml", env={})
    assert len(settings.sources) >= 15
    assert settings.telegram.token == ""
    assert settings.polling.max_bytes == 5 * 1024 * 1024
    assert all(source.url.startswith(("http://", "https://")) for source in settings.sources)


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    """A misspelt key, a wrong type, a bad duration and a bad URL each get file:line."""
    path = write(
        tmp_path,
        "polling:\n"
        "  intervall: 5m\n"
        "  concurrency: lots\n"
        "  timeout: 5 parsecs\n"
        "sources:\n"
        "  - name: a\n"
        "    url: ftp://example.org/feed\n",
    )
    problems = problems_of(path)
    assert problems == [
        f"{path}:2: unknown key 'polling.intervall'",
        f"{path}:3: polling.concurrency: Input should be a valid integer, "
        "unable to parse string as an integer",
        f"{path}:4: polling.timeout: '5 parsecs' is not a duration "
        "(use e.g. 30s, 10m, 1h, 1h30m, 2d)",
        f"{path}:7: sources.0.url: 'ftp://example.org/feed' is not an http(s) URL",
    ]


def test_env_references_are_substituted(tmp_path: Path) -> None:
    """`${VAR}` takes the environment's value and `${VAR:-default}` falls back."""
    path = write(
        tmp_path,
        "database_url: ${DB}\ntelegram:\n  token: ${TOKEN:-}\n  api_base_url: ${API:-http://127.0.0.1:9/bot}\n",
    )
    settings = load_settings(path, env={"DB": "sqlite:///x.db"})
    assert settings.database_url == "sqlite:///x.db"
    assert settings.telegram.token == ""
    assert settings.telegram.api_base_url == "http://127.0.0.1:9/bot"


def test_unset_variable_without_default_is_an_error(tmp_path: Path) -> None:
    """A `${VAR}` with no value and no default names the variable and its line."""
    path = write(tmp_path, "telegram:\n  token: ${SECRET_TOKEN}\n")
    assert problems_of(path) == [
        f"{path}:2: environment variable SECRET_TOKEN is not set (use ${{SECRET_TOKEN:-default}})"
    ]


def test_environment_overrides_win(tmp_path: Path) -> None:
    """DATABASE_URL and TELEGRAM_API_BASE_URL in the environment win over the file."""
    path = write(tmp_path, "database_url: sqlite:///a.db\n")
    env = {
        "DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/test",
        "TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot",
    }
    settings = load_settings(path, env=env)
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/test"
    assert settings.telegram.api_base_url == "http://127.0.0.1:8081/bot"


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    """Broken YAML is reported at the line where the parser gave up."""
    path = write(tmp_path, "polling:\n  interval: [5m\n")
    (problem,) = problems_of(path)
    assert problem.startswith(f"{path}:3: invalid YAML")


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    """A key given twice is an error rather than a silent override."""
    path = write(tmp_path, "database_url: sqlite:///a.db\ndatabase_url: sqlite:///b.db\n")
    assert problems_of(path) == [f"{path}:2: duplicate key 'database_url'"]


def test_html_source_without_selectors_is_valid_but_names_are_unique(tmp_path: Path) -> None:
    """An html source without selectors is accepted (its articles are detected), half a
    selector set and a repeated source name are reported."""
    path = write(
        tmp_path,
        "sources:\n"
        "  - name: a\n    url: https://example.org/\n    type: html\n"
        "  - name: b\n    url: https://example.org/rss\n"
        "  - name: b\n    url: https://example.org/rss2\n"
        "  - name: c\n    url: https://example.org/c\n    type: html\n"
        "    selectors: {link: a}\n",
    )
    problems = problems_of(path)
    assert not any(":2:" in p for p in problems), problems
    assert any("'b' is used twice" in p for p in problems)
    assert any("selectors" in p and "item" in p for p in problems), problems


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    """A config path that does not exist is named in the error."""
    problems = problems_of(tmp_path / "nope.yaml")
    assert len(problems) == 1
    assert "nope.yaml: cannot read file" in problems[0]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("2d", 172800), ("90", 90), (45, 45)],
)
def test_durations(text: str | int, seconds: float) -> None:
    """Durations accept units and bare seconds."""
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5 parsecs", "-5s", "0s", "m5"])
def test_bad_durations(text: str) -> None:
    """Anything but a positive duration is refused."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "size"), [("5MB", 5 * 1024**2), ("512KB", 512 * 1024), ("1GiB", 1024**3), (100, 100)]
)
def test_sizes(text: str | int, size: int) -> None:
    """Sizes accept 1024-based units and bare bytes."""
    assert parse_size(text) == size


def test_format_duration_is_short() -> None:
    """Durations print in their shortest human form."""
    assert [format_duration(s) for s in (45, 900, 5400, 21600)] == ["45s", "15m", "1h30m", "6h"]
