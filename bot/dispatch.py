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
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from slack_sdk import WebClient
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from bot import calendar as calendar_mod
from bot import minutes_upload, notices, planning, sender
from bot import timeline as timeline_mod
from bot.calendar import Occurrence
from bot.sender import Outcome
from bot.timeline import Planned
from storage import committees as committees_store
from storage import notifications as store
from storage.db import transaction
from storage.models import OPEN_ACTION_STATUSES, ActionItem, Committee, Meeting, Notification, SlackUser

log = logging.getLogger(__name__)

# How far ahead rows are written, and when a subject's window is extended again: a committee is
# planned for the next 14 days and topped up once less than 7 remain, so each committee costs one
# plan a week, and a planner that was down for days still has everything due already written.
HORIZON = timedelta(days=14)
REFILL = timedelta(days=7)
# A new subject is planned from this far back, so that messages planned "before now" that are
# still valid are sent at once (a save-the-date 60 days ahead of a meeting created 30 days ahead).
LOOKBACK = timedelta(days=120)
# Rows planned in the past without an expiry (post-meeting chasers) are written only this late.
CATCH_UP = timedelta(days=1)
# A claim older than this is abandoned (its worker died) and may be taken by another worker.
LEASE = timedelta(minutes=5)
# How long a message whose edits keep failing is retried before it is left as posted.
STALE_GIVE_UP = timedelta(days=2)
# 5xx and network errors: 1, 2, 4 … 60 minutes apart, then give up (about 2 hours in all).
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)
# A 429 asking to wait at most this long is waited in the tick; longer, the tick stops sending.
MAX_RATE_LIMIT_WAIT = 5.0
# Threads that send the rows of a batch.
SENDERS = 4
# Committees whose window is extended in one tick (new subjects are always planned at once).
EXTEND_BUDGET = 200
# Up to this many new meetings of one committee are created one by one (get_or_create_meeting);
# more, in one bulk statement.
BULK_MEETINGS = 4

ACTION_KINDS = frozenset(timeline_mod.ACTION_KINDS)
MEETING_KINDS = frozenset(timeline_mod.MEETING_KINDS)
# What the timelines plan (event-driven kinds such as minutes_approval are never re-planned).
PLANNED_KINDS = frozenset(timeline_mod.PLANNED_KINDS)
# Kinds the dispatcher itself plans when something goes wrong; never re-planned, never reported on.
OWNER_UNREACHABLE = "owner_unreachable"
DELIVERY_FAILED = "delivery_failed"
REPORT_KINDS = frozenset({OWNER_UNREACHABLE, DELIVERY_FAILED})
# A secondary DM that goes with a message (``OutgoingMessage.also``), rendered when its parent was
# built and stored in ``data``; it is then sent like any row (claimed, looked up, retried).
FOLLOWUP = "followup"
# Rows whose posted message is not re-rendered: follow-ups, and documents uploaded in a thread.
NOT_EDITED = frozenset({FOLLOWUP, minutes_upload.KIND})
# Channel messages whose ts the meeting keeps, so flows can link or edit them.
MEETING_TS_FIELDS = {
    "agenda_request": "agenda_request_ts",
    "agenda_published": "agenda_ts",
    "minutes_posted": "minutes_ts",
}

COMMITTEE = "committee:"
ACTION = "action:"
SEEN_COMMITTEES = "seen:committee"
SEEN_ACTIONS = "seen:action"
SWEEP = "sweep:committees"
# How often a tick looks for committees changed since they were planned (one query).
SWEEP_EVERY = timedelta(minutes=10)


# ---------------------------------------------------------------------------------------------
# Planning


@dataclass
class PlanResult:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0

    def __iadd__(self, other: "PlanResult") -> "PlanResult":
        self.inserted += other.inserted
        self.updated += other.updated
        self.skipped += other.skipped
        return self


def plan_horizon(
    session: Session, *, now: datetime, horizon: timedelta = HORIZON, budget: int | None = EXTEND_BUDGET
) -> int:
    """Write the notifications due before ``now + horizon`` that are not written yet; returns rows added.

    New committees and new open actions are planned from ``now - LOOKBACK`` (what is still valid
    is sent at once); committees whose window ends within ``REFILL`` are extended, ``budget`` of
    them at most (None: all). Cheap when nothing changed: a few indexed queries. On PostgreSQL one
    process plans at a time (an advisory lock); the others skip planning and only send.
    """
    if not _planning_lock(session):
        return 0
    result = PlanResult()
    until = now + horizon
    marks = store.get_marks(session, [SEEN_COMMITTEES, SEEN_ACTIONS, SWEEP])
    last = {subject: (mark.last_id or 0) for subject, mark in marks.items()}
    planned_now: set[int] = set()
    result += _plan_new_committees(
        session, now=now, until=until, last=last.get(SEEN_COMMITTEES, 0), planned=planned_now
    )
    result += _plan_new_actions(
        session, now=now, until=until, last=last.get(SEEN_ACTIONS, 0), skip=planned_now
    )
    swept = marks.get(SWEEP)
    if swept is None or swept.planned_at is None or now - swept.planned_at >= SWEEP_EVERY:
        result += _sweep_changed_committees(session, now=now, until=until)
    for mark in store.marks_due(session, before=now + REFILL, limit=budget or 1_000_000):
        result += _guarded(session, mark.subject, lambda: _extend(session, mark, until=until, now=now))
    return result.inserted


