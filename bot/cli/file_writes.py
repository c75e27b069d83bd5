"""Files written whole or not at all: a temporary file beside the target, then a rename.

A topic or a report overwritten in place is lost when the write fails half way (a full disk, a
file size limit, a crash): the reader then finds a truncated file. Written to a temporary file
in the same folder, flushed to disk and renamed over the target, the file is at every moment
either all old or all new.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path


def replace_file(path: Path, data: bytes) -> None:
    """Put `data` at `path` atomically; on any error the old file stays as it was.

    The new file keeps the old one's permission bits. A symbolic link is followed: its target
    is replaced and the link stays. Raises OSError naming `path` (the temporary file is
    removed first).
    """
    target = path.resolve()
    mode = _mode_of(target)
    try:
        fd, temp_name = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as exc:
        if exc.errno is None:
            raise
        raise _about(exc, path) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode if mode is not None else _new_file_mode())
        os.replace(temp, target)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        if exc.errno is None:
            raise
        raise _about(exc, path) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _sync_folder(target.parent)


def _about(exc: OSError, path: Path) -> OSError:
    """The error as about `path`, not about the temporary file beside it (same errno, so the
    same subclass: FileNotFoundError stays one)."""
    return OSError(exc.errno, exc.strerror, str(path))


class NotPutBack(OSError):
    """A write failed, and some files already written could not be put back as they were."""

    def __init__(self, paths: list[str]) -> None:
        super().__init__(f"these files could not be put back as they were: {', '.join(paths)}")
        self.paths = paths


def replace_files(contents: Mapping[Path, bytes], *, check: Callable[[], object]) -> None:
    """Replace several files that belong together (a topic and its model), then run `check`;
    if a write or the check fails, every file is put back as it was (one that did not exist
    is removed) and the error raised; NotPutBack (from it) when some could not be."""
    before = {path: path.read_bytes() if path.exists() else None for path in contents}
    written: list[Path] = []
    try:
        for path, data in contents.items():
            replace_file(path, data)
            written.append(path)
        check()
    except BaseException as exc:
        # Only what was written is put back: on a read-only folder nothing was, and writing
        # the old bytes again would fail too, hiding the first error behind a second.
        left: list[str] = []
        for path in written:
            old = before[path]
            try:
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    replace_file(path, old)
            except OSError:
                left.append(str(path))
        if left:
            raise NotPutBack(left) from exc
        raise


def not_written(exc: OSError) -> str:
    """Why a file could not be written, for a person: the system's reason, and what to do
    about a read-only folder (the Compose file mounts the topics read-only)."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EROFS:
        reason += (
            " (in Docker Compose the topics folder is mounted read-only: run the command "
            "with it mounted writable, see docs/docker.md)"
        )
    return reason


def _new_file_mode() -> int:
    """The mode open() would give a new file (0666 less the umask)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (best effort: not every system opens folders)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
