"""Queries on workspace settings, committees and their meetings.

Functions take a ``Session`` and keyword-only values, and never commit: the caller owns the unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import Committee, Meeting, WorkspaceSettings

DEFAULT_TEAM = "default"


class UnknownCommittee(LookupError):
    """No committee has the key that was asked for; the message lists the keys that exist."""


class OccurrenceLike(Protocol):
    """What ``get_or_create_meeting`` needs of an occurrence (``bot.core.calendar.Occurrence`` fits)."""

    @property
    def series_start(self) -> datetime: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def status(self) -> str: ...


def get_workspace(session: Session, *, team_id: str = DEFAULT_TEAM) -> WorkspaceSettings:
    """The workspace settings row, created with the defaults when it does not exist yet.

    Remembered in the session (planning thousands of committees in one asks for it thousands of
    times): the same object the identity map would give, while it is still in the session."""
    remembered = session.info.get(("workspace", team_id))
    if remembered is not None and remembered in session:
        return remembered
    workspace = session.exec(select(WorkspaceSettings).where(WorkspaceSettings.team_id == team_id)).first()
    if workspace is None:
        workspace = WorkspaceSettings(team_id=team_id)
        session.add(workspace)
        session.flush()
    session.info[("workspace", team_id)] = workspace
    return workspace


def get_committee(session: Session, *, key: str) -> Committee | None:
    """The committee with this key (active or not), or None."""
    return session.exec(select(Committee).where(Committee.key == key)).first()


def require_committee(session: Session, *, key: str) -> Committee:
    """The committee with this key; raises ``UnknownCommittee`` naming the keys that exist."""
    committee = get_committee(session, key=key)
    if committee is None:
        known = session.exec(select(Committee.key).order_by(Committee.key)).all()
        allowed = ", ".join(known) if known else "none yet: run `committee-bot config import`"
        raise UnknownCommittee(f'unknown committee "{key}" (known: {allowed})')
    return committee


def committee_by_channel(session: Session, *, channel: str) -> Committee | None:
    """The active committee that lives in this Slack channel, or None.

    ``config import`` refuses two active committees in one channel, so there is at most one.
    """
    statement = (
        select(Committee)
        .where(Committee.channel == channel, col(Committee.active).is_(True))
        .order_by(col(Committee.id))
    )
    return session.exec(statement).first()


def list_committees(
    session: Session, *, active: bool | None = True, key: str | None = None
) -> list[Committee]:
    """Committees in declaration order; ``active=None`` lists inactive ones too, ``key`` narrows to one."""
    statement = select(Committee).order_by(col(Committee.id))
    if active is not None:
        statement = statement.where(col(Committee.active).is_(active))
    if key is not None:
        statement = statement.where(Committee.key == key)
    return list(session.exec(statement).all())


def meetings_between(
    session: Session, *, committee_ids: Iterable[int], start: datetime, end: datetime
) -> list[Meeting]:
    """Stored meetings whose ``series_start`` or ``start`` lies in [start, end).

    Both matter for occurrence overrides: a meeting moved out of the window still hides its series
    slot, and one moved into it must show up.
    """
    ids = list(committee_ids)
    if not ids:
        return []
    statement = (
        select(Meeting)
        .where(col(Meeting.committee_id).in_(ids))
        .where(
            sa.or_(
                sa.and_(col(Meeting.series_start) >= start, col(Meeting.series_start) < end),
                sa.and_(col(Meeting.start) >= start, col(Meeting.start) < end),
            )
        )
        .order_by(col(Meeting.committee_id), col(Meeting.series_start))
    )
    return list(session.exec(statement).all())


def get_meeting(session: Session, *, committee_id: int, series_start: datetime) -> Meeting | None:
    """The stored meeting of this committee for this series instant, or None."""
    statement = select(Meeting).where(
        Meeting.committee_id == committee_id, Meeting.series_start == series_start
    )
    return session.exec(statement).first()


def get_or_create_meeting(
    session: Session, *, committee: Committee, occurrence: OccurrenceLike, now: datetime
) -> Meeting:
    """The meeting row of an occurrence, created from it when missing.

    Two processes may create the same row at once; the unique (committee, series_start) constraint
    decides, and the loser reads the winner's row.
    """
    assert committee.id is not None
    existing = get_meeting(session, committee_id=committee.id, series_start=occurrence.series_start)
    if existing is not None:
        return existing
    meeting = Meeting(
        committee_id=committee.id,
        series_start=occurrence.series_start,
        start=occurrence.start,
        end=occurrence.end,
        status=occurrence.status,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(meeting)
    except IntegrityError:
        existing = get_meeting(session, committee_id=committee.id, series_start=occurrence.series_start)
        if existing is None:
            raise
        return existing
    return meeting
