"""What a change of schedule by ``config import`` leaves behind, said in one line each.

A new time, cadence, zone, duration, holidays or holiday policy replaces the occurrences to come by
those of the new series (``Committee.schedule_from``, bot/core/calendar.py). A meeting to come that
the chair had cancelled or moved was an occurrence of the old series: the change makes that
cancellation or move void, and the new occurrence of that day takes place unless the chair acts
again. Nothing is lost silently: ``config import`` names each one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from bot.core.calendar import zone
from bot.core.series_membership import occurrence_of
from storage import meetings as meeting_store
from storage.committees import get_workspace
from storage.models import Committee, Meeting, id_of


def void_changes(session: Session, *, keys: Iterable[str], now: datetime) -> list[str]:
    """One warning per cancellation or move of a meeting to come that a change of schedule made at
    ``now`` took out of the series (after ``import_config``, in its transaction)."""
    workspace = get_workspace(session)
    committees = session.exec(select(Committee).where(col(Committee.key).in_(list(keys)))).all()
    warnings: list[str] = []
    for committee in committees:
        since = committee.schedule_from
        if since is None or _utc(since) != _utc(now) or not committee.active:
            continue
        rows = meeting_store.changed_after(session, committee_id=id_of(committee), after=now)
        warnings += [
            _void(committee, row) for row in rows if occurrence_of(committee, workspace, row) is None
        ]
    return warnings


def _void(committee: Committee, row: Meeting) -> str:
    tz = zone(committee.timezone)
    what = "cancelled" if row.status == "cancelled" else "moved to this slot"
    return (
        f'committee "{committee.key}": the meeting of {_utc(row.start).astimezone(tz):%Y-%m-%d %H:%M} '
        f"({what}) is no longer in the calendar since its schedule changed; the new calendar's meeting "
        f"of that day is held unless the chair cancels or moves it again (/committee cancel or move)"
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