def replan_committee(
    session: Session, *, committee_id: int, now: datetime, horizon: timedelta = HORIZON
) -> PlanResult:
    """Plan a committee afresh after its settings changed (cadence, timeline, people, deactivation).

    Rows the new plan still contains follow it (time, recipient); pending rows it no longer
    contains are skipped; sent rows are never touched.
    """
    committee = session.get(Committee, committee_id)
    subject = f"{COMMITTEE}{committee_id}"
    mark = store.get_mark(session, subject)
    until = max(now + horizon, mark.planned_until if mark and mark.planned_until else now)
    start = now - LOOKBACK
    if committee is None or not committee.active:
        scope = [
            row
            for row in store.pending_of(session, committee_id=committee_id, kinds=PLANNED_KINDS)
            if row.due_at >= start
        ]
        skipped = store.skip_pending(
            session, ids=[row.id for row in scope], reason="committee inactive", now=now
        )
        store.delete_marks(session, [subject])
        return PlanResult(skipped=skipped)
    planned = planning.plan_window(session, start=start, end=until, committee_key=committee.key)
    scope = [
        row
        for row in store.pending_of(session, committee_id=committee_id, kinds=PLANNED_KINDS)
        if start <= row.due_at < until
    ]
    result = _upsert(session, planned, now=now, scope=scope, reason="no longer planned for this committee")
    # planned_at: when the committee was last planned in full (a later change re-plans it again).
    store.set_mark(
        session, subject, planned_until=until, planned_at=max(now, _utc(committee.updated_at or now))
    )
    return result


def replan_meeting(session: Session, *, meeting_id: int, now: datetime) -> PlanResult:
    """Plan one meeting afresh after it moved, was cancelled or changed.

    Its pending rows follow the new times (keys hang on the series instant, so a moved meeting
    keeps them); a cancelled meeting's pending rows are skipped. Sent rows are never touched.
    """
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        return PlanResult()
    committee = session.get(Committee, meeting.committee_id)
    scope = store.pending_of(session, meeting_id=meeting_id, kinds=MEETING_KINDS)
    if committee is None or not committee.active:
        skipped = store.skip_pending(
            session, ids=[row.id for row in scope], reason="committee inactive", now=now
        )
        return PlanResult(skipped=skipped)
    workspace = committees_store.get_workspace(session)
    business = calendar_mod.business_calendar(committee, workspace)
    occurrence = _occurrence_of(committee, workspace, meeting)
    planned = timeline_mod.plan_meeting(committee, occurrence, business)
    reason = "meeting cancelled" if meeting.status == "cancelled" else "no longer planned for this meeting"
    return _upsert(
        session,
        planned,
        now=now,
        scope=scope,
        reason=reason,
        known={(committee.key, _utc(meeting.series_start)): meeting.id},
    )


def replan_action(
    session: Session, *, action_id: int, now: datetime, horizon: timedelta = HORIZON
) -> PlanResult:
    """Plan one action's chase afresh after it changed (due date, owner, status, snooze, committee).

    Its pending chases not in the new plan are skipped (done, cancelled, snoozed, re-dated: an
    action's keys carry its due date and snooze); the new ones are written.
    """
    action = session.get(ActionItem, action_id)
    if action is None:
        return PlanResult()
    scope = store.pending_of(session, action_id=action_id, kinds=ACTION_KINDS)
    planned, until = _plan_actions(session, [action], now=now, horizon=horizon)
    result = _upsert(session, planned, now=now, scope=scope, reason="no longer planned for this action")
    if action.status in OPEN_ACTION_STATUSES and _committee_key(session, action) is None:
        store.set_mark(session, f"{ACTION}{action_id}", planned_until=until, planned_at=now)
    else:
        store.delete_marks(session, [f"{ACTION}{action_id}"])
    return result


