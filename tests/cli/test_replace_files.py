"""Replacing a set of files together: all of them or, when a write or the check fails, none."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

from bot.cli.file_writes import NotPutBack, not_written, replace_file, replace_files


class CheckFailed(Exception):
    pass


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_every_file_is_written_when_the_check_passes(tmp_path: Path) -> None:
    """Existing files are replaced, new ones created, and the check sees them all."""
    topic = tmp_path / "topic.yaml"
    topic.write_bytes(b"old topic\n")
    seen: dict[str, bytes] = {}
    replace_files(
        {topic: b"new topic\n", tmp_path / "m.npz": b"numbers"},
        check=lambda: seen.update(contents(tmp_path)),
    )
    assert contents(tmp_path) == {"m.npz": b"numbers", "topic.yaml": b"new topic\n"}
    assert seen == contents(tmp_path)


def test_a_failed_check_puts_every_file_back(tmp_path: Path) -> None:
    """The check's error is raised; replaced files hold their old bytes again, files that
    did not exist are gone, and no temporary file is left."""
    topic = tmp_path / "topic.yaml"
    topic.write_bytes(b"old topic\n")
    record = tmp_path / "m.json"
    record.write_bytes(b'{"old": true}\n')
    before = contents(tmp_path)

    def check() -> None:
        assert contents(tmp_path)["topic.yaml"] == b"broken topic\n"  # written when checked
        raise CheckFailed("the topic no longer loads")

    with pytest.raises(CheckFailed, match="no longer loads"):
        replace_files(
            {topic: b"broken topic\n", tmp_path / "m.npz": b"numbers", record: b"{}"},
            check=check,
        )
    assert contents(tmp_path) == before


def test_a_failed_write_puts_the_earlier_files_back(tmp_path: Path) -> None:
    """A write that fails part way (its folder is missing) undoes the writes before it."""
    topic = tmp_path / "topic.yaml"
    topic.write_bytes(b"old topic\n")
    before = contents(tmp_path)
    with pytest.raises(FileNotFoundError):
        replace_files(
            {topic: b"new topic\n", tmp_path / "missing" / "m.npz": b"numbers"},
            check=lambda: None,
        )
    assert contents(tmp_path) == before


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    """Writing beside and renaming keeps the mode the file had (a topic readable by a group)."""
    topic = tmp_path / "topic.yaml"
    topic.write_bytes(b"old\n")
    os.chmod(topic, 0o640)
    replace_file(topic, b"new\n")
    assert topic.read_bytes() == b"new\n"
    assert stat.S_IMODE(topic.stat().st_mode) == 0o640


def test_a_first_write_that_fails_touches_nothing_and_its_error_names_the_file(
    tmp_path: Path,
) -> None:
    """Nothing was written, so nothing is written back: on a read-only folder writing the old
    bytes again would fail too and hide the first error. The error names the file asked for,
    not the temporary one beside it."""
    record = tmp_path / "m.json"
    record.write_bytes(b'{"old": true}\n')
    inode = record.stat().st_ino
    missing = tmp_path / "missing" / "m.npz"
    with pytest.raises(FileNotFoundError) as caught:
        replace_files({missing: b"numbers", record: b"{}"}, check=lambda: None)
    assert caught.value.filename == str(missing)
    assert record.read_bytes() == b'{"old": true}\n'
    assert record.stat().st_ino == inode  # not replaced by a copy of itself


def test_a_read_only_folder_is_explained() -> None:
    """The system's reason, and for a read-only file system (the Compose file mounts the
    topics read-only) where to read how to write them."""
    assert not_written(OSError(errno.EACCES, "Permission denied", "x")) == "Permission denied"
    said = not_written(OSError(errno.EROFS, "Read-only file system", "x"))
    assert said.startswith("Read-only file system (in Docker Compose the topics folder")
    assert "docs/docker.md" in said


def test_files_that_cannot_be_put_back_are_named(tmp_path: Path) -> None:
    """When putting a written file back fails too (its folder went away meanwhile), the error
    names it, with the first error as its cause: nobody is told the files are as they were."""
    folder = tmp_path / "topics"
    folder.mkdir()
    topic = folder / "topic.yaml"
    topic.write_bytes(b"old topic\n")

    def check() -> None:
        shutil.rmtree(folder)
        raise CheckFailed("the topic no longer loads")

    with pytest.raises(NotPutBack) as caught:
        replace_files({topic: b"new topic\n"}, check=check)
    assert caught.value.paths == [str(topic)]
    assert str(topic) in str(caught.value)
    assert isinstance(caught.value.__cause__, CheckFailed)
