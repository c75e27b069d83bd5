"""The parse worker process: reads jobs from stdin, runs them, writes results to stdout.

Started by `bot.services.parse_runner` as `python -m bot.services.parse_worker`. Messages are
pickles with an 8-byte length in front; the parent is the only writer, so unpickling is safe.
Requests: ("topics", specs) compiles the matcher; ("parse", ParseJob); ("score", entries,
topics); ("articles",) loads the article extractor and warms it up; ("article", body, url,
content_type) extracts an article page's text.
Replies: ("ok", value), ("parse_error", message) or ("error", message).
"""

from __future__ import annotations

import ctypes
import signal
import sys
from typing import Any, BinaryIO

from bot.errors import ParseError
from bot.matching import Matcher, compile_topics
from bot.services.parse_jobs import parse_entries, score_entries
from bot.services.worker_messages import read_message, write_message

PR_SET_PDEATHSIG = 1
MEMORY_CEILING = 1 << 30
"""Address space a worker may map (1 GiB; one idle is about 110 MB, one extracting the largest
page it accepts about 180 MB): a job that would need more fails with MemoryError, as that
source's failure, instead of taking the machine's memory."""


def answer(request: tuple[Any, ...], matcher: Matcher | None) -> tuple[object, Matcher | None]:
    """The reply to one request, and the matcher to keep for the next ones."""
    kind = request[0]
    if kind == "topics":
        matcher = compile_topics(request[1])
        return ("ok", None), matcher
    if kind == "parse":
        return ("ok", parse_entries(request[1])), matcher
    if kind == "score":
        if matcher is None:
            return ("error", "score before topics"), matcher
        return ("ok", score_entries(request[1], matcher, request[2])), matcher
    if kind == "articles":
        # trafilatura loads when the first article page comes, not in every worker that only
        # parses feeds; the parent asks for it before that page, outside the page's time.
        from bot.parse.article_text import warm_up

        warm_up()
        return ("ok", None), matcher
    if kind == "article":
        from bot.parse.article_text import extract_article

        text = extract_article(request[1], url=request[2], content_type=request[3])
        return ("ok", text), matcher
    return ("error", f"unknown request {kind!r}"), matcher


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer requests until the parent closes the pipe."""
    matcher: Matcher | None = None
    write_message(replies, ("ready", None))
    while (request := read_message(requests)) is not None:
        try:
            reply, matcher = answer(request, matcher)
        except ParseError as exc:
            reply = ("parse_error", str(exc))
        except Exception as exc:  # reported to the parent as this source's failure
            reply = ("error", f"{type(exc).__name__}: {exc}"[:500])
        del request
        write_message(replies, reply)
        del reply
        release_memory()


def release_memory() -> None:
    """Hand the heap freed by the last job back to the system: a page's parse tree is freed
    when the job ends, but the C allocator keeps it mapped (a worker stayed at 170 MB after
    one huge page; trimmed, 60 MB)."""
    if _trim is not None:
        _trim(0)


def _malloc_trim() -> Any:
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None


_trim = _malloc_trim()


def limit_memory(ceiling: int = MEMORY_CEILING) -> None:
    """Cap the worker's address space (where the platform allows it)."""
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    except (ImportError, ValueError, OSError):
        pass


def die_with_parent() -> None:
    """Linux: be killed with the daemon, even in the middle of a job (an orphan would otherwise
    run a runaway job to its end before it saw its input close)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the closed pipe ends the worker instead
        pass


def main() -> None:
    die_with_parent()
    limit_memory()
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the replies
    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
