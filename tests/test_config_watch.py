"""The config watcher: a settled edit reloads once; a rejected one is told to admins once."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from bot.config_watch import ConfigWatcher


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Reloads:
    """Records reloads and answers with the problems the test sets."""

    def __init__(self) -> None:
        self.calls = 0
        self.problems: list[str] = []

    async def __call__(self) -> list[str]:
        self.calls += 1
        return list(self.problems)


class Admins:
    """A notifier that can be made to fail, as when Telegram is not reached yet."""

    def __init__(self) -> None:
        self.told: list[list[str]] = []
        self.reachable = True

    async def __call__(self, messages: Sequence[str]) -> bool:
        if not self.reachable:
            return False
        self.told.append(list(messages))
        return True


async def test_a_burst_of_writes_reloads_once_after_it_settles(tmp_path: Path) -> None:
    """Writes closer together than the debounce are applied by one reload, once they stop."""
    topic = tmp_path / "topic.yaml"
    topic.write_text("a: 1\n", encoding="utf-8")
    clock, reloads = Clock(), Reloads()
    watcher = ConfigWatcher(files=lambda: [topic], reload=reloads, clock=clock, debounce_s=1.0)
    await watcher.start()
    assert not await watcher.tick()

    topic.write_text("a: 12\n", encoding="utf-8")
    assert not await watcher.tick()  # seen, not settled
    clock.now += 0.5
    topic.write_text("a: 123\n", encoding="utf-8")
    assert not await watcher.tick()  # another write: the wait starts again
    clock.now += 0.6
    assert not await watcher.tick()
    clock.now += 0.5
    assert await watcher.tick()
    assert reloads.calls == 1
    clock.now += 5
    assert not await watcher.tick()
    assert reloads.calls == 1


async def test_a_replaced_or_removed_file_counts_as_a_change(tmp_path: Path) -> None:
    """An editor's atomic rename and a deleted file are both changes (the reload judges them)."""
    topic = tmp_path / "topic.yaml"
    topic.write_text("a: 1\n", encoding="utf-8")
    clock, reloads = Clock(), Reloads()
    watcher = ConfigWatcher(files=lambda: [topic], reload=reloads, clock=clock, debounce_s=0.0)
    await watcher.start()
    replacement = tmp_path / "topic.yaml.new"
    replacement.write_text("a: 2\n", encoding="utf-8")
    replacement.replace(topic)
    assert await watcher.tick()
    topic.unlink()
    assert await watcher.tick()
    assert reloads.calls == 2


async def test_a_rejected_edit_is_told_to_admins_once_and_retried_when_unreachable(
    tmp_path: Path,
) -> None:
    """Problems of a broken edit reach the admins once (later if Telegram is not reached yet);
    the broken file is not reloaded again until it is edited again."""
    topic = tmp_path / "topic.yaml"
    topic.write_text("threshold: 0.5\n", encoding="utf-8")
    clock, reloads, admins = Clock(), Reloads(), Admins()
    watcher = ConfigWatcher(
        files=lambda: [topic], reload=reloads, clock=clock, debounce_s=0.0, notify=admins
    )
    await watcher.start()
    reloads.problems = [f"{topic}:1: threshold must be between 0 and 1, not 2.0"]
    admins.reachable = False
    topic.write_text("threshold: 2\n", encoding="utf-8")
    assert await watcher.tick()
    assert admins.told == []
    admins.reachable = True
    assert not await watcher.tick()
    assert len(admins.told) == 1
    assert f"{topic}:1: threshold must be between 0 and 1" in admins.told[0][0]
    assert "old config stays in force" in admins.told[0][0]
    for _ in range(3):
        assert not await watcher.tick()
    assert reloads.calls == 1
    assert len(admins.told) == 1


async def test_switched_off_it_reloads_nothing(tmp_path: Path) -> None:
    """With `reload.watch: false` an edit is left for SIGHUP or /reload."""
    topic = tmp_path / "topic.yaml"
    topic.write_text("a: 1\n", encoding="utf-8")
    clock, reloads = Clock(), Reloads()
    watcher = ConfigWatcher(
        files=lambda: [topic],
        reload=reloads,
        clock=clock,
        debounce_s=0.0,
        enabled=lambda: False,
    )
    await watcher.start()
    topic.write_text("a: 22\n", encoding="utf-8")
    assert not await watcher.tick()
    assert reloads.calls == 0


async def test_an_in_place_write_of_the_same_size_and_mtime_is_a_change(tmp_path: Path) -> None:
    """An editor that writes in place within one mtime tick (or a mount with coarse times)
    leaves size, inode and mtime as they were: the content still shows the change."""
    topic = tmp_path / "topic.yaml"
    topic.write_text("threshold: 0.5\n", encoding="utf-8")
    before = topic.stat()
    clock, reloads = Clock(), Reloads()
    watcher = ConfigWatcher(files=lambda: [topic], reload=reloads, clock=clock, debounce_s=1.0)
    await watcher.start()
    with topic.open("r+", encoding="utf-8") as stream:
        stream.write("threshold: 0.7\n")
    os.utime(topic, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert topic.stat().st_ino == before.st_ino
    assert not await watcher.tick()  # seen once: not settled yet
    clock.now += 1.5
    assert await watcher.tick()
    assert reloads.calls == 1


async def test_a_file_cut_off_mid_line_waits_until_it_is_finished(tmp_path: Path) -> None:
    """A topic whose writer paused mid-line (valid YAML, but cut short) is not reloaded while
    it stays so; finished, it is reloaded once. One cut off for `cut_off_wait_s` is applied."""
    topic = tmp_path / "topic.yaml"
    full = "threshold: 0.5\nterms:\n  - unicorn\n  - zebracorn\n"
    topic.write_text("threshold: 0.5\n", encoding="utf-8")
    clock, reloads = Clock(), Reloads()
    watcher = ConfigWatcher(
        files=lambda: [topic], reload=reloads, clock=clock, debounce_s=1.0, cut_off_wait_s=10.0
    )
    await watcher.start()
    topic.write_text(full[: full.index("zebracorn") + 4], encoding="utf-8")  # "- zebr"
    for _ in range(5):
        assert not await watcher.tick()
        clock.now += 1.5
    assert reloads.calls == 0
    topic.write_text(full, encoding="utf-8")
    assert not await watcher.tick()
    clock.now += 1.5
    assert await watcher.tick()
    assert reloads.calls == 1

    topic.write_text("threshold: 0.6", encoding="utf-8")  # an editor without a final newline
    assert not await watcher.tick()
    clock.now += 5
    assert not await watcher.tick()
    clock.now += 5.5
    assert await watcher.tick()
    assert reloads.calls == 2
