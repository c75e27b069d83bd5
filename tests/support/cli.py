"""Running the real `narcowatch` CLI as a process of its own against configs written by a test."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOPIC = REPO / "config" / "topics" / "drug-control-cooperation.yaml"
_CLEARED = {"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "NARCOWATCH_CONFIG"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def copy_default_topic(folder: Path) -> Path:
    """The default topic file copied into `folder` with its text model beside it."""
    for path in DEFAULT_TOPIC.parent.glob(f"{DEFAULT_TOPIC.stem}*"):
        shutil.copy(path, folder / path.name)
    return folder / DEFAULT_TOPIC.name


def write_config(
    tmp_path: Path,
    sources: Sequence[Mapping[str, Any]],
    *,
    database_url: str | None = None,
    health_port: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """A config file in tmp_path with the given sources and the default topic."""
    config: dict[str, Any] = {
        "database_url": database_url or f"sqlite:///{tmp_path / 'narcowatch.db'}",
        "polling": {"interval": "1h", "timeout": "5s", "concurrency": 20},
        "health": {"listen": f"127.0.0.1:{health_port or free_port()}"},
        "sources": [dict(source) for source in sources],
        "topics": [str(DEFAULT_TOPIC)],
        # Loopback feeds link to example.org: reading those article pages would leave the
        # machine. Tests of article reading serve their pages on loopback and turn it on.
        "articles": {"enabled": False},
    }
    config.update(extra or {})
    path = tmp_path / "narcowatch.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def cli_env(**overrides: str) -> dict[str, str]:
    """The test process's environment without Telegram or database overrides."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    env.update(overrides)
    return env


def tuned(**seconds: float) -> dict[str, str]:
    """The `NARCOWATCH_TUNE_*` variables that shorten the daemon's timers (bot.settings.tuning),
    e.g. `tuned(telegram_start_retry_s=1)` for NARCOWATCH_TUNE_TELEGRAM_START_RETRY_S=1."""
    return {f"NARCOWATCH_TUNE_{name.upper()}": f"{value:g}" for name, value in seconds.items()}


def run_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    stdin: str | None = None,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` from the repo root (or `cwd`); returns the finished process.

    The process is forked from a server that has already imported narcowatch
    (tests/support/cli_server.py), as a real process with its own directory, environment,
    streams and exit code; NARCOWATCH_TEST_CLI_SERVER=0 starts each one from scratch instead.
    """
    command = [sys.executable, "-m", "bot", *args]
    environment = dict(env) if env is not None else cli_env()
    server = cli_server()
    if server is None:
        return subprocess.run(
            command,
            cwd=cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
            check=False,
        )
    return server.run(command, args, environment, cwd=cwd, stdin=stdin, timeout=timeout)


class CliServer:
    """The client side of tests/support/cli_server.py, one server per test process."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket_path = folder / "cli.sock"
        environment = {**cli_env(), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.cli_server", str(self.socket_path)],
            cwd=REPO,
            env=environment,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the CLI server did not start")

    def run(
        self,
        command: list[str],
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        cwd: Path,
        stdin: str | None,
        timeout: float,
    ) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(dir=self.folder) as scratch:
            files = {name: Path(scratch) / name for name in ("stdin", "stdout", "stderr")}
            for path in files.values():
                path.write_bytes(b"")
            if stdin is not None:
                files["stdin"].write_text(stdin, encoding="utf-8")
            request = {
                "args": list(args),
                "env": dict(env),
                "cwd": str(cwd),
                "stdin": str(files["stdin"]) if stdin is not None else None,
                "stdout": str(files["stdout"]),
                "stderr": str(files["stderr"]),
            }
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
                connection.settimeout(timeout)
                connection.connect(str(self.socket_path))
                stream = connection.makefile("rwb")
                stream.write(json.dumps(request).encode() + b"\n")
                stream.flush()
                pid = json.loads(stream.readline())["pid"]
                try:
                    returncode = json.loads(stream.readline())["returncode"]
                except TimeoutError:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(command, timeout) from None
                finally:
                    stream.close()
            return subprocess.CompletedProcess(
                command,
                returncode,
                stdout=_text(files["stdout"].read_bytes()),
                stderr=_text(files["stderr"].read_bytes()),
            )

    def close(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def _text(data: bytes) -> str:
    """Bytes as `subprocess.run(text=True)` gives them: decoded, newlines universal."""
    return data.decode().replace("\r\n", "\n").replace("\r", "\n")


@cache
def cli_server() -> CliServer | None:
    """This process's CLI server, started on first use (None when turned off)."""
    if os.environ.get("NARCOWATCH_TEST_CLI_SERVER", "1") == "0" or not hasattr(os, "fork"):
        return None
    server = CliServer(Path(tempfile.mkdtemp(prefix="nw-cli-")))
    atexit.register(server.close)
    return server


def start_cli(
    *args: str,
    env: Mapping[str, str] | None = None,
    output: Path | None = None,
    cwd: Path = REPO,
) -> subprocess.Popen[str]:
    """`python -m bot ARGS` started in the background (from the repo root, or `cwd`).

    Output is captured through pipes (read with communicate), or, with `output`, written to
    `output.stdout` and `output.stderr` files that a test can read while the process runs.
    """
    if output is None:
        out: Any = subprocess.PIPE
        err: Any = subprocess.PIPE
    else:
        out = output.with_suffix(".stdout").open("w")
        err = output.with_suffix(".stderr").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=dict(env) if env is not None else cli_env(),
        stdout=out,
        stderr=err,
        text=True,
    )
    if output is not None:
        out.close()  # the child has its own copies
        err.close()
    return process
