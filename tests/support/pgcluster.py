"""A private, throw-away PostgreSQL server for the one test that restarts its server.

Restarting the machine's shared server would break every other PostgreSQL test running beside
it (pytest -n, other engineers); a cluster of the test's own, on its own port and socket
directory, can be restarted at will. It runs the same PostgreSQL binaries the shared server
runs, so what the daemon meets on a restart is the real thing.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import free_port

NO_SERVER_BINARIES = "PostgreSQL server binaries (initdb, pg_ctl) not found"


def server_bindir() -> Path | None:
    """The directory of initdb and pg_ctl: Debian keeps them out of PATH, per major version
    (its /usr/bin wrappers pick a cluster, not a version); elsewhere they are on PATH."""
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if versions:
        return versions[-1]
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path and shutil.which("initdb") else None


@dataclass(frozen=True)
class PrivateCluster:
    """A running cluster: its URL for SQLAlchemy and a way to restart it."""

    bindir: Path
    datadir: Path
    port: int
    run_as: str | None  # PostgreSQL refuses to run as root: then it runs as this user

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, args: Sequence[str], timeout: float = 60) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip()[-2000:]}")

    def _server_args(self) -> list[str]:
        # Its own port and socket directory: nothing collides with the shared server. The log
        # goes to a file: a server writing to our pipe would keep pg_ctl's output open forever.
        options = f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 -c fsync=off"
        return ["-o", options, "-l", str(self.datadir / "server.log"), "-w", "-s"]

    def init(self) -> None:
        self._run(
            ["initdb", "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
             "--no-sync", "--no-instructions"]
        )  # fmt: skip

    def start(self) -> None:
        self._run(["pg_ctl", "-D", str(self.datadir), *self._server_args(), "start"])

    def restart(self) -> None:
        """Stop (fast: every session is cut, as a crash or an upgrade does) and start again."""
        self._run(
            ["pg_ctl", "-D", str(self.datadir), *self._server_args(), "-m", "fast", "restart"]
        )

    def stop(self) -> None:
        self._run(["pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "-s", "stop"])


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """initdb a cluster in a temporary directory, start it, stop and remove it afterwards.

    Raises LookupError when the server binaries are missing (the caller skips or fails)."""
    bindir = server_bindir()
    if bindir is None:
        raise LookupError(NO_SERVER_BINARIES)
    run_as = "postgres" if os.geteuid() == 0 else None
    datadir = Path(tempfile.mkdtemp(prefix="nw-pg-"))
    try:
        if run_as:
            try:
                owner = pwd.getpwnam(run_as)
            except KeyError:
                raise LookupError(f"running as root and there is no {run_as!r} user") from None
            os.chown(datadir, owner.pw_uid, owner.pw_gid)
        cluster = PrivateCluster(bindir=bindir, datadir=datadir, port=free_port(), run_as=run_as)
        cluster.init()
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(datadir, ignore_errors=True)
