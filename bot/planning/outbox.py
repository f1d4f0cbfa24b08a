"""The notification outbox's rows (SPEC §9): what the timelines plan for a subject, written once per
idempotency key, and the re-planning that flows run in the change's own transaction."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.core import calendar as calendar_mod
from bot.core import kinds
from bot.core import timeline as timeline_mod
from bot.core.calendar import Occurrence
from bot.core.series_membership import occurrence_of
from bot.core.timeline import Planned
from bot.planning import plan_guard, window
from bot.planning.action_chases import (  # the mark prefixes and the chase planning, used by horizon too
    ACTION,
    COMMITTEE,
    LOOKBACK,
    committee_key_of,
    plan_action_chases,
)
from storage import committees as committees_store
from storage import notifications as store
from storage.models import OPEN_ACTION_STATUSES, ActionItem, Committee, Meeting, id_of

# How far ahead rows are written, and when a subject's window is extended again: a committee is
# planned for the next 14 days and topped up once less than 7 remain, so each committee costs one
# plan a week, and a planner that was down for days still has everything due already written.
HORIZON = timedelta(days=14)


REFILL = timedelta(days=7)


# Rows planned in the past without an expiry (post-meeting chasers) are written only this late.
CATCH_UP = timedelta(days=1)


# Up to this many new meetings of one committee are created one by one (get_or_create_meeting);
# more, in one bulk statement.
BULK_MEETINGS = 4


ACTION_KINDS = frozenset(kinds.ACTION_KINDS)


MEETING_KINDS = frozenset(kinds.MEETING_KINDS)


# What the timelines plan (event-driven kinds such as minutes_approval are never re-planned).
PLANNED_KINDS = frozenset(kinds.PLANNED_KINDS)


# Kinds the dispatcher itself plans when something goes wrong; never re-planned, never reported on.
OWNER_UNREACHABLE = "owner_unreachable"


DELIVERY_FAILED = "delivery_failed"


# An admin's message about a delivery problem (bot/delivery/admin_reports.py).
ADMIN_PROBLEM = "admin_problem"


REPORT_KINDS = frozenset({OWNER_UNREACHABLE, DELIVERY_FAILED, ADMIN_PROBLEM})


# A secondary DM that goes with a message (``OutgoingMessage.also``), rendered when its parent was
# built and stored in ``data``; it is then sent like any row (claimed, looked up, retried).
FOLLOWUP = "followup"


# Channel messages whose ts the meeting keeps, so flows can link or edit them.
MEETING_TS_FIELDS = {
    "agenda_request": "agenda_request_ts",
    "agenda_published": "agenda_ts",
    "minutes_posted": "minutes_ts",
}


@dataclass
class PlanResult:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0

    def __iadd__(self, other: PlanResult) -> PlanResult:
        self.inserted += other.inserted
        self.updated += other.updated
        self.skipped += other.skipped
        return self


def replan_committee(
    session: Session,
    *,
    committee_id: int,
    now: datetime,
    horizon: timedelta = HORIZON,
    first: bool = False,
) -> PlanResult:
    """Plan a committee afresh after its settings changed (cadence, timeline, people, deactivation).

    Rows the new plan still contains follow it (time, recipient); pending rows it no longer
    contains are skipped; sent rows are never touched. ``first``: the committee was never planned,
    so it has no planned rows to reconcile (one query less per committee on a first plan).
    """
    committee = session.get(Committee, committee_id)
    subject = f"{COMMITTEE}{committee_id}"
    # A first plan has no mark to extend (the horizon sets one due, in case this plan fails).
    mark = None if first else store.get_mark(session, subject)
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
    planned = window.plan_window(session, start=start, end=until, only=committee)
    pending = [] if first else store.pending_of(session, committee_id=committee_id, kinds=PLANNED_KINDS)
    scope = [row for row in pending if start <= row.due_at < until]
    # A meeting's rows beyond the window (a moved meeting is planned whole) follow it under the new
    # settings, or go when the new series no longer has it.
    beyond = [] if first else store.meetings_pending_after(session, committee_id=committee_id, after=until)
    result = upsert(
        session,
        planned,
        now=now,
        scope=scope,
        reason="no longer planned for this committee",
        bulk_meetings=first,  # a first plan: no Meeting objects in this session to keep in step
        fresh=first,
        committee_ids={committee.key: committee_id},
    )
    for meeting_id in beyond:
        result += replan_meeting(session, meeting_id=meeting_id, now=now)
    # planned_at: when the committee was last planned in full (a later change re-plans it again).
    store.set_mark(
        session, subject, planned_until=until, planned_at=max(now, as_utc(committee.updated_at or now))
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
    occurrence = occurrence_of(committee, workspace, meeting)
    if occurrence is None:
        # A change of schedule took it out of the series (a fresh plan has nothing of it either).
        planned: list[Planned] = []
        reason = "no longer in the committee's calendar"
    else:
        planned = plan_guard.guarded(
            f"meeting:{committee.key}:{as_utc(meeting.series_start).isoformat()}",
            partial(timeline_mod.plan_meeting, committee, occurrence, business),
            committee_key=committee.key,
        )
        reason = (
            "meeting cancelled" if meeting.status == "cancelled" else "no longer planned for this meeting"
        )
    return upsert(
        session,
        planned,
        now=now,
        scope=scope,
        reason=reason,
        known={(committee.key, as_utc(meeting.series_start)): id_of(meeting)},
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
    with plan_guard.collecting() as failed:
        planned, until = plan_action_chases(session, [action], now=now, horizon=horizon)
    # Recorded for the admins as the tick's passes record theirs; a chase planned fine again (the
    # owner postponed a due date in year 9999) settles the failure recorded before.
    plan_guard.record_unplannable(session, failed, now=now)
    subject = f"action:{action_id}"
    if all(problem.subject != subject for problem in failed):
        plan_guard.resolve(session, subject=subject, now=now)
    result = upsert(session, planned, now=now, scope=scope, reason="no longer planned for this action")
    if action.status in OPEN_ACTION_STATUSES and committee_key_of(session, action) is None:
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


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _still_valid(item: Planned, now: datetime) -> bool:
    """Worth writing: not expired, and not an unexpiring message from long ago (catch-up limit)."""
    if item.expires_at is not None:
        return item.expires_at > now
    return item.at >= now - CATCH_UP


def upsert(
    session: Session,
    planned: Iterable[Planned],
    *,
    now: datetime,
    scope: list[store.Existing] | None = None,
    reason: str = "no longer planned",
    known: dict[tuple[str, datetime], int] | None = None,
    bulk_meetings: bool = False,
    fresh: bool = False,
    committee_ids: dict[str, int] | None = None,
) -> PlanResult:
    """Write ``planned``: insert new keys, move pending rows whose plan changed, and skip the
    pending rows of ``scope`` (the re-planned subject's) that the plan no longer contains.

    A row skipped without being posted that the plan contains again (a meeting moved or restored,
    minutes sent back, a committee reactivated) and that is still valid is pending again (SPEC §4:
    a kind not posted yet is sent at its instant for the new slot, or at once). The send-time
    checks still decide whether it goes out. ``bulk_meetings``: create missing meetings in one
    statement whatever their number. ``committee_ids``: the ids of the committees the caller holds,
    by key (else they are looked up). ``fresh``: the subject was never planned, so no stored row has
    these keys: they are not looked up (on PostgreSQL, thousands of committees planned in one
    transaction made each lookup scan the rows the transaction had written so far)."""
    items = {item.key: item for item in planned if item.to}
    stored = {} if fresh else store.existing(session, items)
    result = PlanResult()
    for key, row in stored.items():
        item = items[key]
        data = _jsonable(item)
        if row.state == store.PENDING and (
            row.due_at != item.at
            or row.expires_at != item.expires_at
            or row.recipient != item.to
            or row.data != data
        ):
            # ``data`` too: what the message is built from (an escalation names the current owner).
            result.updated += store.reschedule(
                session,
                id=row.id,
                due_at=item.at,
                expires_at=item.expires_at,
                recipient=item.to,
                data=data,
                now=now,
            )
        elif row.state == store.SENT and row.expires_at != item.expires_at:
            # Posted: only its expiry follows (a pre-meeting message is edited until the meeting
            # starts, wherever it was moved); what was sent stays as it was.
            store.set_expiry(session, id=row.id, expires_at=item.expires_at, now=now)
        elif row.state == store.SKIPPED and _still_valid(item, now):
            # Skipped earlier without being posted (no longer needed then, meeting cancelled or
            # moved past its deadline, committee inactive…) and planned again: a fresh plan would
            # write it, so it is pending again; whether it is still needed is decided at its instant,
            # as for any row (SPEC §4, changes and their invariant).
            result.updated += store.revive(
                session,
                id=row.id,
                due_at=item.at,
                expires_at=item.expires_at,
                recipient=item.to,
                data=data,
                now=now,
            )
    new = [item for key, item in items.items() if key not in stored and _still_valid(item, now)]
    if new:
        keys = {item.committee_key for item in new if item.committee_key}
        if committee_ids is None or not keys <= committee_ids.keys():
            committee_ids = _committee_ids(session, keys)
        meetings = _materialise_meetings(
            session, [i for i in new if i.series_start], committee_ids, now, known or {}, bulk=bulk_meetings
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
                meeting_id=meetings.get((item.committee_key, as_utc(item.series_start)))
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
    rows = session.execute(
        sa.select(col(Committee.id), col(Committee.key)).where(col(Committee.key).in_(list(keys)))
    )
    return {row.key: row.id for row in rows}


def _materialise_meetings(
    session: Session,
    items: list[Planned],
    committee_ids: dict[str, int],
    now: datetime,
    known: dict[tuple[str, datetime], int],
    *,
    bulk: bool = False,
) -> dict[tuple[str | None, datetime], int]:
    """Meeting ids of the planned items' occurrences, creating the missing Meeting rows."""
    wanted: dict[tuple[str | None, datetime], Planned] = {}
    for item in items:
        wanted.setdefault((item.committee_key, as_utc(item.series_start)), item)  # type: ignore[arg-type]
    found: dict[tuple[str | None, datetime], int] = {k: v for k, v in known.items() if k in wanted}
    by_committee: dict[str, list[datetime]] = defaultdict(list)
    for committee_key, series_start in wanted:
        if (committee_key, series_start) not in found and committee_key in committee_ids:
            by_committee[committee_key].append(series_start)
    for committee_key, starts in by_committee.items():
        committee_id = committee_ids[committee_key]
        stored = store.meeting_ids(session, committee_id=committee_id, series_starts=starts)
        found.update({(committee_key, as_utc(start)): meeting_id for start, meeting_id in stored.items()})
        missing = [start for start in starts if (committee_key, start) not in found]
        if not missing:
            continue
        committee = session.get(Committee, committee_id)
        assert committee is not None
        occurrences = [_planned_occurrence(committee, wanted[(committee_key, start)]) for start in missing]
        if not bulk and len(missing) <= BULK_MEETINGS:
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
        found.update({(committee_key, as_utc(start)): meeting_id for start, meeting_id in stored.items()})
    return found


def _planned_occurrence(committee: Committee, item: Planned) -> Occurrence:
    """The occurrence a planned item belongs to, as the timeline saw it (start, end in ``data``)."""
    series_start = as_utc(item.series_start)  # type: ignore[arg-type]
    start = item.meeting_start or series_start
    end = (
        datetime.fromisoformat(item.data["meeting_end"])
        if "meeting_end" in item.data
        else start + timedelta(minutes=committee.duration)
    )
    return Occurrence(committee.key, series_start, start, end, "scheduled")
