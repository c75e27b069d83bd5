"""A stand-in for the admins' Telegram chats, for jobs that tell admins something."""

from __future__ import annotations

from collections.abc import Sequence


class Admins:
    """A notifier (bot.jobs.AdminNotify) that records what it was asked to send, and can be
    told to fail as when Telegram is not reached yet."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.failing = False

    async def __call__(self, messages: Sequence[str]) -> bool:
        if self.failing:
            return False
        self.messages.extend(messages)
        return True
