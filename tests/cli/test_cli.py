"""The real command line, started as a subprocess: help, exit codes, check-config, health."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import REPO, cli_env, free_port, run_cli, write_config


def test_help_lists_every_command() -> None:
    """`narcowatch --help` lists the SPEC's commands."""
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("run", "poll", "score", "eval", "seed-terms", "check-config", "health"):
        assert f"  {command} " in result.stdout, command


def test_version() -> None:
    """`narcowatch --version` names the program and its version."""
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("narcowatch, version ")


def test_check_config_accepts_the_bundled_config() -> None:
    """check-config exits 0 on the bundled config and says what it found."""
    result = run_cli("check-config")
    assert result.returncode == 0, result.stderr
    assert "drug-control-cooperation" in result.stdout


def test_check_config_reads_narcowatch_config(tmp_path: Path) -> None:
    """Without --config, $NARCOWATCH_CONFIG names the file."""
    config = write_config(tmp_path, [])
    result = run_cli("check-config", env=cli_env(NARCOWATCH_CONFIG=str(config)))
    assert result.returncode == 0, result.stderr
    assert str(config) in result.stdout


def test_check_config_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    """A misspelt key, a wrong type, a bad duration and a bad URL: one line each, exit 2."""
    topic = REPO / "config/topics/drug-control-cooperation.yaml"
    config = tmp_path / "bad.yaml"
    config.write_text(
        "polling:\n"
        "  concurrency: many\n"
        "  intervall: 5m\n"
        "  timeout: soon\n"
        "sources:\n"
        "  - name: x\n"
        "    url: not-a-url\n"
        f"topics: [{topic}]\n",
        encoding="utf-8",
    )
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{config}:2",
        f"{config}:3",
        f"{config}:4",
        f"{config}:7",
    ]
    assert "unknown key 'polling.intervall'" in lines[1]
    assert "not a duration" in lines[2]


def test_check_config_names_unknown_topics_and_missing_topic_files(tmp_path: Path) -> None:
    """A source naming an unknown topic, and a missing topic file, are both reported."""
    config = write_config(
        tmp_path,
        [{"name": "a", "url": "http://127.0.0.1:9/feed", "topics": ["no-such-topic"]}],
    )
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 2
    assert "unknown topic 'no-such-topic'" in result.stderr
    missing = tmp_path / "missing.yaml"
    missing.write_text("topics: [nowhere/topic.yaml]\n", encoding="utf-8")
    result = run_cli("check-config", "--config", str(missing))
    assert result.returncode == 2
    assert f"{missing}:1: topic file 'nowhere/topic.yaml' not found" in result.stderr


def test_missing_config_file_exits_2(tmp_path: Path) -> None:
    """A config path that does not exist is a clear error, exit 2."""
    result = run_cli("check-config", "--config", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2
    assert "absent.yaml: cannot read file" in result.stderr


def test_health_exits_2_when_nothing_listens() -> None:
    """`narcowatch health` exits 2 when no daemon answers."""
    result = run_cli("health", "--url", f"http://127.0.0.1:{free_port()}/healthz")
    assert result.returncode == 2
    assert "cannot reach" in result.stderr


def test_poll_without_once_is_refused() -> None:
    """`narcowatch poll` without --once explains itself and exits 2."""
    result = run_cli("poll")
    assert result.returncode == 2
    assert "--once" in result.stderr


@pytest.mark.parametrize(
    "url",
    [
        "mysql://root:hunter2@db/narcowatch",
        "sqlite://root:hunter2@db/narcowatch.db",
        "mysql://nw@db/narcowatch?password=hunter2",
    ],
)
def test_a_bad_database_url_is_shown_without_its_password(tmp_path: Path, url: str) -> None:
    """check-config and db upgrade name the bad DATABASE_URL with `***` for its password."""
    config = write_config(tmp_path, [])
    for command in (["check-config"], ["db", "upgrade"]):
        result = run_cli(*command, "--config", str(config), env=cli_env(DATABASE_URL=url))
        assert result.returncode == 2, result.stderr
        assert "hunter2" not in result.stdout + result.stderr
        assert "***" in result.stderr
        assert "Traceback" not in result.stderr


_THREADS_AFTER_NUMPY = (
    "import os, bot.matching.textmodel; "
    "print(os.environ['OPENBLAS_NUM_THREADS'], len(os.listdir('/proc/self/task')))"
)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="counts threads in /proc")
def test_numpy_loads_without_a_thread_pool() -> None:
    """A process that scores stays one thread once numpy has loaded (OpenBLAS would start one
    per core, a tenth of a second of CPU in every CLI run and parse worker); an operator's own
    OPENBLAS_NUM_THREADS is left as it is."""
    import subprocess
    import sys

    env = {
        k: v for k, v in cli_env().items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")
    }
    ours = subprocess.run(
        [sys.executable, "-c", _THREADS_AFTER_NUMPY],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ours.stdout.split() == ["1", "1"], ours.stdout
    theirs = subprocess.run(
        [sys.executable, "-c", _THREADS_AFTER_NUMPY],
        cwd=REPO,
        env={**env, "OPENBLAS_NUM_THREADS": "3"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert theirs.stdout.split()[0] == "3", theirs.stdout
