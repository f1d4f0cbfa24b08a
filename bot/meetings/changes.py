"""Changes to one occurrence beyond a plain move or cancel: restoring a cancelled meeting, and finding
the occurrence a chair names (SPEC §4 "Changes and their invariant").

A chair names an occurrence by a date: its originally scheduled date or its current one (a meeting
moved from 14/01 to 12/01 answers to both). ``named_occurrences`` returns every occurrence a date
names, so that the caller offers a choice when there are several and never acts on another one.

Flows take a ``Session`` and keyword-only plain values (``now`` aware), check first, raise typed
domain errors, then record the change and re-plan through ``bot.meetings.flows.after_meeting_change``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from bot.core.calendar import Occurrence, localize, occurrences, zone
from bot.meetings import flows, state
from bot.meetings.checks import check_chair
from bot.text.errors import InvalidInput, Msg
from storage import meetings as meeting_store
from storage import notifications as notification_store
from storage.committees import get_meeting, get_or_create_meeting, get_workspace
from storage.models import Committee, Meeting, MeetingStatus, id_of


def restore_meeting(session: Session, *, meeting_id: int, actor: str, now: datetime) -> Meeting:
    """Undo the cancellation of one occurrence (chair or admin): it takes place again at the slot it
    had when it was cancelled, its notifications are planned again (what was never posted and is
    still valid goes out at its instant, or at once), and the cancellation notice is edited.

    Refused for a meeting that is not cancelled, one whose time has passed, one that a change of
    the committee's schedule (``config import``) took out of the series since, and one whose slot
    another meeting of the committee has taken since.
    """
    meeting, committee = flows.locked(session, meeting_id)
    check_chair(session, committee, actor, "what_restore_meeting")
    when = state.local_label(meeting.start, committee)
    if meeting.status != MeetingStatus.cancelled.value:
        raise InvalidInput(key="meeting_not_cancelled", locale=committee.locale, when=when)
    if now >= meeting.start:
        raise InvalidInput(
            key="meeting_started", locale=committee.locale, when=when, what=Msg("what_restore")
        )
    if not state.in_series(session, committee=committee, meeting=meeting):
        raise InvalidInput(key="meeting_left_series", locale=committee.locale, when=when)
    flows.check_free(session, committee, meeting, meeting.start, meeting.end)
    original = state.original_start(session, committee=committee, meeting=meeting)
    at_original = meeting.start == original.astimezone(UTC)
    meeting.status = MeetingStatus.scheduled.value if at_original else MeetingStatus.moved.value
    meeting.updated_at = now
    session.add(meeting)
    notification_store.update_event(
        session,
        key=f"{state.meeting_key(committee, meeting)}:{flows.KIND_MEETING_CANCELLED}:1",
        data={"restored_by": actor, "restored_at": now.astimezone(UTC).isoformat()},
        now=now,
    )
    flows.after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


def named_occurrences(session: Session, *, committee: Committee, day: date) -> list[Occurrence]:
    """Every occurrence ``day`` names: held that day (its current date), or originally scheduled
    that day and moved since; cancelled ones included. Sorted by current start."""
    workspace = get_workspace(session)
    tz = zone(committee.timezone)
    start = localize(datetime.combine(day, time(0, 0)), tz)
    end = localize(datetime.combine(day + timedelta(days=1), time(0, 0)), tz)
    found = {
        o.series_start.astimezone(UTC): o
        for o in state.stored_occurrences(
            session, committee=committee, workspace=workspace, start=start, end=end
        )
    }
    # Originally that day: the series alone (no stored rows), then each one's current state.
    for original in occurrences(committee, workspace, start, end, []):
        series_start = original.series_start.astimezone(UTC)
        if series_start in found:
            continue
        row = get_meeting(session, committee_id=committee.id, series_start=series_start)  # type: ignore[arg-type]
        found[series_start] = (
            original
            if row is None or row.status == MeetingStatus.scheduled.value
            else Occurrence(
                committee.key,
                series_start,
                row.start.astimezone(tz),
                row.end.astimezone(tz),
                row.status,
            )
        )
    return sorted(found.values(), key=lambda o: (o.start, o.series_start))


def meeting_of(session: Session, *, committee: Committee, occurrence: Occurrence, now: datetime) -> Meeting:
    """The stored meeting of an occurrence, created from it when missing."""
    return get_or_create_meeting(session, committee=committee, occurrence=occurrence, now=now)


def cancelled_ahead(
    session: Session, *, committee: Committee, now: datetime, limit: int = 8
) -> list[Meeting]:
    """The committee's cancelled meetings still to come, soonest first (the restore picker); those a
    change of schedule took out of the series are not offered: restoring them is refused."""
    rows = meeting_store.cancelled_after(session, committee_id=id_of(committee), after=now, limit=4 * limit)
    return [row for row in rows if state.in_series(session, committee=committee, meeting=row)][:limit]
