"""A verified Slack request seen again changes nothing (SPEC §9).

What "the same request" means:
- the same signature and timestamp: the same bytes sent again (a replay by whoever captured them, or
  a proxy that retried);
- the same ``event_id``: Slack retries an event it thinks failed (``X-Slack-Retry-Num``, with a new
  timestamp and signature), up to three times within the hour;
- the same ``trigger_id`` on a request marked ``X-Slack-Retry-Num``: Slack gives every command and
  interaction its own trigger, so a retry of one carries the first one's.

In Socket Mode there is no signature: an envelope is the same when its event id (or, on a retry,
its trigger id) is (``ReplayGuard.first_envelope``).

The first request's fingerprints are kept (in memory, and in ``storage.seen_requests``, shared by every
process on one database) with its answer; a request seen again gets that answer (or an empty 200 while
the first is still running) and never reaches Bolt. Fingerprints expire after ``KEEP``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from storage.seen_requests import MAX_ANSWER, answer_of, forget_before, record_answer, remember, seen_before

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

KEEP = timedelta(hours=1)
PURGE_EVERY_SECONDS = 60
MAX_ID = 100  # longer ids are hashed into the key
MAX_IN_MEMORY = 100_000  # fingerprints kept in memory (the oldest go first)

log = logging.getLogger(__name__)


def fingerprints(environ: dict[str, Any], body: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(keys that make this HTTP request a replay when seen before, keys only recorded)."""
    signed = f"{environ.get('HTTP_X_SLACK_REQUEST_TIMESTAMP')}:{environ.get('HTTP_X_SLACK_SIGNATURE')}"
    replay, recorded = payload_fingerprints(body, retried=bool(environ.get("HTTP_X_SLACK_RETRY_NUM")))
    return ["sig:" + hashlib.sha256(signed.encode()).hexdigest(), *replay], recorded


def payload_fingerprints(body: dict[str, Any], *, retried: bool) -> tuple[list[str], list[str]]:
    """The keys of a payload itself, over HTTP or Socket Mode: an event's id; a trigger id, which
    makes a request a replay only when Slack marks it as a retry (a trigger seen twice otherwise
    is left to Slack's own one-use rule)."""
    replay: list[str] = []
    recorded: list[str] = []
    event_id = body.get("event_id")
    if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
        replay.append("event:" + _short(f"{body.get('team_id')}:{event_id}"))
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        (replay if retried else recorded).append("trigger:" + _short(trigger))
    return replay, recorded


def _short(text: str) -> str:
    return text if len(text) <= MAX_ID else hashlib.sha256(text.encode()).hexdigest()


Answer = tuple[int, str | None, str]  # status, content type, body


