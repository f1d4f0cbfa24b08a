"""The notification outbox (SPEC §9): plan, claim, send, record.

The notification table is the source of truth. ``plan_horizon`` writes what the timelines say will
be sent in the coming days (one row per idempotency key); ``tick`` claims the rows that are due,
checks each is still wanted, posts it with its key in Slack message metadata, and records Slack's
``ts``. Any number of ticks may run at once, in any number of processes: a row is claimed by one
worker at a time (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite ``BEGIN IMMEDIATE``), a claim
whose worker died is taken over after a lease, and a row that may already have been posted is
first looked up in Slack by its key.

Planning is incremental so that a tick stays cheap whatever the number of committees: each
committee (and each action without a committee) has a mark saying how far ahead it is planned
(``plan_mark``); a tick plans new committees and actions (found by id, above the last one seen)
and extends the few marks that are running out. Flows that change a subject call ``replan_meeting``,
``replan_action`` or ``replan_committee`` in the same unit of work, and ``refresh`` after commit to
edit the messages already posted.
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import threading
import time as time_mod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from bot.delivery import metrics, minutes_upload, sender
from bot.delivery.admin_reports import report_planning_failures
from bot.delivery.edits import refresh, retry_stale_edits
from bot.delivery.record import (
    FAILED,
    GONE,
    RETRIED,
    SENT,
    SKIPPED,
    Delivery,
    Ready,
    message_for,
    record_result,
    record_transient,
    skip_reason,
)
from bot.delivery.status import mark_tick
from bot.planning.horizon import plan_horizon
from bot.planning.outbox import REPORT_KINDS
from storage import notifications as store
from storage.db import transaction
from storage.models import Committee, Notification, id_of

log = logging.getLogger(__name__)

# Kinds whose sending changes their meeting's state (the minutes count as delivered once posted):
# the meeting's other posted messages are edited right after.
REFRESH_WHEN_SENT = frozenset({"minutes_posted"})

# A claim older than this is abandoned (its worker died) and may be taken by another worker.
LEASE = timedelta(minutes=5)
# Threads that send the rows of a batch.
SENDERS = 4


# ---------------------------------------------------------------------------------------------
# Sending


@dataclass
class TickSummary:
    """What one tick did; ``stopped`` says why it ended before the table was drained, if it did."""

    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retried: int = 0
    reedited: int = 0
    stopped: str | None = None
    # Slack's error for each send that failed or was deferred (429s aside), and how many times.
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    # Slack refused the bot's token (the tick stopped; nothing can be sent until it is fixed).
    refused: str | None = None
    # Of ``sent``: the reports about failures (to the chair, the admins), not the planned messages.
    reports: int = 0

    def line(self, now: datetime) -> str:
        text = (
            f"tick {now.isoformat()}: planned {self.planned}, sent {self.sent}, skipped {self.skipped}, "
            f"failed {self.failed}, retried {self.retried}, re-edited {self.reedited}"
        )
        return text + (f" (stopped: {self.stopped})" if self.stopped else "")

    def systemic_problem(self) -> str | None:
        """Why this tick as a whole failed, or None: Slack refused the token, or nothing was sent
        and every send failed (or was deferred) for one and the same reason (Slack down, the one
        channel everything goes to archived…). A tick that sent something, or whose failures
        differ, did its job: those rows are recorded and reported to the admins."""
        if self.refused:
            return f"Slack refused the bot's token ({self.refused}): check SLACK_BOT_TOKEN"
        if self.sent - self.reports == 0 and len(self.errors) == 1:
            error, count = next(iter(self.errors.items()))
            return f"every send failed: {error} ({count} notification{'s' if count != 1 else ''})"
        return None


def default_worker() -> str:
    """This process's name in ``claimed_by``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def tick(
    engine: Engine,
    client: WebClient,
    *,
    now: datetime,
    worker: str | None = None,
    batch: int = 200,
    should_stop: Callable[[], bool] | None = None,
    sleep: Callable[[float], None] = time_mod.sleep,
    plan: bool = True,
    concurrency: int = SENDERS,
) -> TickSummary:
    """Plan, then claim and send everything due at ``now``, ``batch`` rows at a time.

    Each row's outcome is committed right after its Slack call. ``concurrency`` threads send the
    rows of a batch (Slack answers in tens of milliseconds: sending one at a time would make a
    busy tick wait mostly on the network). ``should_stop`` is asked before each row: when it
    answers True, rows being sent are finished, the claims not started are released and the tick
    returns. Safe to run in several processes at once.
    """
    worker = worker or default_worker()
    summary = TickSummary()
    client = sender.without_retries(client)
    started = time_mod.perf_counter()
    planning_seconds: float | None = None
    # One connection for the whole tick, one short transaction per step: no pool checkout (and
    # no pre-ping) per row, and no transaction left open while Slack answers.
    with engine.connect() as connection:
        if plan:
            with transaction(connection) as session:
                summary.planned = plan_horizon(session, now=now)
                # What the planner had to skip reaches the admins (planning cannot call delivery).
                report_planning_failures(session, now=now)
            planning_seconds = time_mod.perf_counter() - started
        summary.reedited = retry_stale_edits(connection, client, now=now)
        while summary.stopped is None:
            with transaction(connection) as session:
                claimed = store.claim_due(
                    session, now=now, stale_before=now - LEASE, worker=worker, limit=batch
                )
            if not claimed:
                break
            rest = _send_batch(
                engine,
                connection,
                client,
                claimed,
                now=now,
                worker=worker,
                summary=summary,
                should_stop=should_stop,
                sleep=sleep,
                concurrency=concurrency,
            )
            if rest:
                with transaction(connection) as session:
                    store.release(session, ids=rest, worker=worker)
        with transaction(connection) as session:
            mark_tick(session, now=now)
    metrics.observe_tick(time_mod.perf_counter() - started, planning=planning_seconds)
    return summary


