"""A process that has imported narcowatch once and forks a fresh process for each CLI run.

`python -m tests.support.cli_server SOCKET` imports what every `narcowatch` command would
import again (about a second of CPU a start, hundreds of starts a suite), then serves requests
on the Unix socket SOCKET. For each request it forks a handler, which forks the command's own
process and reports its pid and, once it exits, its exit code. The command's process is a real
process of its own: its own working directory, environment, standard streams and exit code,
the same `python -m bot` argv; only the interpreter start and the imports are inherited.

Request (one JSON line): {"args", "env", "cwd", "stdin", "stdout", "stderr"}, the last three
being file paths, or {"args", "env", "cwd", "fds": true} sent with three open file descriptors
(SCM_RIGHTS) that become the command's standard input, output and error, as a Popen child's
inherited files or pipes would. Replies (JSON lines): {"pid": N}, then {"returncode": N}.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import logging
import os
import runpy
import signal
import socket
import sys
import time
import traceback
from pathlib import Path
from typing import Any

# Loaded before forking: what the commands import. A module that fails to import here is
# simply imported by the command itself, as it would be without this server.
PRELOAD = (
    "bot.cli",
    "bot.daemon",
    "bot.storage",
    "bot.storage.migrate",
    "alembic.command",
    "alembic.runtime.migration",
    "alembic.script",
    "bot.matching.engine",
    "bot.matching.loader",
    "bot.services.parse_jobs",
    "bot.parse",
    "bot.briefing",
    "bot.drawing",
    "matplotlib.pyplot",
)
MAIN = str(Path(__file__).resolve().parents[2] / "bot" / "__main__.py")


def preload() -> None:
    for name in PRELOAD:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def run_command(request: dict[str, Any], fds: list[int]) -> None:
    """In the forked command process: become `python -m bot ARGS`, run it, exit with its code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the command waits for its own children
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    if not fds:
        fds = [
            os.open(request["stdin"] or os.devnull, os.O_RDONLY),
            os.open(request["stdout"], os.O_WRONLY),
            os.open(request["stderr"], os.O_WRONLY),
        ]
    for fd, opened in enumerate(fds):
        os.dup2(opened, fd)
    for opened in set(fds) - {0, 1, 2}:
        os.close(opened)
    sys.argv = [MAIN, *request["args"]]
    code: int = 0
    try:
        runpy.run_module("bot", run_name="__main__", alter_sys=True)
    except SystemExit as done:
        if done.code is None:
            code = 0
        elif isinstance(done.code, int):
            code = done.code
        else:
            print(done.code, file=sys.stderr)
            code = 1
    except BaseException:  # as the interpreter would: the traceback, exit 1
        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(Exception):
            atexit._run_exitfuncs()
            logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    os._exit(code)


def read_request(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """The request line and the file descriptors sent with its first bytes (if any)."""
    data, fds, _, _ = socket.recv_fds(connection, 1 << 16, 3)
    while not data.endswith(b"\n"):
        more = connection.recv(1 << 16)
        if not more:
            raise ConnectionError("the request ended before its end of line")
        data += more
    return json.loads(data), fds


def handle(connection: socket.socket) -> None:
    """In a forked handler: read the request, fork the command, report its pid and its code."""
    request, fds = read_request(connection)
    with connection.makefile("wb") as stream:
        pid = os.fork()
        if pid == 0:
            connection.close()
            run_command(request, fds)
        for fd in fds:  # the command holds them now: a pipe ends when the command ends
            os.close(fd)
        stream.write(json.dumps({"pid": pid}).encode() + b"\n")
        stream.flush()
        _, status = os.waitpid(pid, 0)
        stream.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode() + b"\n")
        stream.flush()


def reap(signum: int, frame: object) -> None:
    """Collect finished handlers."""
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass


def main() -> None:
    path = sys.argv[1]
    parent = os.getppid()
    preload()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    # Ends with the test process that started it (not PR_SET_PDEATHSIG: that fires when the
    # starting *thread* ends, and tests start CLIs from worker threads).
    listener.settimeout(1.0)
    signal.signal(signal.SIGCHLD, reap)
    print("ready", flush=True)
    while True:
        try:
            connection, _ = listener.accept()
        except (InterruptedError, TimeoutError):
            if os.getppid() != parent:
                return
            continue
        connection.settimeout(None)
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            try:
                handle(connection)
            finally:
                os._exit(0)
        connection.close()


if __name__ == "__main__":
    main()
