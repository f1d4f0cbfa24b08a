"""What a change of schedule by ``config import`` leaves behind, said in one line each.

A new time, cadence, zone, duration, holidays or holiday policy replaces the occurrences to come by
those of the new series (``Committee.schedule_from``, bot/core/calendar.py). A meeting to come that
the chair had cancelled or moved was an occurrence of the old series: the change makes that
cancellation or move void, and the new occurrence of that day takes place unless the chair acts
again. Nothing is lost silently: ``config import`` names each one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.calendar import zone
from bot.core.series_membership import occurrence_of
from storage import meetings as meeting_store
from storage.committees import get_workspace
from storage.models import Committee, Meeting, MeetingStatus, id_of


def void_changes(session: Session, *, keys: Iterable[str], now: datetime) -> list[str]:
    """One warning per cancellation or move of a meeting to come that a change of schedule made at
    ``now`` took out of the series (after ``import_config``, in its transaction)."""
    statuses = (MeetingStatus.cancelled.value, MeetingStatus.moved.value)
    return [_void(committee, row) for committee, row in _left_behind(session, keys, now, statuses)]


def _left_behind(
    session: Session, keys: Iterable[str], now: datetime, statuses: tuple[str, ...]
) -> Iterator[tuple[Committee, Meeting]]:
    """The stored meetings to come (with ``statuses``) of the committees ``keys`` whose schedule
    changed at ``now``, that the new series does not have."""
    workspace = get_workspace(session)
    committees = session.exec(select(Committee).where(col(Committee.key).in_(list(keys)))).all()
    for committee in committees:
        if committee.schedule_from != now or not committee.active:
            continue
        rows = meeting_store.meetings_of_committee(
            session, committee_id=id_of(committee), start=now, statuses=statuses
        )
        yield from ((committee, row) for row in rows if occurrence_of(committee, workspace, row) is None)


def _void(committee: Committee, row: Meeting) -> str:
    tz = zone(committee.timezone)
    what = "cancelled" if row.status == MeetingStatus.cancelled.value else "moved to this slot"
    return (
        f'committee "{committee.key}": the meeting of {row.start.astimezone(tz):%Y-%m-%d %H:%M} '
        f"({what}) is no longer in the calendar since its schedule changed; the new calendar's meeting "
        f"of that day is held unless the chair cancels or moves it again (/committee cancel or move)"
    )
