"""Running the real `narcowatch` CLI as a process of its own against configs written by a test."""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import json
import locale
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, TextIO

import yaml

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOPIC = REPO / "config" / "topics" / "drug-control-cooperation.yaml"
_CLEARED = {"TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "NARCOWATCH_CONFIG"}


_HANDED_OUT: set[int] = set()
"""Ports this process has handed out: a daemon binds its port only after it starts, so until
then the port is free again and a second call could return it too (two daemons of one test
got the same health port, one stopped on "address already in use", and the test read the
other's /healthz as its own: seen in CI)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, for a daemon to bind later.

    Chosen below the kernel's ephemeral range: a port the kernel hands out (a bind to port 0)
    may be the local port of any outgoing connection of the suite's hundreds of processes
    before the daemon binds it, and the daemon then stopped on "address already in use" (seen
    in CI). Each xdist worker picks from its own share of that range, and never hands out a
    port twice, so no two tests, here or in another worker, are given the same port."""
    candidates = _worker_share(range(max(1024, _ephemeral_low() - 12_000), _ephemeral_low()))
    if len(_HANDED_OUT) > len(candidates) // 2:
        _HANDED_OUT.clear()  # the earliest were released long ago
    pick = random.SystemRandom()
    for _ in range(200):
        port = pick.choice(candidates) if len(candidates) > 200 else 0
        if port in _HANDED_OUT:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            found = int(sock.getsockname()[1])
        _HANDED_OUT.add(found)
        return found
    raise RuntimeError("no free TCP port on 127.0.0.1")


def _worker_share(ports: range) -> range:
    """The ports of this xdist worker (gw0, gw1, ...): every n-th, so the shares never meet."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or not worker[2:].isdigit() or count < 2:
        return ports
    return ports[int(worker[2:]) % count :: count]


def _ephemeral_low() -> int:
    """The lowest port the kernel gives outgoing connections (32768 where it does not say)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


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

    def start(
        self,
        command: list[str],
        args: Sequence[str],
        env: Mapping[str, str],
        *,
        cwd: Path,
        stdout: int,
        stderr: int,
    ) -> ForkedProcess:
        """The command forked in the background with standard input inherited from this
        process and output to the file descriptors `stdout` and `stderr`, as Popen would."""
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(str(self.socket_path))
            request = {"args": list(args), "env": dict(env), "cwd": str(cwd), "fds": True}
            socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [0, stdout, stderr])
            process = ForkedProcess(command, connection)
        except BaseException:
            connection.close()
            raise
        return process

    def close(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


class ForkedProcess:
    """What `start_cli` gives for a command forked by the CLI server: the Popen methods the
    tests use (poll, wait, send_signal, terminate, kill, communicate, pid, returncode, stdout,
    stderr). The command is the server's grandchild, so its exit status comes from the server
    over the connection instead of waitpid; signals go to its pid as Popen sends them."""

    def __init__(self, args: list[str], connection: socket.socket) -> None:
        self.args = args
        self.returncode: int | None = None
        self.stdout: TextIO | None = None
        self.stderr: TextIO | None = None
        self._connection = connection
        self._received = b""
        self._lock = threading.Lock()
        self._readers = concurrent.futures.ThreadPoolExecutor(2)
        self._reads: dict[TextIO, concurrent.futures.Future[str]] = {}
        pid = self._reply(None)
        assert pid is not None
        self.pid: int = pid["pid"]

    def _reply(self, timeout: float | None) -> dict[str, int] | None:
        """The server's next reply line, or None when none came within `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._received:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._connection], [], [], left)
            if not ready:
                return None
            data = self._connection.recv(4096)
            if not data:  # the server went away without a word (it was killed)
                raise ConnectionError("the CLI server closed the connection")
            self._received += data
        line, self._received = self._received.split(b"\n", 1)
        reply: dict[str, int] = json.loads(line)
        return reply

    def _collect(self, timeout: float | None) -> int | None:
        # As Popen.poll: a poll while another thread waits does not block, it finds no status.
        if not self._lock.acquire(blocking=timeout != 0):
            return self.returncode
        try:
            if self.returncode is None:
                reply = self._reply(timeout)
                if reply is not None:
                    self.returncode = reply["returncode"]
                    self._connection.close()
            return self.returncode
        finally:
            self._lock.release()

    def poll(self) -> int | None:
        return self._collect(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._collect(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        return code

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, timeout: float | None = None) -> tuple[str | None, str | None]:
        """Read the piped output to its end, then the exit status (no input: stdin is
        inherited). After a timeout, a later call goes on with the same reads, as Popen's."""
        streams = [stream for stream in (self.stdout, self.stderr) if stream is not None]
        for stream in streams:
            if stream not in self._reads:
                self._reads[stream] = self._readers.submit(stream.read)
        reads = [self._reads[stream] for stream in streams]
        done, _ = concurrent.futures.wait(reads, timeout)
        if len(done) < len(reads):
            raise subprocess.TimeoutExpired(self.args, timeout or 0.0)
        texts = [
            _newlines(read.result()) if not stream.closed else ""
            for stream, read in zip(streams, reads, strict=True)
        ]
        for stream in streams:  # as Popen.communicate does
            stream.close()
        self._readers.shutdown()
        self.wait(timeout)
        out = texts.pop(0) if self.stdout is not None else None
        err = texts.pop(0) if self.stderr is not None else None
        return out, err


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


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
    from_scratch: bool = False,
) -> Any:
    """`python -m bot ARGS` started in the background (from the repo root, or `cwd`).

    Output is captured through pipes (read with communicate), or, with `output`, written to
    `output.stdout` and `output.stderr` files that a test can read while the process runs.

    Like `run_cli`, the process is forked from the CLI server (a ForkedProcess, with Popen's
    methods): a real process with its own directory, environment and streams, whose own
    children (the daemon's parse workers) are started from scratch. `from_scratch` starts a
    new interpreter instead (a subprocess.Popen): for tests that measure the process's memory
    (the server's imports would count) or reap it themselves.
    """
    server = None if from_scratch else cli_server()
    if server is not None:
        return _start_forked(server, args, env, output, cwd)
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


def _start_forked(
    server: CliServer,
    args: Sequence[str],
    env: Mapping[str, str] | None,
    output: Path | None,
    cwd: Path,
) -> ForkedProcess:
    """start_cli through the CLI server: files or pipes for stdout and stderr, as Popen's."""
    environment = dict(env) if env is not None else cli_env()
    command = [sys.executable, "-m", "bot", *args]
    if output is not None:
        with (
            output.with_suffix(".stdout").open("w") as out,
            output.with_suffix(".stderr").open("w") as err,
        ):  # the child has its own copies
            return server.start(
                command, args, environment, cwd=cwd, stdout=out.fileno(), stderr=err.fileno()
            )
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        process = server.start(
            command, args, environment, cwd=cwd, stdout=out_write, stderr=err_write
        )
    except BaseException:
        os.close(out_read)
        os.close(err_read)
        raise
    finally:
        os.close(out_write)
        os.close(err_write)
    process.stdout = open(out_read, encoding=locale.getpreferredencoding(False))  # noqa: SIM115
    process.stderr = open(err_read, encoding=locale.getpreferredencoding(False))  # noqa: SIM115
    return process
