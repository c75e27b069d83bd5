"""Applies saved edits of the config and topic files by itself, as SIGHUP does.

A cheap stat of each file every few seconds, rather than inotify: operators often edit files
in a folder mounted into a container, where change events do not always cross the mount.
"""

from __future__ import annotations

import asyncio
import hashlib
import html
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.render import tg_length

log = logging.getLogger("narcowatch.reload")

FileMark = tuple[str, str, bool] | tuple[str]
"""Per file: (path, sha256 of its bytes, whether it is empty or ends with a newline), or
(path,) when it cannot be read."""

Signature = tuple[FileMark, ...]

Reload = Callable[[], Awaitable[list[str]]]
"""Re-reads and applies the config; returns its problems (empty when applied)."""

Notify = Callable[[Sequence[str]], Awaitable[bool]]
"""Tells the admins; False when it should be tried again later."""

CUT_OFF_WAIT_S = 10.0
"""How long a changed file without a final newline must stay the same before it applies: a
write in progress usually stops mid-line; an editor that writes no final newline waits this."""


def file_signature(paths: Sequence[Path]) -> Signature:
    """What changes when any of the files' content changes, however it was written, or when
    one is removed."""
    marks: list[FileMark] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError:
            marks.append((str(path),))
            continue
        whole = not data or data.endswith(b"\n")
        marks.append((str(path), hashlib.sha256(data).hexdigest(), whole))
    return tuple(marks)


def looks_cut_off(current: Signature, applied: Signature | None) -> list[str]:
    """The changed files that end mid-line: probably still being written."""
    before = set(applied or ())
    return [mark[0] for mark in current if mark not in before and len(mark) == 3 and not mark[2]]


NOTICE_LIMIT = 3500
"""Well within Telegram's 4096 characters a message."""


def rejected_message(problems: Sequence[str]) -> str:
    """The admins' notice (Telegram HTML) of an edit that did not validate: each `file:line`
    problem, escaped, as many as fit in one message."""
    lines = ["⚠️ <b>A config edit was rejected</b>; the old config stays in force:"]
    for shown, problem in enumerate(problems):
        line = f"• <code>{html.escape(problem)}</code>"
        if tg_length("\n".join([*lines, line])) > NOTICE_LIMIT:
            lines.append(f"… and {len(problems) - shown} more (see the log)")
            break
        lines.append(line)
    return "\n".join(lines)


@dataclass
class ConfigWatcher:
    """Each tick compares the files' content with the last applied one; a change seen the same
    on two ticks `debounce` seconds apart (`cut_off_wait_s` when a changed file ends mid-line)
    is reloaded once, whether it validates or not (a broken file is reported once, and again
    only after a further edit)."""

    files: Callable[[], Sequence[Path]]
    """The files to watch: the main config and the topic files it lists right now."""
    reload: Reload
    clock: Callable[[], float]
    debounce_s: float = 1.0
    cut_off_wait_s: float = CUT_OFF_WAIT_S
    enabled: Callable[[], bool] = lambda: True
    notify: Notify | None = None
    applied: Signature | None = None
    _pending: Signature | None = None
    _pending_since: float = 0.0
    _held: Signature | None = None
    _untold: list[str] = field(default_factory=list)

    async def start(self) -> None:
        """Take the files as they are now as the applied config."""
        self.applied = await asyncio.to_thread(file_signature, self.files())

    async def tick(self) -> bool:
        """Check the files; True when a reload was attempted."""
        try:
            await self._tell_untold()
            if not self.enabled():
                return False
            return await self._check()
        except Exception:  # the watcher must never take the daemon down
            log.exception("reload.watch_failed")
            return False

    async def _check(self) -> bool:
        now = self.clock()
        current = await asyncio.to_thread(file_signature, self.files())
        if self.applied is None:
            self.applied = current
            return False
        if current == self.applied:
            self._pending = None
            return False
        if current != self._pending:
            # A new write: wait until the same content is seen again, `debounce` later.
            self._pending, self._pending_since = current, now
            if self.debounce_s > 0:
                return False
        waited = now - self._pending_since
        if waited < self.debounce_s:
            return False
        cut_off = looks_cut_off(current, self.applied)
        if cut_off and waited < max(self.cut_off_wait_s, self.debounce_s):
            if self._held != current:
                self._held = current
                log.info(
                    "reload.held",
                    extra={"files": cut_off, "why": "no final newline: still being written?"},
                )
            return False
        changed = [mark[0] for mark in current if mark not in (self.applied or ())]
        log.info("reload.files_changed", extra={"files": changed})
        problems = await self.reload()
        files = self.files()
        if [str(path) for path in files] != [mark[0] for mark in current]:
            # The config now lists other topic files: watch those from here on.
            current = await asyncio.to_thread(file_signature, files)
        # The content seen before reading: a write during the reload is seen on the next tick.
        self.applied = current
        self._pending = None
        self._held = None
        if problems:
            self._untold = [rejected_message(problems)]
            await self._tell_untold()
        return True

    async def _tell_untold(self) -> None:
        if not self._untold or self.notify is None:
            self._untold = []
            return
        if await self.notify(self._untold):
            self._untold = []
        else:
            log.warning("reload.admins_not_told", extra={"retry": True})
