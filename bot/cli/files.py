"""Replacing files so that a failure leaves the old ones: write beside, rename, check, undo."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """`path` holds `data` or, on any error (a full disk), what it held before."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        else:  # as open() would have made it
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def replace_files(contents: Mapping[Path, bytes], *, check: Callable[[], object]) -> None:
    """Write every file, then run `check`; if a write or the check fails, every file is put
    back as it was (a file that did not exist is removed) and the error raised."""
    before = {path: path.read_bytes() if path.exists() else None for path in contents}
    try:
        for path, data in contents.items():
            write_atomically(path, data)
        check()
    except BaseException:
        for path, old in before.items():
            if old is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, old)
        raise
