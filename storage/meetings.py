"""Queries on meetings and what hangs on them: agenda items, decisions, event notifications.

Functions take a ``Session`` and keyword-only values, and never commit: the caller owns the unit of work.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    AgendaItem,
    Decision,
    Meeting,
    MeetingStatus,
    Notification,
)


def get_meeting_by_id(session: Session, *, meeting_id: int) -> Meeting | None:
    """The meeting with this id, or None."""
    return session.get(Meeting, meeting_id)


def lock_meeting(session: Session, *, meeting_id: int) -> Meeting | None:
    """The meeting with this id, read for update (Postgres row lock; SQLite serialises writers anyway).

    Flows that check a state then change it (submit, approve) read through this so that two clicks
    at once cannot both pass the check.
    """
    statement = select(Meeting).where(Meeting.id == meeting_id).with_for_update()
    return session.exec(statement).first()


def meetings_of_committee(
    session: Session,
    *,
    committee_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    statuses: tuple[str, ...] | None = None,
) -> list[Meeting]:
    """Stored meetings of a committee whose (possibly moved) start lies in [start, end), by start."""
    statement = select(Meeting).where(Meeting.committee_id == committee_id)
    if start is not None:
        statement = statement.where(col(Meeting.start) >= start)
    if end is not None:
        statement = statement.where(col(Meeting.start) < end)
    if statuses is not None:
        statement = statement.where(col(Meeting.status).in_(statuses))
    return list(session.exec(statement.order_by(col(Meeting.start), col(Meeting.id))).all())


def latest_meeting_before(session: Session, *, committee_id: int, before: datetime) -> Meeting | None:
    """The committee's most recent stored meeting that started before ``before`` and was not cancelled."""
    statement = (
        select(Meeting)
        .where(Meeting.committee_id == committee_id, col(Meeting.start) < before)
        .where(Meeting.status != MeetingStatus.cancelled.value)
        .order_by(col(Meeting.start).desc())
    )
    return session.exec(statement).first()


def agenda_items(session: Session, *, meeting_id: int) -> list[AgendaItem]:
    """The topics proposed for a meeting, in the order they were proposed."""
    statement = (
        select(AgendaItem)
        .where(AgendaItem.meeting_id == meeting_id)
        .order_by(col(AgendaItem.created_at), col(AgendaItem.id))
    )
    return list(session.exec(statement).all())


def decisions(session: Session, *, meeting_id: int) -> list[Decision]:
    """The decisions recorded in a meeting's minutes, in the order they were written."""
    statement = select(Decision).where(Decision.meeting_id == meeting_id).order_by(col(Decision.id))
    return list(session.exec(statement).all())


def delete_decisions(session: Session, *, meeting_id: int) -> int:
    """Remove a meeting's decisions (minutes submitted again replace them); returns how many."""
    rows = decisions(session, meeting_id=meeting_id)
    for row in rows:
        session.delete(row)
    return len(rows)


def decisions_between(
    session: Session, *, committee_id: int, start: datetime, end: datetime
) -> list[Decision]:
    """Decisions recorded in [start, end) for meetings of a committee (the weekly digest's list)."""
    statement = (
        select(Decision)
        .join(Meeting, col(Meeting.id) == col(Decision.meeting_id))
        .where(Meeting.committee_id == committee_id)
        .where(col(Decision.recorded_at) >= start, col(Decision.recorded_at) < end)
        .order_by(col(Decision.recorded_at), col(Decision.id))
    )
    return list(session.exec(statement).all())


def meeting_actions(session: Session, *, meeting_id: int) -> list[ActionItem]:
    """Action items created from a meeting (its minutes), oldest first."""
    statement = select(ActionItem).where(ActionItem.meeting_id == meeting_id).order_by(col(ActionItem.id))
    return list(session.exec(statement).all())


def open_committee_actions(session: Session, *, committee_id: int) -> list[ActionItem]:
    """A committee's open and in-progress action items, by due date then id."""
    statement = (
        select(ActionItem)
        .where(ActionItem.committee_id == committee_id)
        .where(col(ActionItem.status).in_(OPEN_ACTION_STATUSES))
        .order_by(col(ActionItem.due), col(ActionItem.id))
    )
    return list(session.exec(statement).all())


def overdue_committee_actions(session: Session, *, committee_id: int, today: date) -> list[ActionItem]:
    """A committee's open action items due before ``today``."""
    return [a for a in open_committee_actions(session, committee_id=committee_id) if a.due < today]


def count_notifications(session: Session, *, meeting_id: int, kind: str) -> int:
    """How many notifications of ``kind`` exist for a meeting (numbers event keys: approval 1, 2…)."""
    statement = (
        select(sa.func.count())
        .select_from(Notification)
        .where(Notification.meeting_id == meeting_id, Notification.kind == kind)
    )
    return int(session.exec(statement).one())


def pending_notifications(session: Session, *, meeting_id: int, kinds: tuple[str, ...]) -> list[Notification]:
    """A meeting's notifications of these kinds not yet sent."""
    statement = (
        select(Notification)
        .where(Notification.meeting_id == meeting_id, col(Notification.kind).in_(kinds))
        .where(Notification.state == "pending")
        .order_by(col(Notification.id))
    )
    return list(session.exec(statement).all())


def cancelled_after(session: Session, *, committee_id: int, after: datetime, limit: int = 8) -> list[Meeting]:
    """A committee's cancelled meetings starting after ``after``, soonest first."""
    statement = (
        select(Meeting)
        .where(
            Meeting.committee_id == committee_id,
            Meeting.status == MeetingStatus.cancelled.value,
            col(Meeting.start) > after,
        )
        .order_by(col(Meeting.start))
        .limit(limit)
    )
    return list(session.exec(statement).all())