def send_now(
    engine: Engine,
    client: WebClient,
    *,
    action_id: int,
    kinds: Iterable[str],
    now: datetime,
    worker: str | None = None,
) -> TickSummary:
    """Send at once the pending rows of ``kinds`` about one action that are due (a listener, after
    committing a change that queued them: the owner's assignment DM). Claimed like in a tick, so a
    tick running at the same time never sends them twice; what fails here is retried by the ticks."""
    worker = worker or default_worker()
    summary = TickSummary()
    client = sender.without_retries(client)
    with engine.connect() as connection:
        with transaction(connection) as session:
            ids = [row.id for row in store.pending_of(session, action_id=action_id, kinds=kinds)]
            claimed = (
                store.claim_due(
                    session, now=now, stale_before=now - LEASE, worker=worker, limit=len(ids), ids=ids
                )
                if ids
                else []
            )
        if claimed:
            rest = _send_batch(
                engine,
                connection,
                client,
                claimed,
                now=now,
                worker=worker,
                summary=summary,
                should_stop=None,
                sleep=time_mod.sleep,
                concurrency=1,
            )
            if rest:
                with transaction(connection) as session:
                    store.release(session, ids=rest, worker=worker)
    return summary


def _send_batch(
    engine: Engine,
    connection: Connection,
    client: WebClient,
    claimed: list[store.Claimed],
    *,
    now: datetime,
    worker: str,
    summary: TickSummary,
    should_stop: Callable[[], bool] | None,
    sleep: Callable[[float], None],
    concurrency: int,
) -> list[int]:
    """Deliver ``claimed`` (oldest first) with ``concurrency`` threads; returns the ids not started."""
    queue = collections.deque(claimed)
    lock = threading.Lock()

    def work(own: Connection) -> None:
        while True:
            with lock:
                if summary.stopped is not None or not queue:
                    return
                if should_stop is not None and should_stop():
                    summary.stopped = "shutdown"
                    return
                row = queue.popleft()
            delivery = _deliver(own, client, row, now=now, worker=worker)
            with lock:
                _count(summary, delivery.state)
                if delivery.state != GONE:
                    metrics.count_notification(delivery.kind or row.kind, delivery.state)
                if delivery.state == SENT and (delivery.kind or row.kind) in REPORT_KINDS:
                    summary.reports += 1
                if delivery.error and delivery.state in (FAILED, RETRIED):
                    summary.errors[_error_code(delivery.error)] += 1
                if delivery.refused and summary.refused is None:
                    # Said once, by the summary ("stopped: Slack refused the token"), not per thread.
                    summary.refused = delivery.error
                if delivery.stop and summary.stopped is None:
                    summary.stopped = delivery.stop
            if delivery.wait and summary.stopped is None:
                sleep(delivery.wait)

    def work_on_own_connection() -> None:
        with engine.connect() as own:
            work(own)

    threads = [
        threading.Thread(target=work_on_own_connection, name=f"dispatch-send-{n}", daemon=True)
        for n in range(min(concurrency, len(claimed)) - 1)
    ]
    for thread in threads:
        thread.start()
    try:
        work(connection)
    finally:
        for thread in threads:
            thread.join()
    return [row.id for row in queue]


