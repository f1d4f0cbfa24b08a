"""Ack latency of ``POST /slack/events`` by request type (``committee_bot_ack_seconds``).

The WSGI wrapper ``timed`` measures from the request's arrival to the moment Bolt hands back the
answer (the acknowledgement Slack waits 3 s for). Bolt parses the body, so the request type is
noted by a global middleware (``note_request_type``), which runs in the request thread before the
ack, in a thread-local the wrapper reads once the answer is ready: the body is not parsed twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bot.delivery import metrics

_current = threading.local()


def request_type(body: dict[str, Any]) -> str:
    """``command``, or the payload's ``type`` (block_actions, view_submission, event_callback, ...)."""
    if body.get("command"):
        return "command"
    kind = body.get("type")
    return kind if isinstance(kind, str) and kind else "unknown"


def note_request_type(body: dict[str, Any], next: Callable[[], None]) -> None:
    """Bolt global middleware: remember this request's type for ``timed``."""
    _current.type = request_type(body)
    next()


def timed(
    handler: Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]],
) -> Callable[..., Iterable[bytes]]:
    """``handler`` (a WSGI app) whose answers are timed into ``committee_bot_ack_seconds``."""

    def wrapper(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        _current.type = None
        try:
            return handler(environ, start_response)
        finally:
            # A request refused before Bolt parsed it (bad signature) is "unverified".
            metrics.observe_ack(
                getattr(_current, "type", None) or "unverified", time.perf_counter() - started
            )

    return wrapper