class ReplayGuard:
    """Answers a request seen before; hands a new one over and keeps its answer.

    Fingerprints live in memory (this process's recent requests, an hour at most) and in the
    ``seen_request`` table (other processes, and this one after a restart). On PostgreSQL the insert
    that claims a request is made before it runs (row locks only: several processes agree at once). On
    SQLite, the one serving process's memory decides; the table is read (WAL reads never wait) and
    written by a background thread, so that the ack never waits for the database's single writer lock.
    """

    def __init__(self, engine: Engine, *, wall_clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.wall_clock = wall_clock
        self.claim_in_database = engine.dialect.name != "sqlite"
        self._recent: OrderedDict[str, tuple[float, Answer | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._purged = 0.0
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="seen-requests")

    def answer(
        self, environ: dict[str, Any], body: dict[str, Any], start_response: StartResponse, inner: WsgiApp
    ) -> Iterable[bytes]:
        replay, recorded = fingerprints(environ, body)
        keys = replay + recorded
        now = self.wall_clock()
        if not self._first_time(replay, keys, now):
            return self._again(environ, replay, start_response)

        captured: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = list(inner(environ, keep))
        if "status" in captured:
            content_type = next((v for k, v in captured["headers"] if k.lower() == "content-type"), None)
            kept: Answer = (
                int(captured["status"].split()[0]),
                content_type,
                b"".join(chunks).decode("utf-8", "replace"),
            )
            remembered = kept if len(kept[2]) <= MAX_ANSWER else None  # a long one is not kept
            with self._lock:
                for key in keys:
                    self._recent[key] = (now + KEEP.total_seconds(), remembered)
            self._write(record_answer, keys=keys, status=kept[0], content_type=kept[1], answer=kept[2])
        return chunks

    def first_envelope(self, payload: dict[str, Any], *, retried: bool) -> bool:
        """Socket Mode: whether this envelope's payload is new (False for an event Slack delivers
        again, after an ack it did not get in time or on another connection)."""
        replay, recorded = payload_fingerprints(payload, retried=retried)
        if not replay and not recorded:
            return True
        return self._first_time(replay, replay + recorded, self.wall_clock())

    def close(self) -> None:
        """Let the pending writes of fingerprints and answers finish."""
        self._writer.shutdown(wait=True)

    # -- internals -------------------------------------------------------------------------------

    def _first_time(self, replay: list[str], keys: list[str], now: float) -> bool:
        """Claim ``keys`` for this request; False when one of ``replay`` was claimed before."""
        with self._lock:
            self._forget_expired(now)
            if any(key in self._recent for key in replay):
                return False
            for key in keys:
                self._recent[key] = (now + KEEP.total_seconds(), None)
        when = datetime.fromtimestamp(now, UTC)
        try:
            if self.claim_in_database:
                seen = remember(self.engine, keys=keys, now=when)
                return not any(key in seen for key in replay)
            if seen_before(self.engine, keys=replay):
                return False
        except SQLAlchemyError as error:  # the database is down: run it; the listener will say so
            log.warning("could not check for a replay: %s", type(error).__name__)
            return True
        self._write(remember, keys=keys, now=when)
        return True

    def _again(self, environ: dict[str, Any], keys: list[str], start_response: StartResponse) -> list[bytes]:
        retry = environ.get("HTTP_X_SLACK_RETRY_NUM")
        log.info("a Slack request seen before%s: answered again, nothing run", " (retry)" if retry else "")
        with self._lock:
            kept = next((self._recent[k][1] for k in keys if k in self._recent and self._recent[k][1]), None)
        if kept is None:
            try:
                kept = answer_of(self.engine, keys=keys)
            except SQLAlchemyError:
                kept = None
        status, content_type, text = kept if kept is not None else (200, None, "")  # still running: 200
        body = text.encode()
        headers = [("Content-Length", str(len(body)))]
        if content_type:
            headers.append(("Content-Type", content_type))
        start_response(f"{status} {_REASONS.get(status, 'OK')}", headers)
        return [body]

    def _forget_expired(self, now: float) -> None:
        """(Under the lock.) Drop expired fingerprints from memory, and from the table once a minute."""
        while self._recent:
            key, (expires, _) = next(iter(self._recent.items()))
            if expires > now and len(self._recent) < MAX_IN_MEMORY:
                break
            del self._recent[key]
        if now - self._purged >= PURGE_EVERY_SECONDS:
            self._purged = now
            self._write(forget_before, before=datetime.fromtimestamp(now, UTC) - KEEP)

    def _write(self, write: Callable[..., Any], **arguments: Any) -> None:
        """Run a write of the table: at once on PostgreSQL, on the background thread on SQLite."""
        if self.claim_in_database:
            self._quietly(write, **arguments)
        else:
            self._writer.submit(self._quietly, write, **arguments)

    def _quietly(self, write: Callable[..., Any], **arguments: Any) -> None:
        try:
            write(self.engine, **arguments)
        except SQLAlchemyError as error:
            log.warning("could not write request fingerprints: %s", type(error).__name__)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    500: "Internal Server Error",
}