def _error_code(error: str) -> str:
    """The reason part of a recorded error ("gave up after 8 attempts: fatal_error (HTTP 500)")."""
    return error.rpartition("attempts: ")[2] if error.startswith("gave up after") else error


def _count(summary: TickSummary, state: str) -> None:
    if state == SENT:
        summary.sent += 1
    elif state == SKIPPED:
        summary.skipped += 1
    elif state == FAILED:
        summary.failed += 1
    elif state == RETRIED:
        summary.retried += 1


def _deliver(
    connection: Connection, client: WebClient, claimed: store.Claimed, *, now: datetime, worker: str
) -> Delivery:
    with transaction(connection) as session:
        row = session.get(Notification, claimed.id)
        if row is None or row.state != store.PENDING or row.claimed_by != worker:
            return Delivery(GONE, kind=claimed.kind)
        reason = skip_reason(session, row, now)
        if reason is None:
            try:
                message = message_for(session, row, now=now)
            except Exception as error:  # a bad row must not stop the others
                log.exception("building notification %s (%s) failed", row.key, row.kind)
                return record_transient(
                    session, row, f"could not build the message: {error!r}", now, report=False
                )
            if message is None:
                reason = "no longer needed"
        if reason is not None:
            store.record_skipped(session, id=id_of(row), reason=reason, now=now)
            return Delivery(SKIPPED, kind=row.kind)
        assert message is not None  # else reason was set above
        ready = Ready(
            id_of(row),
            row.key,
            row.kind,
            row.recipient,
            row.attempts,
            row.expires_at,
            row.committee_id,
            row.meeting_id,
            row.action_id,
            message,
        )

    # Slack, outside any database transaction.
    result: sender.Result | None = None
    if isinstance(ready.message, minutes_upload.FileMessage):  # a document, not a message
        result = minutes_upload.send(
            client, ready.message, channel=ready.recipient, maybe_posted=claimed.maybe_posted
        )
    if result is None and claimed.maybe_posted:
        # An earlier attempt may have been posted without being recorded: look for the key first.
        result = sender.find_posted(client, channel=ready.recipient, key=ready.key)
    if result is None:
        result = sender.post(
            client,
            channel=ready.recipient,
            text=ready.message.text,
            blocks=ready.message.blocks,
            key=ready.key,
            thread_ts=ready.message.thread_ts,
        )

    with transaction(connection) as session:
        delivery = replace(record_result(session, ready, result, now=now, worker=worker), kind=ready.kind)
        _log_delivery(session, ready, delivery)
    if delivery.state == SENT and ready.kind in REFRESH_WHEN_SENT and ready.meeting_id is not None:
        # Sending it changed the meeting's state (minutes posted): its other messages show that.
        with transaction(connection) as session:
            refresh(session, client, meeting_id=ready.meeting_id, now=now)
    return delivery


def _log_delivery(session: Session, ready: Ready, delivery: Delivery) -> None:
    """One log line per send, with the notification's key and committee (structured with LOG_FORMAT=json)."""
    if delivery.refused:
        return  # the token, not this row: the tick's summary says it once
    committee = session.get(Committee, ready.committee_id) if ready.committee_id else None
    fields = {
        "notification": ready.key,
        "kind": ready.kind,
        "committee": committee.key if committee is not None else None,
        "to": ready.recipient,
        "outcome": delivery.state,
    }
    if delivery.error:
        fields["error"] = delivery.error
    level = logging.INFO if delivery.state == SENT else logging.WARNING
    log.log(level, "notification %s %s", ready.key, delivery.state, extra=fields)
