"""Queries on the notification outbox (SPEC §9) and on the planning marks.

Plain SQL through SQLAlchemy Core, on a Session or a Connection, identical on SQLite and PostgreSQL
except for the claim's row lock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite the caller
holds the single-writer lock, ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlmodel import Session

from storage.models import Committee, DeliveryState, Meeting, Notification, PlanMark

PENDING = DeliveryState.pending.value
SENT = DeliveryState.sent.value
SKIPPED = DeliveryState.skipped.value
FAILED = DeliveryState.failed.value

N = Notification.__table__  # type: ignore[attr-defined]
MARK = PlanMark.__table__  # type: ignore[attr-defined]
MEETING = Meeting.__table__  # type: ignore[attr-defined]
COMMITTEE = Committee.__table__  # type: ignore[attr-defined]

Executor = Session | Connection

# Keys are looked up and inserted in chunks: stays under SQLite's bound-parameter limit.
CHUNK = 500


@dataclass(frozen=True)
class Claimed:
    """A row this worker now holds; ``maybe_posted`` when an earlier attempt may have reached Slack."""

    id: int
    key: str
    kind: str
    recipient: str
    attempts: int
    maybe_posted: bool


def _rowcount(result: sa.Result[Any]) -> int | None:
    """The rows an UPDATE or INSERT touched (a CursorResult's ``rowcount``; ``Result`` does not show it)."""
    return cast("sa.CursorResult[Any]", result).rowcount


def _dialect(executor: Executor) -> str:
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    return bind.dialect.name


# -- claiming ----------------------------------------------------------------------------------


def due_query(
    *, now: datetime, stale_before: datetime, limit: int, ids: Sequence[int] | None = None
) -> sa.Select:
    """Pending rows due at ``now``, oldest first: the outbox's hot query (ix_notification_pending_due).

    A row whose claim is older than ``stale_before`` is due again (its worker died mid-send).
    ``ids`` limits it to those rows (a listener sending at once what it has just queued).
    """
    query = (
        sa.select(N.c.id, N.c.key, N.c.kind, N.c.recipient, N.c.attempts, N.c.claimed_at)
        .where(
            N.c.state == PENDING,
            N.c.due_at <= now,
            sa.or_(N.c.next_attempt_at.is_(None), N.c.next_attempt_at <= now),
            sa.or_(N.c.claimed_at.is_(None), N.c.claimed_at < stale_before),
        )
        .order_by(N.c.due_at)
        .limit(limit)
    )
    return query if ids is None else query.where(N.c.id.in_(list(ids)))


def claim_due(
    executor: Executor,
    *,
    now: datetime,
    stale_before: datetime,
    worker: str,
    limit: int,
    ids: Sequence[int] | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` due rows for ``worker`` (the caller commits).

    PostgreSQL: the rows are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent workers each get
    different rows without waiting. SQLite: run inside ``BEGIN IMMEDIATE`` (one writer at a time).
    """
    query = due_query(now=now, stale_before=stale_before, limit=limit, ids=ids)
    if _dialect(executor) == "postgresql":
        query = query.with_for_update(skip_locked=True, of=N)
    rows = executor.execute(query).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    executor.execute(
        sa.update(N).where(N.c.id.in_(ids)).values(claimed_by=worker, claimed_at=now, updated_at=now)
    )
    return [
        Claimed(
            row.id,
            row.key,
            row.kind,
            row.recipient,
            row.attempts,
            row.attempts > 0 or row.claimed_at is not None,
        )
        for row in rows
    ]


def release(executor: Executor, *, ids: Sequence[int], worker: str) -> int:
    """Give back claims this worker has not started (shutdown): the rows are due again at once."""
    if not ids:
        return 0
    result = executor.execute(
        sa.update(N)
        .where(N.c.id.in_(list(ids)), N.c.claimed_by == worker, N.c.state == PENDING)
        .values(claimed_by=None, claimed_at=None)
    )
    return _rowcount(result) or 0


# -- recording an outcome ----------------------------------------------------------------------


def record_sent(executor: Executor, *, id: int, channel: str, ts: str, now: datetime) -> bool:
    """The message is in Slack: state ``sent`` with its ts. Whatever the row's state, except already sent."""
    result = executor.execute(
        sa.update(N)
        .where(N.c.id == id, N.c.state != SENT)
        .values(
            state=SENT,
            channel=channel,
            ts=ts,
            sent_at=now,
            error=None,
            claimed_by=None,
            claimed_at=None,
            next_attempt_at=None,
            updated_at=now,
        )
    )
    return bool(_rowcount(result))


def record_skipped(executor: Executor, *, id: int, reason: str, now: datetime) -> bool:
    """Not sent, on purpose (expired, no longer needed, owner away…): the reason is kept in ``error``."""
    result = executor.execute(
        sa.update(N)
        .where(N.c.id == id, N.c.state == PENDING)
        .values(state=SKIPPED, error=reason[:500], claimed_by=None, claimed_at=None, updated_at=now)
    )
    return bool(_rowcount(result))


def record_failed(executor: Executor, *, id: int, error: str, attempts: int, now: datetime) -> bool:
    """Given up: a permanent Slack error, or too many attempts."""
    result = executor.execute(
        sa.update(N)
        .where(N.c.id == id, N.c.state == PENDING)
        .values(
            state=FAILED,
            error=error[:500],
            attempts=attempts,
            claimed_by=None,
            claimed_at=None,
            updated_at=now,
        )
    )
    return bool(_rowcount(result))


def record_retry(
    executor: Executor, *, id: int, error: str, attempts: int, next_attempt_at: datetime, now: datetime
) -> bool:
    """Still pending, tried again at ``next_attempt_at``; the claim is released."""
    result = executor.execute(
        sa.update(N)
        .where(N.c.id == id, N.c.state == PENDING)
        .values(
            error=error[:500],
            attempts=attempts,
            next_attempt_at=next_attempt_at,
            claimed_by=None,
            claimed_at=None,
            updated_at=now,
        )
    )
    return bool(_rowcount(result))


# -- planning: upsert ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Existing:
    id: int
    key: str
    kind: str
    state: str
    due_at: datetime
    expires_at: datetime | None
    recipient: str
    error: str | None = None
    ts: str | None = None
    data: dict[str, Any] | None = None  # read by ``existing`` only


def existing(executor: Executor, keys: Iterable[str]) -> dict[str, Existing]:
    """The stored rows of ``keys`` (any state), by key."""
    found: dict[str, Existing] = {}
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        rows = executor.execute(
            sa.select(
                N.c.id,
                N.c.key,
                N.c.kind,
                N.c.state,
                N.c.due_at,
                N.c.expires_at,
                N.c.recipient,
                N.c.error,
                N.c.ts,
                N.c.data,
            ).where(N.c.key.in_(chunk))
        )
        for row in rows:
            found[row.key] = Existing(
                row.id,
                row.key,
                row.kind,
                row.state,
                row.due_at,
                row.expires_at,
                row.recipient,
                row.error,
                row.ts,
                row.data,
            )
    return found


def insert_new(executor: Executor, rows: Sequence[dict[str, Any]]) -> int:
    """Insert ``rows`` (column dicts), keeping any row whose key is already stored (ON CONFLICT DO NOTHING)."""
    if not rows:
        return 0
    insert = postgresql.insert if _dialect(executor) == "postgresql" else sqlite.insert
    # One statement compiled once and executed over all the rows (executemany): far cheaper than
    # one huge multi-row VALUES. PostgreSQL's driver does not report the count of an executemany;
    # the callers pass only keys they did not find, so all of them is the count but for a race.
    statement = insert(N).on_conflict_do_nothing(index_elements=["key"])
    # Always in key order: two planners inserting overlapping keys then wait on each other in the
    # same order instead of deadlocking.
    result = executor.execute(statement, sorted(rows, key=lambda row: row["key"]))
    count = _rowcount(result)
    return count if count is not None and count >= 0 else len(rows)


def insert_meetings(executor: Executor, rows: Sequence[dict[str, Any]]) -> None:
    """Create meeting rows in bulk, keeping any that exists (unique committee_id + series_start).

    The bulk counterpart of ``storage.committees.get_or_create_meeting`` (same columns), for a
    planner that materialises hundreds of occurrences at once.
    """
    if rows:
        insert = postgresql.insert if _dialect(executor) == "postgresql" else sqlite.insert
        statement = insert(MEETING).on_conflict_do_nothing(index_elements=["committee_id", "series_start"])
        executor.execute(statement, list(rows))


def meeting_ids(
    executor: Executor, *, committee_id: int, series_starts: Sequence[datetime]
) -> dict[datetime, int]:
    """Ids of a committee's stored meetings, by series instant (aware UTC)."""
    found: dict[datetime, int] = {}
    for start in range(0, len(series_starts), CHUNK):
        rows = executor.execute(
            sa.select(MEETING.c.id, MEETING.c.series_start).where(
                MEETING.c.committee_id == committee_id,
                MEETING.c.series_start.in_(list(series_starts[start : start + CHUNK])),
            )
        )
        found.update({row.series_start: row.id for row in rows})
    return found


def insert_one(executor: Executor, row: dict[str, Any]) -> bool:
    """Insert one row unless its key is stored; True when it was new."""
    insert = postgresql.insert if _dialect(executor) == "postgresql" else sqlite.insert
    statement = insert(N).values(row).on_conflict_do_nothing(index_elements=["key"]).returning(N.c.id)
    return executor.execute(statement).first() is not None


def reschedule(
    executor: Executor,
    *,
    id: int,
    due_at: datetime,
    expires_at: datetime | None,
    recipient: str,
    data: dict[str, Any] | None = None,
    now: datetime,
) -> bool:
    """A pending row whose plan changed (meeting moved, new owner, new due date); ``data`` (what the
    message is built from: deadlines, chase number, owner) replaced when given."""
    values: dict[str, Any] = {"due_at": due_at, "expires_at": expires_at, "recipient": recipient}
    if data is not None:
        values["data"] = data
    result = executor.execute(
        sa.update(N).where(N.c.id == id, N.c.state == PENDING).values(**values, updated_at=now)
    )
    return bool(_rowcount(result))


def set_expiry(executor: Executor, *, id: int, expires_at: datetime | None, now: datetime) -> bool:
    """A posted row whose subject moved: its expiry (until when its message is kept current) follows."""
    result = executor.execute(
        sa.update(N).where(N.c.id == id, N.c.state == SENT).values(expires_at=expires_at, updated_at=now)
    )
    return bool(_rowcount(result))


def revive(
    executor: Executor,
    *,
    id: int,
    due_at: datetime,
    expires_at: datetime | None,
    recipient: str,
    data: dict[str, Any] | None = None,
    now: datetime,
) -> bool:
    """A skipped row that was never posted, planned again (its meeting moved or was restored, the
    minutes sent back, the committee reactivated): pending at its new plan, with a clean slate of
    attempts; ``data`` replaced when given. Sent and failed rows stay as they are."""
    values: dict[str, Any] = {} if data is None else {"data": data}
    result = executor.execute(
        sa.update(N)
        .where(N.c.id == id, N.c.state == SKIPPED, N.c.ts.is_(None))
        .values(
            **values,
            state=PENDING,
            attempts=0,
            due_at=due_at,
            expires_at=expires_at,
            recipient=recipient,
            error=None,
            claimed_by=None,
            claimed_at=None,
            next_attempt_at=None,
            updated_at=now,
        )
    )
    return bool(_rowcount(result))


def update_event(executor: Executor, *, key: str, data: dict[str, Any], now: datetime) -> bool:
    """Bring an event notification (one per occurrence: a move or cancellation notice) up to date:
    ``data`` is merged into its data (a None value removes the entry); when it has not been posted,
    it is due at ``now`` again (pending, attempts reset). A posted one keeps its state: the caller's
    refresh edits the message."""
    row = executor.execute(sa.select(N.c.id, N.c.state, N.c.data).where(N.c.key == key)).first()
    if row is None:
        return False
    merged = {**(row.data or {}), **data}
    values: dict[str, Any] = {
        "data": {k: v for k, v in merged.items() if v is not None},
        "updated_at": now,
    }
    if row.state != SENT:
        values.update(
            state=PENDING,
            due_at=now,
            error=None,
            attempts=0,
            next_attempt_at=None,
            claimed_by=None,
            claimed_at=None,
        )
    executor.execute(sa.update(N).where(N.c.id == row.id).values(**values))
    return True


def skip_pending(executor: Executor, *, ids: Sequence[int], reason: str, now: datetime) -> int:
    """Mark pending rows ``skipped`` (their subject no longer plans them)."""
    if not ids:
        return 0
    result = executor.execute(
        sa.update(N)
        .where(N.c.id.in_(list(ids)), N.c.state == PENDING)
        .values(state=SKIPPED, error=reason[:500], updated_at=now)
    )
    return _rowcount(result) or 0


def pending_of(
    executor: Executor,
    *,
    meeting_id: int | None = None,
    action_id: int | None = None,
    committee_id: int | None = None,
    kinds: Iterable[str] | None = None,
) -> list[Existing]:
    """Pending rows about one subject (a meeting, an action, or a committee), optionally of ``kinds``."""
    query = sa.select(N.c.id, N.c.key, N.c.kind, N.c.state, N.c.due_at, N.c.expires_at, N.c.recipient).where(
        N.c.state == PENDING
    )
    query = _subject(query, meeting_id=meeting_id, action_id=action_id, committee_id=committee_id)
    if kinds is not None:
        query = query.where(N.c.kind.in_(list(kinds)))
    return [
        Existing(r.id, r.key, r.kind, r.state, r.due_at, r.expires_at, r.recipient)
        for r in executor.execute(query)
    ]


def meetings_pending_after(executor: Executor, *, committee_id: int, after: datetime) -> list[int]:
    """Ids of the committee's meetings with pending rows due at ``after`` or later."""
    query = (
        sa.select(N.c.meeting_id)
        .where(
            N.c.state == PENDING,
            N.c.committee_id == committee_id,
            N.c.meeting_id.is_not(None),
            N.c.due_at >= after,
        )
        .distinct()
    )
    return sorted(row.meeting_id for row in executor.execute(query))


def sent_ids_of(
    executor: Executor, *, meeting_id: int | None = None, action_id: int | None = None
) -> list[int]:
    """Ids of the rows already posted about a meeting or an action (with a ts to edit)."""
    query = sa.select(N.c.id).where(N.c.state == SENT, N.c.ts.is_not(None))
    query = _subject(query, meeting_id=meeting_id, action_id=action_id, committee_id=None)
    return [row.id for row in executor.execute(query.order_by(N.c.id))]


def posted_about_meetings(
    executor: Executor, *, committee_ids: Sequence[int], since: datetime, excluded: Iterable[str]
) -> list[int]:
    """Ids of the rows posted (with a ts to edit) about the meetings of ``committee_ids`` that start
    at ``since`` or later, but those of the ``excluded`` kinds."""
    if not committee_ids:
        return []
    M = Meeting.__table__  # type: ignore[attr-defined]
    meetings = sa.select(M.c.id).where(M.c.committee_id.in_(committee_ids), M.c.start >= since)
    query = sa.select(N.c.id).where(
        N.c.state == SENT,
        N.c.ts.is_not(None),
        N.c.meeting_id.in_(meetings),
        N.c.kind.not_in(list(excluded)),
    )
    return [row.id for row in executor.execute(query.order_by(N.c.id))]


def stale_ids(executor: Executor, *, limit: int) -> list[int]:
    """Ids of posted rows whose last edit failed, oldest failure first."""
    query = (
        sa.select(N.c.id).where(N.c.stale_since.is_not(None)).order_by(N.c.stale_since, N.c.id).limit(limit)
    )
    return [row.id for row in executor.execute(query)]


def _subject(
    query: sa.Select, *, meeting_id: int | None, action_id: int | None, committee_id: int | None
) -> sa.Select:
    if meeting_id is None and action_id is None and committee_id is None:
        raise ValueError("name a subject: meeting_id, action_id or committee_id")
    if meeting_id is not None:
        query = query.where(N.c.meeting_id == meeting_id)
    if action_id is not None:
        query = query.where(N.c.action_id == action_id)
    if committee_id is not None:
        query = query.where(N.c.committee_id == committee_id)
    return query


# -- planning marks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    subject: str
    planned_until: datetime
    planned_at: datetime | None


def marks_due(executor: Executor, *, before: datetime, limit: int) -> list[Mark]:
    """Subjects planned only up to before ``before`` (oldest first): their window must be extended."""
    rows = executor.execute(
        sa.select(MARK.c.subject, MARK.c.planned_until, MARK.c.planned_at)
        .where(MARK.c.planned_until < before)
        .order_by(MARK.c.planned_until)
        .limit(limit)
    )
    return [Mark(row.subject, row.planned_until, row.planned_at) for row in rows]


def committees_changed(executor: Executor) -> list[int]:
    """Committees to plan again: active ones changed after their last full plan, inactive ones
    still planned (their pending rows must be skipped)."""
    subject = sa.literal("committee:") + sa.cast(COMMITTEE.c.id, sa.String)
    rows = executor.execute(
        sa.select(COMMITTEE.c.id)
        .select_from(COMMITTEE.join(MARK, MARK.c.subject == subject))
        .where(
            sa.or_(
                sa.and_(COMMITTEE.c.active.is_(True), COMMITTEE.c.updated_at > MARK.c.planned_at),
                COMMITTEE.c.active.is_(False),
            )
        )
        .order_by(COMMITTEE.c.id)
    )
    return [row.id for row in rows]


def get_mark(executor: Executor, subject: str) -> PlanMark | None:
    row = executor.execute(sa.select(MARK).where(MARK.c.subject == subject)).first()
    return None if row is None else PlanMark(**row._mapping)


def get_marks(executor: Executor, subjects: Sequence[str]) -> dict[str, PlanMark]:
    """Several marks in one query, by subject (absent ones are absent)."""
    rows = executor.execute(sa.select(MARK).where(MARK.c.subject.in_(list(subjects))))
    return {row.subject: PlanMark(**row._mapping) for row in rows}


def set_mark(
    executor: Executor,
    subject: str,
    *,
    planned_until: datetime | None = None,
    planned_at: datetime | None = None,
    last_id: int | None = None,
) -> None:
    """Create or move a subject's mark (an upsert: two planners may race on a new subject)."""
    values = {
        "subject": subject,
        "planned_until": planned_until,
        "planned_at": planned_at,
        "last_id": last_id,
    }
    changed = {k: v for k, v in values.items() if k != "subject" and v is not None}
    insert = postgresql.insert if _dialect(executor) == "postgresql" else sqlite.insert
    statement = insert(MARK).values(values)
    statement = (
        statement.on_conflict_do_update(index_elements=["subject"], set_=changed)
        if changed
        else statement.on_conflict_do_nothing()
    )
    executor.execute(statement)


def delete_marks(executor: Executor, subjects: Sequence[str]) -> None:
    if subjects:
        executor.execute(sa.delete(MARK).where(MARK.c.subject.in_(list(subjects))))
