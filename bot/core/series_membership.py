"""A stored meeting against its committee's series as it is now.

A ``config import`` that changes a committee's time, cadence, zone, duration, holidays or holiday
policy replaces the occurrences to come by those of the new series (``Committee.schedule_from``):
the stored rows of the old ones (a cancellation, a move, reminders already posted) stay as history
and override nothing. Everything that acts on one stored meeting asks here first.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.calendar import Occurrence, occurrences
from storage.models import Committee, Meeting, WorkspaceSettings

# Around the series instant and the stored start: holiday moves (a closed week included) and moves.
_AROUND = timedelta(days=12)


def occurrence_of(committee: Committee, workspace: WorkspaceSettings, meeting: Meeting) -> Occurrence | None:
    """The meeting as its series sees it now (holiday policy, move, cancellation, history before a
    change of schedule); None when the series no longer has it."""
    instants = [_utc(meeting.series_start), _utc(meeting.start)]
    found = occurrences(committee, workspace, min(instants) - _AROUND, max(instants) + _AROUND, [meeting])
    return next((o for o in found if _utc(o.series_start) == instants[0]), None)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
