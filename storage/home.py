"""Queries behind the App Home and ``/action list``: who belongs to which committee, one page of
open items, the minutes and decks a user owes, their next meetings.

Functions take a ``Session`` and keyword-only values, and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    Committee,
    CommitteeMember,
    Meeting,
    MeetingStatus,
)

# How far back unsubmitted minutes and how far ahead missing decks are shown.
MINUTES_LOOKBACK = timedelta(days=60)
DECKS_LOOKAHEAD = timedelta(days=21)


def committee_ids_of(session: Session, *, user_id: str) -> list[int]:
    """Active committees ``user_id`` sits on: as chair, secretary, deck owner or member."""
    roles = sa.or_(
        col(Committee.chair) == user_id,
        col(Committee.secretary) == user_id,
        col(Committee.deck_owner) == user_id,
    )
    members = select(CommitteeMember.committee_id).where(CommitteeMember.user_id == user_id)
    query = (
        select(Committee.id)
        .where(col(Committee.active).is_(True), sa.or_(roles, col(Committee.id).in_(members)))
        .order_by(col(Committee.id))
    )
    return [committee_id for committee_id in session.exec(query) if committee_id is not None]


def open_actions_page(
    session: Session,
    *,
    owner: str | None = None,
    committee_ids: Sequence[int] | None = None,
    also_owned_by: str | None = None,
    due_before: date | None = None,
    limit: int = 20,
) -> tuple[list[ActionItem], int]:
    """Open and in-progress items by due date: the first ``limit`` and how many there are in all.

    ``committee_ids`` (None: any committee) narrows to those committees, plus the items
    ``also_owned_by`` owns wherever they are; ``due_before`` keeps the overdue ones.
    """
    where: list[sa.ColumnElement[bool]] = [col(ActionItem.status).in_(OPEN_ACTION_STATUSES)]
    if owner is not None:
        where.append(col(ActionItem.owner) == owner)
    if committee_ids is not None:
        in_committees = col(ActionItem.committee_id).in_(list(committee_ids))
        where.append(
            sa.or_(in_committees, col(ActionItem.owner) == also_owned_by) if also_owned_by else in_committees
        )
    if due_before is not None:
        where.append(col(ActionItem.due) < due_before)
    total = session.exec(select(sa.func.count()).select_from(ActionItem).where(*where)).one()
    items = session.exec(
        select(ActionItem).where(*where).order_by(col(ActionItem.due), col(ActionItem.id)).limit(limit)
    )
    return list(items), int(total)


def minutes_owed(session: Session, *, user_id: str, now: datetime) -> list[tuple[Meeting, Committee]]:
    """Meetings that ended in the last 60 days whose minutes ``user_id`` (the secretary) has not submitted."""
    query = (
        select(Meeting, Committee)
        .join(Committee, col(Committee.id) == Meeting.committee_id)
        .where(
            Committee.secretary == user_id,
            col(Meeting.end) <= now,
            col(Meeting.end) >= now - MINUTES_LOOKBACK,
            col(Meeting.minutes_submitted_at).is_(None),
            Meeting.status != MeetingStatus.cancelled.value,
        )
        .order_by(col(Meeting.start))
        .limit(20)
    )
    return [(meeting, committee) for meeting, committee in session.exec(query)]


def decks_owed(session: Session, *, user_id: str, now: datetime) -> list[tuple[Meeting, Committee]]:
    """Meetings of the next three weeks whose deck ``user_id`` (the deck owner) has not shared yet."""
    query = (
        select(Meeting, Committee)
        .join(Committee, col(Committee.id) == Meeting.committee_id)
        .where(
            Committee.deck_owner == user_id,
            col(Meeting.start) > now,
            col(Meeting.start) <= now + DECKS_LOOKAHEAD,
            col(Meeting.deck_shared_at).is_(None),
            Meeting.status != MeetingStatus.cancelled.value,
        )
        .order_by(col(Meeting.start))
        .limit(20)
    )
    return [(meeting, committee) for meeting, committee in session.exec(query)]


def next_meetings(
    session: Session, *, committee_ids: Sequence[int], now: datetime, limit: int = 5
) -> list[tuple[Meeting, Committee]]:
    """The next meetings (not cancelled) of these committees."""
    if not committee_ids:
        return []
    query = (
        select(Meeting, Committee)
        .join(Committee, col(Committee.id) == Meeting.committee_id)
        .where(
            col(Meeting.committee_id).in_(list(committee_ids)),
            col(Meeting.start) > now,
            Meeting.status != MeetingStatus.cancelled.value,
        )
        .order_by(col(Meeting.start))
        .limit(limit)
    )
    return [(meeting, committee) for meeting, committee in session.exec(query)]
