"""What the bot will send in a window of time, read from the database (SPEC §4–§6, §8 ``plan``).

``plan_window`` gathers committees, stored meetings, open actions and owners' time zones in a few bulk
queries, then asks the pure timeline functions for each meeting, action and digest. The dispatcher uses
it for its rolling horizon; ``committee-bot plan`` and ``calendar`` use the day-based wrappers, where
each committee's window runs from the start of the first day to the end of the last, in its own zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.core import calendar as calendar_mod
from bot.core import timeline as timeline_mod
from bot.core.calendar import BusinessCalendar, Occurrence
from bot.core.config_bounds import cadence_problem
from bot.core.timeline import Deadlines, Planned
from bot.planning.plan_guard import guarded
from storage.committees import (
    UnknownCommittee,
    get_workspace,
    list_committees,
    meetings_between,
    require_committee,
)
from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    Committee,
    Meeting,
    MeetingStatus,
    SlackUser,
    WorkspaceSettings,
)

# A meeting's notifications run from before its start (save_the_date 60 days ahead, agenda requests
# 15 business days ahead, with room for timeline overrides) to after its end (minutes chasers a few
# business days later). Occurrences are read over the window widened by these margins.
MEETING_LOOKAHEAD = timedelta(days=120)
MEETING_LOOKBEHIND = timedelta(days=45)

__all__ = [
    "CommitteeCalendar",
    "Deadlines",
    "UnknownCommittee",
    "calendar_days",
    "calendar_window",
    "day_window",
    "occurrence_deadlines",
    "plan_days",
    "plan_window",
]


@dataclass(frozen=True)
class CommitteeCalendar:
    """A committee's occurrences in a window, with its business calendar and each meeting's deadlines."""

    committee: Committee
    calendar: BusinessCalendar | None  # None when built from plain occurrences (ICS of given values)
    occurrences: list[Occurrence]
    deadlines: dict[datetime, Deadlines | None]  # by occurrence.series_start (None: cancelled)


def day_window(first: date, last: date, tz: str) -> tuple[datetime, datetime]:
    """[start of ``first``, start of the day after ``last``) in zone ``tz``, as aware UTC instants."""
    zone = ZoneInfo(tz)
    start = datetime.combine(first, time(0), zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


def _committees(session: Session, committee_key: str | None) -> list[Committee]:
    if committee_key is not None:
        committee = require_committee(session, key=committee_key)
        return [committee] if committee.active else []
    return list_committees(session)


def _stored_meetings(
    session: Session, committees: list[Committee], start: datetime, end: datetime
) -> dict[int, list[Meeting]]:
    by_committee: dict[int, list[Meeting]] = {}
    ids = [committee.id for committee in committees if committee.id is not None]
    for meeting in meetings_between(session, committee_ids=ids, start=start, end=end):
        by_committee.setdefault(meeting.committee_id, []).append(meeting)
    return by_committee


def _occurrences(
    committee: Committee,
    workspace: WorkspaceSettings,
    start: datetime,
    end: datetime,
    meetings: list[Meeting],
) -> list[Occurrence]:
    """``calendar.occurrences``, refusing a cadence denser than once a day (stored before it was
    bounded: it would take minutes and gigabytes to expand)."""
    problem = cadence_problem(committee.cadence)
    if problem:
        raise ValueError(f"cadence {problem}")
    return calendar_mod.occurrences(committee, workspace, start, end, meetings)


def occurrence_deadlines(
    committee: Committee, occurrence: Occurrence, calendar: BusinessCalendar
) -> Deadlines | None:
    """The deck and minutes deadlines of an occurrence (``timeline.meeting_deadlines``); None when
    the meeting is cancelled."""
    if occurrence.status == MeetingStatus.cancelled.value:
        return None
    return timeline_mod.meeting_deadlines(committee, occurrence.start, occurrence.end, calendar)


def calendar_window(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    committee_key: str | None = None,
    with_deadlines: bool = False,
) -> list[CommitteeCalendar]:
    """Each active committee's occurrences starting in [start, end) (or only ``committee_key``'s).

    Raises ``UnknownCommittee`` for a key that does not exist.
    """
    committees = _committees(session, committee_key)
    workspace = get_workspace(session)
    # A moved meeting may start in the window while its series slot lies outside: read the stored
    # rows over a wider range than the window itself.
    stored = _stored_meetings(session, committees, start - MEETING_LOOKAHEAD, end + MEETING_LOOKAHEAD)
    return [
        _committee_calendar(
            committee, workspace, start, end, stored.get(committee.id or 0, []), with_deadlines
        )
        for committee in committees
    ]


def _committee_calendar(
    committee: Committee,
    workspace: WorkspaceSettings,
    start: datetime,
    end: datetime,
    meetings: list[Meeting],
    with_deadlines: bool,
) -> CommitteeCalendar:
    business = calendar_mod.business_calendar(committee, workspace)
    found = guarded(
        f"committee:{committee.key}",
        partial(_occurrences, committee, workspace, start, end, meetings),
        committee_key=committee.key,
    )
    deadlines: dict[datetime, Deadlines | None] = {}
    if with_deadlines:
        for occurrence in list(found):
            computed = guarded(
                f"meeting:{committee.key}:{occurrence.series_start.isoformat()}",
                partial(lambda o: [occurrence_deadlines(committee, o, business)], occurrence),
                committee_key=committee.key,
            )
            if computed:
                deadlines[occurrence.series_start] = computed[0]
            else:  # its deadlines cannot be computed: the occurrence is left out, the others stay
                found.remove(occurrence)
    return CommitteeCalendar(committee=committee, calendar=business, occurrences=found, deadlines=deadlines)


def calendar_days(
    session: Session,
    *,
    first: date,
    last: date,
    committee_key: str | None = None,
    with_deadlines: bool = False,
) -> list[CommitteeCalendar]:
    """Like ``calendar_window``, each committee's window being whole days ``first``..``last`` in its zone."""
    committees = _committees(session, committee_key)
    workspace = get_workspace(session)
    windows = {committee.key: day_window(first, last, committee.timezone) for committee in committees}
    if not windows:
        return []
    low = min(window[0] for window in windows.values())
    high = max(window[1] for window in windows.values())
    stored = _stored_meetings(session, committees, low - MEETING_LOOKAHEAD, high + MEETING_LOOKAHEAD)
    return [
        _committee_calendar(
            committee, workspace, *windows[committee.key], stored.get(committee.id or 0, []), with_deadlines
        )
        for committee in committees
    ]