def enqueue(
    session: Session,
    *,
    kind: str,
    to: str,
    key: str,
    now: datetime,
    due_at: datetime | None = None,
    expires_at: datetime | None = None,
    committee_id: int | None = None,
    meeting_id: int | None = None,
    action_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """Add one event-driven notification (minutes approval, report to the chair…), due at once by default.

    Idempotent on ``key``: returns False when that key is already in the table.
    """
    row = _row(
        kind=kind,
        due_at=due_at or now,
        expires_at=expires_at,
        to=to,
        key=key,
        now=now,
        committee_id=committee_id,
        meeting_id=meeting_id,
        action_id=action_id,
        data=data or {},
    )
    return store.insert_one(session, row)


def _planning_lock(session: Session) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return True
    # Transaction-scoped: released at commit. Per schema, so separate deployments don't contend.
    return bool(
        session.execute(
            sa.text("select pg_try_advisory_xact_lock(hashtext('committee-bot plan ' || current_schema()))")
        ).scalar()
    )


def _guarded(session: Session, what: str, plan: Callable[[], PlanResult]) -> PlanResult:
    """Plan one subject in a savepoint: a committee whose plan fails (a bug, bad data) is logged
    and retried on the next tick, and never stops the others from being planned or sent."""
    try:
        with session.begin_nested():
            return plan()
    except Exception:  # noqa: BLE001
        log.exception("planning %s failed; it is retried on the next tick", what)
        return PlanResult()


def _plan_new_committees(
    session: Session, *, now: datetime, until: datetime, last: int, planned: set[int]
) -> PlanResult:
    """Plan the committees created since the last tick (their actions with them); adds them to ``planned``."""
    new = session.execute(
        sa.select(Committee.id, Committee.active).where(col(Committee.id) > last).order_by(col(Committee.id))
    ).all()
    result = PlanResult()
    for committee_id, active in new:
        subject = f"{COMMITTEE}{committee_id}"
        if not active or store.get_mark(session, subject) is not None:
            continue
        # A mark that is already due: if this first plan fails, the extension pass retries it.
        store.set_mark(session, subject, planned_until=now - LOOKBACK)
        result += _guarded(
            session,
            subject,
            lambda: replan_committee(session, committee_id=committee_id, now=now, horizon=until - now),
        )
        planned.add(committee_id)
    if new:
        store.set_mark(session, SEEN_COMMITTEES, last_id=new[-1].id, planned_at=now)
    return result


def _sweep_changed_committees(session: Session, *, now: datetime, until: datetime) -> PlanResult:
    """Every ``SWEEP_EVERY``: re-plan committees changed since their last full plan (settings
    imported, deactivated), whatever changed them. One query over the committees."""
    result = PlanResult()
    for committee_id in store.committees_changed(session):
        result += _guarded(
            session,
            f"{COMMITTEE}{committee_id}",
            lambda: replan_committee(session, committee_id=committee_id, now=now, horizon=until - now),
        )
    store.set_mark(session, SWEEP, planned_at=now)
    return result


def _plan_new_actions(
    session: Session, *, now: datetime, until: datetime, last: int, skip: set[int]
) -> PlanResult:
    """Plan the open actions created since the last tick, but those of committees in ``skip``
    (planned whole in this tick, their actions included)."""
    newest = session.execute(sa.select(sa.func.max(ActionItem.id)).where(col(ActionItem.id) > last)).scalar()
    if newest is None:
        return PlanResult()
    new = [
        action
        for action in session.exec(
            select(ActionItem)
            .where(col(ActionItem.id) > last, col(ActionItem.status).in_(OPEN_ACTION_STATUSES))
            .order_by(col(ActionItem.id))
        ).all()
        if action.committee_id not in skip
    ]
    result = PlanResult()
    if new:
        planned, action_until = _plan_actions(session, list(new), now=now, horizon=until - now)
        result += _upsert(session, planned, now=now)
        for action in new:
            if _committee_key(session, action) is None:
                store.set_mark(session, f"{ACTION}{action.id}", planned_until=action_until, planned_at=now)
    store.set_mark(session, SEEN_ACTIONS, last_id=newest, planned_at=now)
    return result


def _extend(session: Session, mark: store.Mark, *, until: datetime, now: datetime) -> PlanResult:
    """Plan [planned_until, until) for one subject whose mark ran low; what was planned before is
    not re-checked, unless the committee changed since its last full plan (then it is re-planned)."""
    subject = mark.subject
    _, _, raw_id = subject.partition(":")
    start = max(mark.planned_until, now - LOOKBACK)
    if subject.startswith(COMMITTEE):
        committee = session.get(Committee, int(raw_id))
        if (
            committee is None
            or not committee.active
            or mark.planned_at is None
            or (committee.updated_at is not None and _utc(committee.updated_at) > mark.planned_at)
        ):
            return replan_committee(session, committee_id=int(raw_id), now=now, horizon=until - now)
        planned = planning.plan_window(session, start=start, end=until, committee_key=committee.key)
        result = _upsert(session, planned, now=now)
    elif subject.startswith(ACTION):
        action = session.get(ActionItem, int(raw_id))
        if (
            action is None
            or action.status not in OPEN_ACTION_STATUSES
            or _committee_key(session, action) is not None
        ):
            store.delete_marks(session, [subject])
            return PlanResult()
        planned, _ = _plan_actions(session, [action], now=now, horizon=until - now)
        result = _upsert(session, [p for p in planned if start <= p.at < until], now=now)
    else:
        log.warning("unknown planning mark %r", subject)
        store.delete_marks(session, [subject])
        return PlanResult()
    store.set_mark(session, subject, planned_until=until)
    return result


def _plan_actions(
    session: Session, actions: list[ActionItem], *, now: datetime, horizon: timedelta
) -> tuple[list[Planned], datetime]:
    """The whole chase of ``actions`` up to their committee's planned window (at least ``now + horizon``).

    Actions of an active committee are planned by ``plan_window`` on that committee (the same
    rules as the horizon, hence the same keys); the others in the workspace's calendar, like
    ``plan_window`` does for committee-less actions.
    """
    until = now + horizon
    by_committee: dict[str | None, list[ActionItem]] = defaultdict(list)
    for action in actions:
        by_committee[_committee_key(session, action)].append(action)
    planned: list[Planned] = []
    for key, group in by_committee.items():
        ids = {action.id for action in group}
        if key is None:
            planned.extend(_plan_loose_actions(session, group, until=until))
            continue
        committee = committees_store.get_committee(session, key=key)
        assert committee is not None and committee.id is not None
        mark = store.get_mark(session, f"{COMMITTEE}{committee.id}")
        end = max(until, mark.planned_until) if mark and mark.planned_until else until
        window = planning.plan_window(session, start=now - LOOKBACK, end=end, committee_key=key)
        planned.extend(p for p in window if p.action_id in ids)
    return planned, until


def _plan_loose_actions(session: Session, actions: list[ActionItem], *, until: datetime) -> list[Planned]:
    """Actions without an active committee: workspace calendar, owner's zone, no chair to escalate to."""
    workspace = committees_store.get_workspace(session)
    business = calendar_mod.business_calendar(None, workspace)
    planned: list[Planned] = []
    for action in actions:
        committee = session.get(Committee, action.committee_id) if action.committee_id else None
        user = session.get(SlackUser, action.owner)
        owner_tz = (user.tz if user and user.tz else None) or (
            committee.timezone if committee else workspace.timezone
        )
        last_day = (until - timedelta(microseconds=1)).astimezone(ZoneInfo(owner_tz)).date()
        chase = timeline_mod.plan_action(
            action, owner_tz=owner_tz, calendar=business, chair=None, until=last_day
        )
        planned.extend(p for p in chase if p.at < until)
    return planned


def _committee_key(session: Session, action: ActionItem) -> str | None:
    """The key of the action's committee when it is active (its chase then follows that committee)."""
    if action.committee_id is None:
        return None
    committee = session.get(Committee, action.committee_id)
    return committee.key if committee is not None and committee.active else None


def _occurrence_of(committee: Committee, workspace: Any, meeting: Meeting) -> Occurrence:
    """The meeting as its series sees it now (holiday policy, move, cancellation), else as stored."""
    starts = [_utc(meeting.series_start), _utc(meeting.start)]
    found = calendar_mod.occurrences(
        committee, workspace, min(starts) - timedelta(days=2), max(starts) + timedelta(days=2), [meeting]
    )
    for occurrence in found:
        if _utc(occurrence.series_start) == _utc(meeting.series_start):
            return occurrence
    tz = ZoneInfo(committee.timezone)
    return Occurrence(
        committee.key,
        _utc(meeting.series_start),
        _utc(meeting.start).astimezone(tz),
        _utc(meeting.end).astimezone(tz),
        meeting.status,
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _still_valid(item: Planned, now: datetime) -> bool:
    """Worth writing: not expired, and not an unexpiring message from long ago (catch-up limit)."""
    if item.expires_at is not None:
        return item.expires_at > now
    return item.at >= now - CATCH_UP


def _upsert(
    session: Session,
    planned: Iterable[Planned],
    *,
    now: datetime,
    scope: list[store.Existing] | None = None,
    reason: str = "no longer planned",
    known: dict[tuple[str, datetime], int] | None = None,
) -> PlanResult:
    """Write ``planned``: insert new keys, move pending rows whose plan changed, and skip the
    pending rows of ``scope`` (the re-planned subject's) that the plan no longer contains."""
    items = {item.key: item for item in planned if item.to}
    stored = store.existing(session, items)
    result = PlanResult()
    for key, row in stored.items():
        item = items[key]
        if row.state == store.PENDING and (
            row.due_at != item.at or row.expires_at != item.expires_at or row.recipient != item.to
        ):
            result.updated += store.reschedule(
                session, id=row.id, due_at=item.at, expires_at=item.expires_at, recipient=item.to, now=now
            )
    new = [item for key, item in items.items() if key not in stored and _still_valid(item, now)]
    if new:
        committee_ids = _committee_ids(session, {item.committee_key for item in new if item.committee_key})
        meetings = _materialise_meetings(
            session, [i for i in new if i.series_start], committee_ids, now, known or {}
        )
        rows = [
            _row(
                kind=item.kind,
                due_at=item.at,
                expires_at=item.expires_at,
                to=item.to,
                key=item.key,
                now=now,
                committee_id=committee_ids.get(item.committee_key or ""),
                meeting_id=meetings.get((item.committee_key, _utc(item.series_start)))
                if item.series_start
                else None,
                action_id=item.action_id,
                data=_jsonable(item),
            )
            for item in new
        ]
        result.inserted += store.insert_new(session, rows)
    if scope:
        gone = [row.id for row in scope if row.key not in items]
        result.skipped += store.skip_pending(session, ids=gone, reason=reason, now=now)
    return result


def _row(
    *,
    kind: str,
    due_at: datetime,
    expires_at: datetime | None,
    to: str,
    key: str,
    now: datetime,
    committee_id: int | None,
    meeting_id: int | None,
    action_id: int | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "due_at": due_at,
        "expires_at": expires_at,
        "recipient": to,
        "committee_id": committee_id,
        "meeting_id": meeting_id,
        "action_id": action_id,
        "state": store.PENDING,
        "attempts": 0,
        "data": data,
        "created_at": now,
        "updated_at": now,
    }


def _jsonable(item: Planned) -> dict[str, Any]:
    data = dict(item.data)
    if item.meeting_start is not None:
        data.setdefault("meeting_start", item.meeting_start.isoformat())
    return {k: (v.isoformat() if isinstance(v, (datetime, date)) else v) for k, v in data.items()}


def _committee_ids(session: Session, keys: set[str]) -> dict[str, int]:
    if not keys:
        return {}
    rows = session.execute(sa.select(Committee.id, Committee.key).where(col(Committee.key).in_(list(keys))))
    return {row.key: row.id for row in rows}


def _materialise_meetings(
    session: Session,
    items: list[Planned],
    committee_ids: dict[str, int],
    now: datetime,
    known: dict[tuple[str, datetime], int],
) -> dict[tuple[str | None, datetime], int]:
    """Meeting ids of the planned items' occurrences, creating the missing Meeting rows."""
    wanted: dict[tuple[str | None, datetime], Planned] = {}
    for item in items:
        wanted.setdefault((item.committee_key, _utc(item.series_start)), item)  # type: ignore[arg-type]
    found: dict[tuple[str | None, datetime], int] = {k: v for k, v in known.items() if k in wanted}
    by_committee: dict[str, list[datetime]] = defaultdict(list)
    for committee_key, series_start in wanted:
        if (committee_key, series_start) not in found and committee_key in committee_ids:
            by_committee[committee_key].append(series_start)  # type: ignore[index]
    for committee_key, starts in by_committee.items():
        committee_id = committee_ids[committee_key]
        stored = store.meeting_ids(session, committee_id=committee_id, series_starts=starts)
        found.update({(committee_key, _utc(start)): meeting_id for start, meeting_id in stored.items()})
        missing = [start for start in starts if (committee_key, start) not in found]
        if not missing:
            continue
        committee = session.get(Committee, committee_id)
        assert committee is not None
        occurrences = [_planned_occurrence(committee, wanted[(committee_key, start)]) for start in missing]
        if len(missing) <= BULK_MEETINGS:
            for occurrence in occurrences:
                meeting = committees_store.get_or_create_meeting(
                    session, committee=committee, occurrence=occurrence, now=now
                )
                found[(committee_key, occurrence.series_start)] = meeting.id  # type: ignore[assignment]
            continue
        # A committee planned far ahead at once (first plan of a long horizon): one statement.
        session.flush()
        store.insert_meetings(
            session,
            [
                {
                    "committee_id": committee_id,
                    "series_start": o.series_start,
                    "start": o.start,
                    "end": o.end,
                    "status": o.status,
                    "minutes_attendees": [],
                    "created_at": now,
                    "updated_at": now,
                }
                for o in occurrences
            ],
        )
        stored = store.meeting_ids(session, committee_id=committee_id, series_starts=missing)
        found.update({(committee_key, _utc(start)): meeting_id for start, meeting_id in stored.items()})
    return found


def _planned_occurrence(committee: Committee, item: Planned) -> Occurrence:
    """The occurrence a planned item belongs to, as the timeline saw it (start, end in ``data``)."""
    series_start = _utc(item.series_start)  # type: ignore[arg-type]
    start = item.meeting_start or series_start
    end = (
        datetime.fromisoformat(item.data["meeting_end"])
        if "meeting_end" in item.data
        else start + timedelta(minutes=committee.duration)
    )
    return Occurrence(committee.key, series_start, start, end, "scheduled")


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

    def line(self, now: datetime) -> str:
        text = (
            f"tick {now.isoformat()}: planned {self.planned}, sent {self.sent}, skipped {self.skipped}, "
            f"failed {self.failed}, retried {self.retried}, re-edited {self.reedited}"
        )
        return text + (f" (stopped: {self.stopped})" if self.stopped else "")


# What happened to one claimed row.
SENT, SKIPPED, FAILED, RETRIED, GONE = "sent", "skipped", "failed", "retried", "gone"


@dataclass(frozen=True)
class _Delivery:
    state: str
    stop: str | None = None  # the tick must stop sending (and why)
    wait: float = 0.0  # seconds to wait before the next send (a short Retry-After)


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
    # One connection for the whole tick, one short transaction per step: no pool checkout (and
    # no pre-ping) per row, and no transaction left open while Slack answers.
    with engine.connect() as connection:
        if plan:
            with transaction(connection) as session:
                summary.planned = plan_horizon(session, now=now)
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


def _count(summary: TickSummary, state: str) -> None:
    if state == SENT:
        summary.sent += 1
    elif state == SKIPPED:
        summary.skipped += 1
    elif state == FAILED:
        summary.failed += 1
    elif state == RETRIED:
        summary.retried += 1


@dataclass(frozen=True)
class _Ready:
    """A claimed row checked and rendered, ready to post (read outside the transaction)."""

    id: int
    key: str
    kind: str
    recipient: str
    attempts: int
    expires_at: datetime | None
    committee_id: int | None
    meeting_id: int | None
    action_id: int | None
    message: notices.OutgoingMessage


def _deliver(
    connection: Connection, client: WebClient, claimed: store.Claimed, *, now: datetime, worker: str
) -> _Delivery:
    with transaction(connection) as session:
        row = session.get(Notification, claimed.id)
        if row is None or row.state != store.PENDING or row.claimed_by != worker:
            return _Delivery(GONE)
        reason = _skip_reason(session, row, now)
        if reason is None:
            try:
                if row.kind == minutes_upload.KIND:
                    message = minutes_upload.build(session, row, now=now)
                else:
                    message = (
                        _followup_message(row)
                        if row.kind == FOLLOWUP
                        else notices.build(session, row, now=now)
                    )
            except Exception as error:  # noqa: BLE001 (a bad row must not stop the others)
                log.exception("building notification %s (%s) failed", row.key, row.kind)
                return _record_transient(
                    session, row, f"could not build the message: {error!r}", now, report=False
                )
            if message is None:
                reason = "no longer needed"
        if reason is not None:
            store.record_skipped(session, id=row.id, reason=reason, now=now)
            return _Delivery(SKIPPED)
        ready = _Ready(
            row.id,
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
        )

    with transaction(connection) as session:
        return _record(session, ready, result, now=now, worker=worker)


def _record(
    session: Session, ready: _Ready, result: sender.Result, *, now: datetime, worker: str
) -> _Delivery:
    if result.outcome is Outcome.sent:
        channel = result.channel or ready.recipient
        if store.record_sent(session, id=ready.id, channel=channel, ts=result.ts or "", now=now):
            _after_sent(session, ready, channel=channel, ts=result.ts or "", now=now)
        return _Delivery(SENT)
    if result.outcome is Outcome.rate_limited:
        # Not the row's fault: no attempt counted. Short waits are waited here (the next send is
        # likely to pass); long ones end the tick, the next tick picks up where this one stopped.
        retry_at = now + timedelta(seconds=max(result.retry_after, 1.0))
        store.record_retry(
            session,
            id=ready.id,
            error="ratelimited",
            attempts=ready.attempts,
            next_attempt_at=retry_at,
            now=now,
        )
        if result.retry_after > MAX_RATE_LIMIT_WAIT:
            return _Delivery(RETRIED, stop=f"rate limited for {result.retry_after:g}s")
        return _Delivery(RETRIED, wait=result.retry_after)
    if result.outcome is Outcome.fatal:
        store.release(session, ids=[ready.id], worker=worker)
        log.error("Slack refused the bot's token (%s): stopping; notifications stay pending", result.error)
        return _Delivery(RETRIED, stop=f"Slack refused the token: {result.error}")
    row = session.get(Notification, ready.id)
    assert row is not None
    if result.outcome is Outcome.transient:
        return _record_transient(session, row, result.error or "transient error", now, report=True)
    # Permanent: record, tell the chair, never retry.
    error = result.error or "unknown_error"
    store.record_failed(session, id=row.id, error=error, attempts=row.attempts + 1, now=now)
    if error in ("user_disabled", "account_inactive") and row.recipient.startswith(("U", "W")):
        _mark_deactivated(session, row.recipient, now)
        if row.kind in ACTION_KINDS and _owner_of(session, row) == row.recipient:
            _report_unreachable(session, _user(session, row.recipient), "deactivated", now)
            return _Delivery(FAILED)
    _report_failure(session, row, error, now)
    return _Delivery(FAILED)


def _after_sent(session: Session, ready: _Ready, *, channel: str, ts: str, now: datetime) -> None:
    """In the same transaction as "sent": queue the message's secondary DMs, keep meeting message ts."""
    row = ready
    for index, (user_id, extra) in enumerate(ready.message.also):
        enqueue(
            session,
            kind=FOLLOWUP,
            to=user_id,
            key=f"{row.key}:also:{index}",
            now=now,
            expires_at=row.expires_at,
            committee_id=row.committee_id,
            meeting_id=row.meeting_id,
            action_id=row.action_id,
            data={"parent": row.key, "parent_kind": row.kind, "text": extra.text, "blocks": extra.blocks},
        )
    field_name = MEETING_TS_FIELDS.get(row.kind)
    if field_name and row.meeting_id is not None and not row.recipient.startswith(("U", "W")):
        meeting = session.get(Meeting, row.meeting_id)
        if meeting is not None:
            setattr(meeting, field_name, ts)
            if row.kind == "minutes_posted" and meeting.minutes_posted_at is None:
                meeting.minutes_posted_at = now  # minutes count as delivered once posted (SPEC §4)
            if row.kind == "minutes_posted":  # final minutes: their document goes in the thread
                enqueue(
                    session,
                    kind=minutes_upload.KIND,
                    to=channel,
                    key=minutes_upload.notification_key(meeting.id, ts),  # type: ignore[arg-type]
                    now=now,
                    committee_id=row.committee_id,
                    meeting_id=meeting.id,
                    data=minutes_upload.queue_data(ts),
                )
            meeting.updated_at = now
            session.add(meeting)


def _followup_message(row: Notification) -> notices.OutgoingMessage | None:
    text = (row.data or {}).get("text")
    return notices.OutgoingMessage(text=text, blocks=(row.data or {}).get("blocks") or []) if text else None


def _record_transient(
    session: Session, row: Notification, error: str, now: datetime, *, report: bool
) -> _Delivery:
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        store.record_failed(
            session,
            id=row.id,
            error=f"gave up after {attempts} attempts: {error}",
            attempts=attempts,
            now=now,
        )
        if report:
            _report_failure(session, row, error, now)
        return _Delivery(FAILED)
    delay = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX)
    store.record_retry(
        session, id=row.id, error=error, attempts=attempts, next_attempt_at=now + delay, now=now
    )
    return _Delivery(RETRIED)


def _skip_reason(session: Session, row: Notification, now: datetime) -> str | None:
    """Why a due row must not be sent (checked again at send time), or None."""
    if row.expires_at is not None and now >= row.expires_at:
        return f"expired at {row.expires_at.isoformat()}"
    if row.kind in ACTION_KINDS:
        return _owner_unreachable(session, row, now)
    return None


def _owner_of(session: Session, row: Notification) -> str | None:
    action = session.get(ActionItem, row.action_id) if row.action_id else None
    return action.owner if action else None


def _user(session: Session, user_id: str) -> SlackUser:
    user = session.get(SlackUser, user_id)
    if user is None:
        user = SlackUser(user_id=user_id)
        session.add(user)
    return user


def _owner_unreachable(session: Session, row: Notification, now: datetime) -> str | None:
    """The owner of a chased action is deactivated or away: skip, and tell the chairs once."""
    owner = _owner_of(session, row)
    user = session.get(SlackUser, owner) if owner else None
    if user is None:
        return None
    reason = None
    if user.deleted:
        reason = "deactivated"
    elif user.away_until is not None:
        tz = user.tz or committees_store.get_workspace(session).timezone
        if now.astimezone(ZoneInfo(tz)).date() <= user.away_until:
            reason = f"away until {user.away_until.isoformat()}"
    if reason is None:
        if user.unreachable_reported_at is not None:
            user.unreachable_reported_at = None  # back: a later absence is reported again
            session.add(user)
        return None
    if user.unreachable_reported_at is None:
        _report_unreachable(session, user, reason, now)
    return f"owner {owner} {reason}"


def _report_unreachable(session: Session, user: SlackUser, reason: str, now: datetime) -> None:
    """Tell the chair of each committee with open actions of ``user``, once, with Reassign buttons."""
    if user.unreachable_reported_at is not None:
        return
    user.unreachable_reported_at = now
    session.add(user)
    rows = session.execute(
        sa.select(Committee.id, Committee.chair)
        .join(ActionItem, ActionItem.committee_id == Committee.id)
        .where(
            ActionItem.owner == user.user_id,
            col(ActionItem.status).in_(OPEN_ACTION_STATUSES),
            col(Committee.active).is_(True),
        )
        .distinct()
    ).all()
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for committee_id, chair in sorted(rows):
        if chair and chair != user.user_id:
            # No action_id: the message lists all the owner's open actions of that committee.
            enqueue(
                session,
                kind=OWNER_UNREACHABLE,
                to=chair,
                now=now,
                committee_id=committee_id,
                key=f"x:{OWNER_UNREACHABLE}:{user.user_id}:{committee_id}:{stamp}",
                data={"owner": user.user_id, "reason": reason},
            )


def _report_failure(session: Session, row: Notification, error: str, now: datetime) -> None:
    """Tell the committee's chair a message could not be delivered: once per destination, error and day."""
    if row.kind in REPORT_KINDS:
        return  # a report that fails is only logged: no report about a report
    committee = session.get(Committee, row.committee_id) if row.committee_id else None
    if committee is None or not committee.chair or committee.chair == row.recipient:
        log.warning("notification %s to %s failed (%s); no chair to tell", row.key, row.recipient, error)
        return
    day = now.astimezone(ZoneInfo(committee.timezone)).date().isoformat()
    enqueue(
        session,
        kind=DELIVERY_FAILED,
        to=committee.chair,
        key=f"x:{DELIVERY_FAILED}:{committee.chair}:{row.recipient}:{error[:60]}:{day}",
        now=now,
        committee_id=committee.id,
        meeting_id=row.meeting_id,
        action_id=row.action_id,
        data={"kind": row.kind, "to": row.recipient, "error": error, "failed_key": row.key},
    )


def _mark_deactivated(session: Session, user_id: str, now: datetime) -> None:
    user = _user(session, user_id)
    user.deleted = True
    user.fetched_at = now
    session.add(user)
    session.flush()


# ---------------------------------------------------------------------------------------------
# Keeping posted messages current


def _edit(session: Session, client: WebClient, row: Notification, *, now: datetime) -> bool:
    """Edit one posted message to show its subject's current state; True when Slack took the edit.

    A failed edit marks the row stale, so that a later tick tries again (``retry_stale_edits``):
    a message that shows an outdated state is not left as it is. An edit Slack refuses for good
    (message or channel gone) is given up, and so is one still failing after ``STALE_GIVE_UP``.
    """
    try:
        message = notices.build(session, row, now=now)
    except Exception:  # noqa: BLE001
        log.exception("re-rendering notification %s failed", row.key)
        return False
    if message is None:
        row.stale_since = None  # nothing newer to show: the message stays as posted
        session.add(row)
        return False
    result = sender.update(
        client,
        channel=row.channel or row.recipient,
        ts=row.ts,
        text=message.text,
        blocks=message.blocks,
        key=row.key,
    )
    if result.outcome is Outcome.sent:
        row.stale_since = None
    elif result.outcome is Outcome.permanent or (row.stale_since and now - row.stale_since > STALE_GIVE_UP):
        log.warning("giving up editing %s (%s): %s", row.key, row.ts, result.error)
        row.stale_since = None
    else:
        log.warning("could not edit %s (%s): %s; will retry", row.key, row.ts, result.error)
        row.stale_since = row.stale_since or now
    session.add(row)
    return result.outcome is Outcome.sent


def retry_stale_edits(connection: Connection, client: WebClient, *, now: datetime, limit: int = 50) -> int:
    """Edit again the posted messages whose last edit failed (see ``_edit``); returns edits made."""
    with transaction(connection) as session:
        ids = store.stale_ids(session, limit=limit)
    edited = 0
    for row_id in ids:
        with transaction(connection) as session:
            row = session.get(Notification, row_id)
            if row is not None and row.stale_since is not None:
                edited += _edit(session, client, row, now=now)
    return edited


def _refresh_unreachable_reports(
    session: Session, client: WebClient, *, action_id: int, now: datetime
) -> int:
    """Edit the chair's current "owner unreachable" messages of this action's committee: they list
    the owner's open actions (with Reassign) under no action id of their own, so a reassignment or a
    closure must reach them here."""
    action = session.get(ActionItem, action_id)
    if action is None:
        return 0
    rows = session.exec(
        select(Notification).where(
            Notification.kind == OWNER_UNREACHABLE,
            Notification.committee_id == action.committee_id,
            Notification.state == SENT,
            col(Notification.ts).is_not(None),
        )
    ).all()
    edited = 0
    for row in rows:
        owner = session.get(SlackUser, (row.data or {}).get("owner", ""))
        reported = owner.unreachable_reported_at if owner is not None else None
        if (
            reported is not None and row.sent_at is not None and row.sent_at >= reported
        ):  # the current report only
            edited += _edit(session, client, row, now=now)
    return edited


def refresh(
    session: Session,
    client: WebClient,
    *,
    meeting_id: int | None = None,
    action_id: int | None = None,
    now: datetime,
) -> int:
    """Re-render the messages already posted about a meeting or an action and edit them in Slack
    (chat.update), and skip its pending reminders that are no longer needed. Returns messages edited.

    Runs in the caller's unit of work (the caller commits the skips), after the change is
    flushed. Slack errors are logged, never raised: the change itself has been made.
    """
    edited = 0
    for row_id in store.sent_ids_of(session, meeting_id=meeting_id, action_id=action_id):
        row = session.get(Notification, row_id)
        if row is not None and row.ts and row.kind not in REPORT_KINDS and row.kind not in NOT_EDITED:
            edited += _edit(session, client, row, now=now)
    if action_id is not None:
        edited += _refresh_unreachable_reports(session, client, action_id=action_id, now=now)
    for pending in store.pending_of(session, meeting_id=meeting_id, action_id=action_id):
        row = session.get(Notification, pending.id)
        if row is None or row.kind in REPORT_KINDS or row.kind in NOT_EDITED:
            continue
        try:
            # Asked as of the row's own time, with today's state: a chase that is not due yet (minutes
            # not late yet) is still needed; a reminder whose subject is done is not.
            still_needed = notices.build(session, row, now=max(now, row.due_at)) is not None
        except Exception:  # noqa: BLE001
            log.exception("checking notification %s failed", row.key)
            continue
        if not still_needed:
            store.record_skipped(session, id=row.id, reason="no longer needed", now=now)
    return edited
