"""A verified Slack request seen again changes nothing (SPEC §9).

What "the same request" means:
- the same signature and timestamp: the same bytes sent again (a replay by whoever captured them, or
  a proxy that retried);
- the same ``event_id``: Slack retries an event it thinks failed (``X-Slack-Retry-Num``, with a new
  timestamp and signature), up to three times within the hour;
- the same ``trigger_id`` on a request marked ``X-Slack-Retry-Num``: Slack gives every command and
  interaction its own trigger, so a retry of one carries the first one's.

The first request's fingerprints are stored (``storage.seen_requests``, shared by every process on one
database) and its answer is kept; a request seen again gets that answer (or an empty 200 while the
first is still running) and never reaches Bolt. Fingerprints expire after ``KEEP``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.seen_requests import answer_of, forget_before, record_answer, remember

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

KEEP = timedelta(hours=1)
PURGE_EVERY_SECONDS = 60
MAX_ID = 100  # longer ids are hashed into the key

log = logging.getLogger(__name__)


def fingerprints(environ: dict[str, Any], body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(keys that make this request a replay when seen before, keys only recorded).

    A trigger id makes a request a replay only when Slack marks it as a retry: a trigger seen twice
    otherwise is left to Slack's own one-use rule."""
    signed = f"{environ.get('HTTP_X_SLACK_REQUEST_TIMESTAMP')}:{environ.get('HTTP_X_SLACK_SIGNATURE')}"
    replay = ["sig:" + hashlib.sha256(signed.encode()).hexdigest()]
    recorded: list[str] = []
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
        replay.append("event:" + _short(f"{body.get('team_id')}:{event_id}"))
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        key = "trigger:" + _short(trigger)
        (replay if environ.get("HTTP_X_SLACK_RETRY_NUM") else recorded).append(key)
    return replay, recorded


def _short(text: str) -> str:
    return text if len(text) <= MAX_ID else hashlib.sha256(text.encode()).hexdigest()


class ReplayGuard:
    """Answers a request seen before from the store; hands a new one over and keeps its answer."""

    def __init__(self, engine: Engine, *, wall_clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.wall_clock = wall_clock
        self._purged = 0.0
        self._lock = threading.Lock()

    def answer(
        self, environ: dict[str, Any], body: dict[str, Any], start_response: StartResponse, inner: WsgiApp
    ) -> Iterable[bytes]:
        replay, recorded = fingerprints(environ, body)
        now = datetime.fromtimestamp(self.wall_clock(), UTC)
        try:
            seen = remember(self.engine, keys=replay + recorded, now=now)
        except SQLAlchemyError as error:  # the database is down: handle it; the listener will fail too
            log.warning("could not check for a replay: %s", type(error).__name__)
            return inner(environ, start_response)
        self._purge(now)
        if any(key in seen for key in replay):
            return self._again(environ, replay, start_response)

        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = list(inner(environ, keep))
        if "status" in captured:
            content_type = next((v for k, v in captured["headers"] if k.lower() == "content-type"), None)
            try:
                record_answer(
                    self.engine,
                    keys=replay + recorded,
                    status=int(captured["status"].split()[0]),
                    content_type=content_type,
                    answer=b"".join(chunks).decode("utf-8", "replace"),
                )
            except SQLAlchemyError as error:
                log.warning("could not keep the answer for replays: %s", type(error).__name__)
        return chunks

    def _again(self, environ: dict[str, Any], keys: list[str], start_response: StartResponse) -> list[bytes]:
        retry = environ.get("HTTP_X_SLACK_RETRY_NUM")
        log.info("a Slack request seen before%s: answered again, nothing run", " (retry)" if retry else "")
        kept = answer_of(self.engine, keys=keys)
        status, content_type, text = kept if kept is not None else (200, None, "")
        body = text.encode()
        headers = [("Content-Length", str(len(body)))]
        if content_type:
            headers.append(("Content-Type", content_type))
        start_response(f"{status} {_REASONS.get(status, 'OK')}", headers)
        return [body]

    def _purge(self, now: datetime) -> None:
        with self._lock:
            if self.wall_clock() - self._purged < PURGE_EVERY_SECONDS:
                return
            self._purged = self.wall_clock()
        try:
            forget_before(self.engine, before=now - KEEP)
        except SQLAlchemyError as error:
            log.warning("could not forget old request fingerprints: %s", type(error).__name__)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    500: "Internal Server Error",
}