def plan_window(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    committee_key: str | None = None,
    until_actions: date | None = None,
    only: Committee | None = None,
) -> list[Planned]:
    """Every notification whose instant falls in [start, end), sorted by instant then key.

    Meetings: each occurrence of the window widened by the timeline's reach is planned, and its
    notifications kept when they fall in the window. Actions: every open action of the selected
    committees (all of them, committee-less ones included, when no key is given) is chased in its
    owner's Slack time zone (else the committee's, else the workspace's) up to ``until_actions``
    (default: the last day of the window). Digests: each active committee's weekly digests.
    Raises ``UnknownCommittee`` for a key that does not exist. ``only``: the one committee to
    plan, when the caller holds it already (no query for it).
    """
    committees = ([only] if only.active else []) if only is not None else _committees(session, committee_key)
    workspace = get_workspace(session)
    planned: list[Planned] = []

    wide_start, wide_end = start - MEETING_LOOKBEHIND, end + MEETING_LOOKAHEAD
    # Stored rows over a wider range still: a meeting moved by weeks keeps its series slot.
    stored = _stored_meetings(
        session, committees, wide_start - MEETING_LOOKAHEAD, wide_end + MEETING_LOOKAHEAD
    )
    calendars: dict[int, BusinessCalendar] = {}
    for committee in committees:
        assert committee.id is not None
        business = calendar_mod.business_calendar(committee, workspace)
        calendars[committee.id] = business
        # Each subject is planned on its own: a stored value that cannot be planned (a meeting moved
        # to year 9999) skips that subject, reported, and the rest of the committee goes on.
        found = guarded(
            f"committee:{committee.key}",
            partial(
                _occurrences,
                committee,
                workspace,
                wide_start,
                wide_end,
                stored.get(committee.id, []),
            ),
            committee_key=committee.key,
        )
        for occurrence in found:
            planned.extend(
                guarded(
                    f"meeting:{committee.key}:{occurrence.series_start.isoformat()}",
                    partial(timeline_mod.plan_meeting, committee, occurrence, business),
                    committee_key=committee.key,
                )
            )
        zone = ZoneInfo(committee.timezone)
        first_day = start.astimezone(zone).date()
        last_day = (end - timedelta(microseconds=1)).astimezone(zone).date()
        planned.extend(
            guarded(
                f"digest:{committee.key}",
                partial(timeline_mod.plan_digest, committee, business, first_day, last_day),
                committee_key=committee.key,
            )
        )

    planned.extend(
        _plan_actions(session, committees, workspace, calendars, committee_key, start, end, until_actions)
    )
    return sorted((item for item in planned if start <= item.at < end), key=lambda item: (item.at, item.key))


