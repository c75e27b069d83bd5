"""A fake Telegram Bot API (aiohttp.web on 127.0.0.1) that python-telegram-bot talks to.

Point PTB at it with ``base_url=fake.base_url`` (``http://127.0.0.1:PORT/bot``) and the token
``fake.token``. It answers getMe, getUpdates (long polling over updates the test injects),
sendMessage, editMessageText (of messages it sent: "not modified" for the same text, "not
found" once `delete_message`d), answerCallbackQuery, getChatMember, setMyCommands, deleteWebhook
and a few more with Telegram's JSON shapes, and enforces Telegram's limits:

- 30 messages in any second overall, 3 in any 3 s per chat, 20 per minute per group:
  beyond them a 429 with ``parameters.retry_after``;
- HTML that does not parse: 400 "can't parse entities"; text over 4096: "message is too long".

Tests choose failures per chat with `fail(chat_id, kind, times=...)` (kind: "forbidden",
"not_found", "5xx", "retry_after:N", "too_long", or "reset": the connection is closed with no
answer), hold back the answer to every accepted send for `latency` seconds, inject updates with
`command(...)` and `press(...)`, and read what arrived in `sent` (every accepted message) or
`wait_for(...)`; `attempts_to(chat_id)` counts sends tried, `deliveries()` counts accepted
alerts per (chat, match).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

from tests.support.webserve import serve_app

TOKEN = "123456789:AAfakeTOKENfakeTOKENfakeTOKENfake00"


def user(user_id: int) -> dict[str, Any]:
    """A human Telegram user."""
    return {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}


BOT_USER = {"id": 123456789, "is_bot": True, "first_name": "narcowatch", "username": "nw_bot"}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "span",
    "tg-spoiler",
    "blockquote",
    "tg-emoji",
}


@dataclass
class SentMessage:
    """A message the fake accepted."""

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    thread_id: int | None
    reply_markup: dict[str, Any] | None
    link_preview_disabled: bool | None
    at: float


@dataclass
class SentPhoto:
    """A photo the fake accepted (sendPhoto, uploaded as multipart/form-data)."""

    message_id: int
    chat_id: int
    data: bytes
    caption: str
    parse_mode: str | None
    thread_id: int | None
    at: float


@dataclass
class Failure:
    kind: str
    times: int | None  # None: for ever


class _ConnectionReset(Exception):
    """Raised by a handler to drop the connection without answering."""


class _Strict(HTMLParser):
    """Checks Telegram HTML the way the Bot API does: known tags, balanced, valid entities."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'unexpected end tag "{tag}"'
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> tuple[str | None, str]:
    """(error or None, visible text) for a Telegram HTML message."""
    if re.search(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        return "can't parse entities: unsupported entity", ""
    if re.search(r"<(?![a-zA-Z/])", text):
        return "can't parse entities: unexpected '<'", ""
    parser = _Strict()
    parser.feed(text)
    parser.close()
    if parser.error is None and parser.stack:
        parser.error = f'can\'t find end tag corresponding to start tag "{parser.stack[-1]}"'
    if parser.error:
        return f"can't parse entities: {parser.error}", ""
    return None, "".join(parser.text)


def tg_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeBotApi:
    """The fake server's state and handlers; start it with `fake_bot_api()`."""

    def __init__(self, *, enforce_limits: bool = True) -> None:
        self.token = TOKEN
        self.base_url = ""
        self.enforce_limits = enforce_limits
        self.sent: list[SentMessage] = []
        self.photos: list[SentPhoto] = []
        """Every accepted sendPhoto, with the uploaded bytes."""
        self.edits: list[SentMessage] = []
        """Every accepted editMessageText, with the new text."""
        self.deleted: set[tuple[int, int]] = set()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.send_attempts: list[tuple[int, float]] = []
        """(chat id, when) of every sendMessage call, answered or failed (the fake's clock)."""
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[Any] = []
        self.admins: dict[int, set[int]] = defaultdict(set)
        self.failures: dict[int, deque[Failure]] = defaultdict(deque)
        self.rate_limited = 0
        self.updates: list[dict[str, Any]] = []
        self.update_ids = itertools.count(1)
        self.message_ids = itertools.count(1000)
        self.new_update = asyncio.Condition()
        self.sent_event = asyncio.Event()
        self.global_window: deque[float] = deque()
        self.chat_windows: dict[int, deque[float]] = defaultdict(deque)
        self.group_windows: dict[int, deque[float]] = defaultdict(deque)
        self.chat_types: dict[int, str] = {}
        self.clock: Callable[[], float] = time.monotonic
        self.closing = False
        self.latency = 0.0
        """Seconds between accepting a message and answering: the sender does not know yet."""
        self.unanswered = 0
        """Messages accepted whose answer is still being held back by `latency`."""
        self.polling: set[Any] = set()
        """Transports of getUpdates requests in flight (Telegram allows one poller per bot)."""
        self.conflicts = 0
        """getUpdates calls answered 409 because another poller was already waiting."""

    # --- test controls ----------------------------------------------------------------------

    def fail(self, chat_id: int, kind: str, *, times: int | None = None) -> None:
        """Answer sends to `chat_id` with this failure, `times` times (None: always)."""
        self.failures[chat_id].append(Failure(kind, times))

    def make_admin(self, chat_id: int, user_id: int) -> None:
        self.admins[chat_id].add(user_id)

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """A user deletes a message: editing it fails with "message to edit not found"."""
        self.deleted.add((chat_id, message_id))

    def current_text(self, chat_id: int, message_id: int) -> str | None:
        """A message's text as the chat sees it now (after edits), None when unknown."""
        for edit in reversed(self.edits):
            if (edit.chat_id, edit.message_id) == (chat_id, message_id):
                return edit.text
        sent = [m for m in self.sent if (m.chat_id, m.message_id) == (chat_id, message_id)]
        return sent[0].text if sent else None

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id]

    def attempts_to(self, chat_id: int) -> int:
        """sendMessage calls for `chat_id`, answered or failed."""
        return sum(
            1
            for method, params in self.calls
            if method.lower() == "sendmessage" and int(params.get("chat_id", 0)) == chat_id
        )

    def attempt_times(self, chat_id: int) -> list[float]:
        """When each sendMessage call for `chat_id` arrived, answered or failed, in order."""
        return [at for chat, at in self.send_attempts if chat == chat_id]

    @staticmethod
    def alert_match(message: SentMessage) -> int | None:
        """The match id an alert's feedback button carries (`fb:r:<id>`), None for other text."""
        rows = (message.reply_markup or {}).get("inline_keyboard") or []
        for row in rows:
            for button in row:
                data = str(button.get("callback_data", ""))
                if data.startswith("fb:r:"):
                    return int(data.removeprefix("fb:r:"))
        return None

    def deliveries(self) -> Counter[tuple[int, int]]:
        """How often each alert was accepted, by (chat id, match id)."""
        return Counter(
            (m.chat_id, match) for m in self.sent if (match := self.alert_match(m)) is not None
        )

    def duplicates(self) -> dict[tuple[int, int], int]:
        """Alerts accepted more than once: (chat id, match id) -> extra copies."""
        return {key: n - 1 for key, n in self.deliveries().items() if n > 1}

    async def wait_for(
        self, predicate: Callable[[list[SentMessage]], bool], within: float = 10.0
    ) -> list[SentMessage]:
        """Wait until `predicate(sent)` holds (checked after every call); fail after `within` s."""
        async with asyncio.timeout(within):
            while not predicate(self.sent):
                self.sent_event.clear()
                await self.sent_event.wait()
        return self.sent

    async def wait_for_text(self, chat_id: int, needle: str, within: float = 10.0) -> SentMessage:
        """The first message to `chat_id` containing `needle`, waiting for it if need be."""
        await self.wait_for(
            lambda s: any(needle in m.text for m in s if m.chat_id == chat_id), within
        )
        return next(m for m in self.sent if m.chat_id == chat_id and needle in m.text)

    async def _push(self, update: dict[str, Any]) -> int:
        update_id = next(self.update_ids)
        self.updates.append({"update_id": update_id, **update})
        async with self.new_update:
            self.new_update.notify_all()
        return update_id

    @staticmethod
    def chat(
        chat_id: int, chat_type: str, title: str | None = None, forum: bool = False
    ) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = f"user{chat_id}"
        else:
            chat["title"] = title or f"group {chat_id}"
        if forum:
            chat["is_forum"] = True
        return chat

    def message(
        self,
        chat_id: int,
        chat_type: str,
        thread_id: int | None,
        *,
        forum: bool,
        sender: dict[str, Any],
        text: str,
    ) -> dict[str, Any]:
        """A Message in Telegram's shape, in a forum thread when `thread_id` is given."""
        message: dict[str, Any] = {
            "message_id": next(self.message_ids),
            "date": int(time.time()),
            "chat": self.chat(chat_id, chat_type, forum=forum),
            "from": sender,
            "text": text,
        }
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return message

    async def command(
        self,
        text: str,
        *,
        chat_id: int,
        user_id: int | None = None,
        chat_type: str = "private",
        thread_id: int | None = None,
        forum: bool = False,
    ) -> int:
        """A user sends `text` (a /command) in a chat; returns the update id."""
        user_id = user_id if user_id is not None else chat_id
        self.chat_types[chat_id] = chat_type
        message = self.message(
            chat_id, chat_type, thread_id, forum=forum, sender=user(user_id), text=text
        )
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return await self._push({"message": message})

    async def press(
        self,
        data: str,
        *,
        chat_id: int,
        user_id: int | None = None,
        chat_type: str = "private",
        thread_id: int | None = None,
    ) -> int:
        """A user presses an inline button with `data` under a bot message in a chat."""
        user_id = user_id if user_id is not None else chat_id
        forum = thread_id is not None
        message = self.message(
            chat_id, chat_type, thread_id, forum=forum, sender=BOT_USER, text="an alert"
        )
        query = {
            "id": str(next(self.update_ids) * 7919),
            "from": user(user_id),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        return await self._push({"callback_query": query})

    # --- HTTP ------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self.error(401, "Unauthorized")
        params: dict[str, Any] = {}
        if request.content_type == "application/json":
            params = dict(await request.json())
        elif request.can_read_body:
            params = {k: self.decode(v) for k, v in (await request.post()).items()}
        params.update({k: self.decode(v) for k, v in request.query.items()})
        method = request.match_info["method"]
        self.calls.append((method, params))
        if method.lower() == "getupdates":
            return await self.poll_once(request, params)
        handler = getattr(self, f"m_{method.lower()}", None)
        if handler is None:
            return self.error(400, f"Bad Request: method {method} not supported by the fake")
        try:
            result: web.Response = await handler(params)
        except _ConnectionReset:
            # The client sees the connection close with no answer (a reset mid-request).
            if request.transport is not None:
                request.transport.close()
            result = web.Response(status=500)
        self.sent_event.set()  # wakes `wait_for` after any call, not only sends
        return result

    @staticmethod
    def decode(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    @staticmethod
    def ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def error(code: int, description: str, **parameters: Any) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=code)

    async def m_getme(self, params: dict[str, Any]) -> web.Response:
        return self.ok(
            {
                **BOT_USER,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def m_deletewebhook(self, params: dict[str, Any]) -> web.Response:
        return self.ok(True)

    async def m_setmycommands(self, params: dict[str, Any]) -> web.Response:
        self.commands = params.get("commands", [])
        return self.ok(True)

    async def poll_once(self, request: web.Request, params: dict[str, Any]) -> web.Response:
        """getUpdates, refused with 409 while another live connection polls, as Telegram does."""
        self.polling = {t for t in self.polling if not t.is_closing()}
        if self.polling:
            self.conflicts += 1
            return self.error(
                409,
                "Conflict: terminated by other getUpdates request; make sure that only "
                "one bot instance is running",
            )
        self.polling.add(request.transport)
        try:
            return await self.m_getupdates(params)
        finally:
            self.polling.discard(request.transport)

    async def m_getupdates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)

        def pending() -> list[dict[str, Any]]:
            return [u for u in self.updates if u["update_id"] >= offset]

        if not pending() and timeout > 0:
            async with self.new_update:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self.new_update.wait_for(lambda: bool(pending()) or self.closing),
                        timeout=min(timeout, 2.0),
                    )
        return self.ok(pending()[:100])

    async def m_answercallbackquery(self, params: dict[str, Any]) -> web.Response:
        self.callback_answers.append(params)
        return self.ok(True)

    async def m_getchatmember(self, params: dict[str, Any]) -> web.Response:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = "administrator" if user_id in self.admins[chat_id] else "member"
        user = {"id": user_id, "is_bot": False, "first_name": f"user{user_id}"}
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member.update(
                {
                    k: True
                    for k in (
                        "can_be_edited",
                        "is_anonymous",
                        "can_manage_chat",
                        "can_delete_messages",
                        "can_manage_video_chats",
                        "can_restrict_members",
                        "can_promote_members",
                        "can_change_info",
                        "can_invite_users",
                        "can_post_stories",
                        "can_edit_stories",
                        "can_delete_stories",
                    )
                }
            )
            member["is_anonymous"] = False
            member["can_be_edited"] = False
        return self.ok(member)

    def _limited(self, chat_id: int, now: float) -> float | None:
        """Seconds to wait when a send now would break a limit, else None (and count it)."""
        # Per chat: 1/s on average, bursts of 3 tolerated (as Telegram does for command replies).
        windows = [(self.global_window, 1.0, 30), (self.chat_windows[chat_id], 3.0, 3)]
        if self.chat_types.get(chat_id, "private") != "private":
            windows.append((self.group_windows[chat_id], 60.0, 20))
        for window, span, limit in windows:
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                return window[0] + span - now
        for window, _, _ in windows:
            window.append(now)
        return None

    def _failure(self, chat_id: int) -> str | None:
        queue = self.failures.get(chat_id)
        if not queue:
            return None
        failure = queue[0]
        if failure.times is not None:
            failure.times -= 1
            if failure.times <= 0:
                queue.popleft()
        return failure.kind

    async def m_sendmessage(self, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        self.send_attempts.append((chat_id, self.clock()))
        text = str(params.get("text", ""))
        kind = self._failure(chat_id)
        if kind == "reset":
            raise _ConnectionReset
        if kind == "forbidden":
            return self.error(403, "Forbidden: bot was blocked by the user")
        if kind == "not_found":
            return self.error(400, "Bad Request: chat not found")
        if kind == "5xx":
            return self.error(502, "Bad Gateway")
        if kind is not None and kind.startswith("retry_after:"):
            seconds = int(kind.split(":")[1])
            self.rate_limited += 1
            return self.error(429, f"Too Many Requests: retry after {seconds}", retry_after=seconds)
        if not text.strip():
            return self.error(400, "Bad Request: message text is empty")
        visible = text
        if params.get("parse_mode") == "HTML":
            problem, visible = parse_html(text)
            if problem is not None:
                return self.error(400, f"Bad Request: {problem}")
        if tg_len(visible) > 4096 or kind == "too_long":
            return self.error(400, "Bad Request: message is too long")
        now = self.clock()
        if self.enforce_limits:
            wait = self._limited(chat_id, now)
            if wait is not None:
                self.rate_limited += 1
                seconds = max(1, int(wait + 0.999))
                return self.error(
                    429, f"Too Many Requests: retry after {seconds}", retry_after=seconds
                )
        preview = params.get("link_preview_options") or {}
        message = SentMessage(
            message_id=next(self.message_ids),
            chat_id=chat_id,
            text=text,
            parse_mode=params.get("parse_mode"),
            thread_id=params.get("message_thread_id"),
            reply_markup=params.get("reply_markup"),
            link_preview_disabled=preview.get("is_disabled") if isinstance(preview, dict) else None,
            at=now,
        )
        self.sent.append(message)
        self.sent_event.set()
        if self.latency > 0:
            self.unanswered += 1
            try:
                await asyncio.sleep(self.latency)
            finally:
                self.unanswered -= 1
        return self.ok(self.message_json(message))

    async def m_sendphoto(self, params: dict[str, Any]) -> web.Response:
        """sendPhoto with an uploaded file, checked as Telegram does (caption, size, limits)."""
        chat_id = int(params["chat_id"])
        upload = params.get("photo")
        if not isinstance(upload, web.FileField):
            return self.error(400, "Bad Request: the fake only takes uploaded photos")
        data = upload.file.read()
        if not data.startswith(b"\x89PNG\r\n\x1a\n") and not data.startswith(b"\xff\xd8"):
            return self.error(400, "Bad Request: IMAGE_PROCESS_FAILED")
        if len(data) > 10 * 1024 * 1024:
            return self.error(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        caption = str(params.get("caption", ""))
        kind = self._failure(chat_id)
        if kind == "forbidden":
            return self.error(403, "Forbidden: bot was blocked by the user")
        if kind == "5xx":
            return self.error(502, "Bad Gateway")
        visible = caption
        if params.get("parse_mode") == "HTML":
            problem, visible = parse_html(caption)
            if problem is not None:
                return self.error(400, f"Bad Request: {problem}")
        if tg_len(visible) > 1024:
            return self.error(400, "Bad Request: message caption is too long")
        now = self.clock()
        if self.enforce_limits:
            wait = self._limited(chat_id, now)
            if wait is not None:
                self.rate_limited += 1
                seconds = max(1, int(wait + 0.999))
                return self.error(
                    429, f"Too Many Requests: retry after {seconds}", retry_after=seconds
                )
        photo = SentPhoto(
            message_id=next(self.message_ids),
            chat_id=chat_id,
            data=data,
            caption=caption,
            parse_mode=params.get("parse_mode"),
            thread_id=params.get("message_thread_id"),
            at=now,
        )
        self.photos.append(photo)
        self.sent_event.set()
        size = {"file_id": f"photo{photo.message_id}", "file_unique_id": f"u{photo.message_id}"}
        body: dict[str, Any] = {
            "message_id": photo.message_id,
            "date": int(time.time()),
            "chat": self.chat(chat_id, self.chat_types.get(chat_id, "private")),
            "from": BOT_USER,
            "photo": [{**size, "width": 1080, "height": 1620, "file_size": len(data)}],
            "caption": visible,
        }
        return self.ok(body)

    async def m_editmessagetext(self, params: dict[str, Any]) -> web.Response:
        # Only messages this fake sent can be edited, as only the bot's own can on Telegram.
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        text = str(params.get("text", ""))
        current = self.current_text(chat_id, message_id)
        if current is None or (chat_id, message_id) in self.deleted:
            return self.error(400, "Bad Request: message to edit not found")
        if params.get("parse_mode") == "HTML":
            problem, _ = parse_html(text)
            if problem is not None:
                return self.error(400, f"Bad Request: {problem}")
        if text == current:
            return self.error(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        now = self.clock()
        if self.enforce_limits:
            wait = self._limited(chat_id, now)
            if wait is not None:
                self.rate_limited += 1
                seconds = max(1, int(wait + 0.999))
                return self.error(
                    429, f"Too Many Requests: retry after {seconds}", retry_after=seconds
                )
        message = SentMessage(
            message_id,
            chat_id,
            text,
            params.get("parse_mode"),
            None,
            params.get("reply_markup"),
            None,
            now,
        )
        self.edits.append(message)
        self.sent_event.set()
        return self.ok(self.message_json(message))

    def message_json(self, message: SentMessage) -> dict[str, Any]:
        chat_type = self.chat_types.get(message.chat_id, "private")
        body: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": self.chat(message.chat_id, chat_type),
            "from": BOT_USER,
            "text": message.text,
        }
        if message.thread_id is not None:
            body["message_thread_id"] = message.thread_id
            body["is_topic_message"] = True
        if message.reply_markup:
            body["reply_markup"] = message.reply_markup
        return body


@asynccontextmanager
async def fake_bot_api(*, enforce_limits: bool = True, port: int = 0) -> AsyncIterator[FakeBotApi]:
    """Run a FakeBotApi on 127.0.0.1 (on `port`, else a random one) for the `async with`."""
    fake = FakeBotApi(enforce_limits=enforce_limits)
    app = web.Application()
    app.router.add_route("*", "/bot{token}/{method}", fake.handle)
    async with serve_app(app, "127.0.0.1", port) as (_, bound_port):
        fake.base_url = f"http://127.0.0.1:{bound_port}/bot"
        try:
            yield fake
        finally:
            fake.closing = True
            async with fake.new_update:  # release long polls so shutdown need not wait for them
                fake.new_update.notify_all()