def _plan_actions(
    session: Session,
    committees: list[Committee],
    workspace: WorkspaceSettings,
    calendars: dict[int, BusinessCalendar],
    committee_key: str | None,
    start: datetime,
    end: datetime,
    until: date | None,
) -> list[Planned]:
    by_id = {committee.id: committee for committee in committees}
    statement = select(ActionItem).where(col(ActionItem.status).in_(OPEN_ACTION_STATUSES))
    if committee_key is not None:
        statement = statement.where(col(ActionItem.committee_id).in_(list(by_id)))
    actions = session.exec(statement.order_by(col(ActionItem.id))).all()
    if not actions:
        return []
    owners = {action.owner for action in actions}
    zones = {
        user.user_id: user.tz
        for user in session.exec(select(SlackUser).where(col(SlackUser.user_id).in_(owners))).all()
        if user.tz
    }
    # Actions of inactive committees (absent from ``by_id``) keep their committee's calendar and zone,
    # but there is no chair to escalate to.
    inactive_ids = {
        action.committee_id for action in actions if action.committee_id and action.committee_id not in by_id
    }
    others = {
        committee.id: committee
        for committee in (
            session.exec(select(Committee).where(col(Committee.id).in_(inactive_ids))).all()
            if inactive_ids
            else []
        )
    }
    workspace_calendar = calendar_mod.business_calendar(None, workspace)
    planned: list[Planned] = []
    for action in actions:
        committee = by_id.get(action.committee_id) or others.get(action.committee_id)
        business = calendars.get(action.committee_id or 0) or (
            calendar_mod.business_calendar(committee, workspace) if committee else workspace_calendar
        )
        owner_tz = zones.get(action.owner) or (committee.timezone if committee else workspace.timezone)
        last_day = until or (end - timedelta(microseconds=1)).astimezone(ZoneInfo(owner_tz)).date()
        chair = committee.chair if committee and committee.active else None
        items = guarded(
            f"action:{action.id}",
            partial(
                timeline_mod.plan_action,
                action,
                owner_tz=owner_tz,
                calendar=business,
                chair=chair,
                until=last_day,
            ),
            committee_key=committee.key if committee else None,
            action_id=action.id,
        )
        planned.extend(_with_committee(items, committee))
    return planned


def _with_committee(items: Iterable[Planned], committee: Committee | None) -> list[Planned]:
    """Action chases carry their committee's key, so listings can show it and use its zone."""
    if committee is None:
        return list(items)
    out = []
    for item in items:
        out.append(item if item.committee_key is not None else replace(item, committee_key=committee.key))
    return out


def plan_days(
    session: Session, *, first: date, last: date, committee_key: str | None = None
) -> list[Planned]:
    """``plan_window`` over whole days ``first``..``last``, each notification in its committee's zone
    (committee-less action chases in the workspace's)."""
    committees = _committees(session, committee_key)
    workspace = get_workspace(session)
    zones = {committee.key: committee.timezone for committee in list_committees(session, active=None)}
    windows = {
        tz: day_window(first, last, tz) for tz in {workspace.timezone, *(c.timezone for c in committees)}
    }
    low = min(window[0] for window in windows.values())
    high = max(window[1] for window in windows.values())
    planned = plan_window(
        session, start=low, end=high, committee_key=committee_key, until_actions=last + timedelta(days=1)
    )
    kept = []
    for item in planned:
        tz = zones.get(item.committee_key or "", workspace.timezone)
        window = windows.get(tz) or day_window(first, last, tz)
        if window[0] <= item.at < window[1]:
            kept.append(item)
    return kept
