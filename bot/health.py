"""Governance health (SPEC §6): how often the committees keep their own deadlines.

Three rates over the last ``weeks`` weeks (12 by default):

- minutes on time: minutes posted in the channel no later than the minutes due time;
- decks on time: deck shared no later than the deck due time;
- actions closed on time: done no later than the end of their due day, in the committee's zone.

An item counts in the window when it came to term there: a deadline that passed, or an item delivered
(early delivery counts at once, as on time). Cancelled meetings and cancelled actions are not measured;
deadlines still ahead with nothing delivered yet are not measured either. A rate with nothing to
measure is None, shown as "—".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.calendar import BusinessCalendar, business_calendar, localize
from bot.timeline import TimelineRules, rules_for
from storage.models import ActionItem, ActionStatus, Committee, Meeting, MeetingStatus, WorkspaceSettings


@dataclass(frozen=True)
class Rate:
    """``on_time`` of ``total`` measured items."""

    on_time: int = 0
    total: int = 0

    @property
    def percent(self) -> int | None:
        """Rounded percentage, None when nothing was measured."""
        return None if self.total == 0 else round(100 * self.on_time / self.total)

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.on_time + other.on_time, self.total + other.total)

    def count(self, on_time: bool) -> Rate:
        return Rate(self.on_time + int(on_time), self.total + 1)


@dataclass(frozen=True)
class Health:
    """The three rates of one committee (or of several, summed), over ``weeks`` weeks up to ``now``."""

    minutes: Rate = field(default_factory=Rate)
    decks: Rate = field(default_factory=Rate)
    actions: Rate = field(default_factory=Rate)
    weeks: int = 12

    def __add__(self, other: Health) -> Health:
        return Health(self.minutes + other.minutes, self.decks + other.decks, self.actions + other.actions, self.weeks)


@dataclass(frozen=True)
class Deadlines:
    """When a meeting's deck and minutes are due (aware, in the committee's zone)."""

    deck_due: datetime
    minutes_due: datetime


def meeting_deadlines(
    committee: Committee, meeting: Meeting, calendar: BusinessCalendar, rules: TimelineRules | None = None
) -> Deadlines:
    """Deck due (N bd before T, at T's time) and minutes due (N bd after E, at E's time), as planned
    by ``bot.timeline.plan_meeting``."""
    rules = rules or rules_for(committee)
    tz = ZoneInfo(committee.timezone)
    start, end = meeting.start.astimezone(tz), meeting.end.astimezone(tz)
    deck_day = calendar.add(start.date(), -rules.deck_due_business_days)
    minutes_day = calendar.add(end.date(), rules.minutes_due_business_days)
    return Deadlines(
        deck_due=localize(datetime.combine(deck_day, start.time().replace(tzinfo=None)), tz),
        minutes_due=localize(datetime.combine(minutes_day, end.time().replace(tzinfo=None)), tz),
    )


def end_of_day(day: date, tz: str) -> datetime:
    """The first instant after ``day`` in ``tz`` (aware UTC): "closed by the due date" means before it."""
    return localize(datetime.combine(day + timedelta(days=1), time(0, 0)), ZoneInfo(tz)).astimezone(UTC)


def workspace_settings(session: Session) -> WorkspaceSettings:
    """The workspace settings row, or the defaults when none was declared (read only)."""
    return session.exec(select(WorkspaceSettings).order_by(col(WorkspaceSettings.id))).first() or WorkspaceSettings()


def governance_health(session: Session, *, committee_ids: Iterable[int], now: datetime, weeks: int = 12) -> Health:
    """The committees' health summed over all of them (SPEC §6), over ``weeks`` weeks up to ``now``."""
    total = Health(weeks=weeks)
    for health in health_by_committee(session, committee_ids=committee_ids, now=now, weeks=weeks).values():
        total = total + health
    return total


def health_by_committee(
    session: Session, *, committee_ids: Iterable[int], now: datetime, weeks: int = 12
) -> dict[int, Health]:
    """Each committee's health, in three queries whatever the number of committees (the digest of
    thousands of channels needs them all at once)."""
    ids = sorted(set(committee_ids))
    if not ids:
        return {}
    since = now - timedelta(weeks=weeks)
    committees = {c.id: c for c in _in_chunks(session, Committee, col(Committee.id), ids)}
    workspace = workspace_settings(session)
    calendars: dict[int, BusinessCalendar] = {}
    rules: dict[int, TimelineRules] = {}
    for committee_id, committee in committees.items():
        calendars[committee_id] = business_calendar(committee, workspace)
        rules[committee_id] = rules_for(committee)

    minutes: dict[int, Rate] = defaultdict(Rate)
    decks: dict[int, Rate] = defaultdict(Rate)
    actions: dict[int, Rate] = defaultdict(Rate)

    # Deadlines lie within a few weeks of the meeting: read a margin around the window, decide exactly below.
    margin = timedelta(weeks=8)
    meeting_filter = [
        col(Meeting.status) != MeetingStatus.cancelled.value,
        col(Meeting.start) >= since - margin,
        col(Meeting.start) < now + margin,
    ]
    for meeting in _in_chunks(session, Meeting, col(Meeting.committee_id), ids, *meeting_filter):
        committee = committees[meeting.committee_id]
        due = meeting_deadlines(committee, meeting, calendars[committee.id], rules[committee.id])
        rate = _measure(meeting.minutes_posted_at, due.minutes_due, since, now)
        if rate is not None:
            minutes[committee.id] = minutes[committee.id].count(rate)
        rate = _measure(meeting.deck_shared_at, due.deck_due, since, now)
        if rate is not None:
            decks[committee.id] = decks[committee.id].count(rate)

    # An action comes to term at its due day's end or when closed; read a day of margin for zones.
    action_filter = [
        col(ActionItem.status) != ActionStatus.cancelled.value,
        sa.or_(
            sa.and_(col(ActionItem.due) >= (since - timedelta(days=1)).date(), col(ActionItem.due) <= now.date() + timedelta(days=1)),
            sa.and_(col(ActionItem.closed_at) >= since, col(ActionItem.closed_at) < now),
        ),
    ]
    for action in _in_chunks(session, ActionItem, col(ActionItem.committee_id), ids, *action_filter):
        committee = committees[action.committee_id]  # type: ignore[index]
        closed = action.closed_at if action.status == ActionStatus.done.value else None
        rate = _measure(closed, end_of_day(action.due, committee.timezone), since, now)
        if rate is not None:
            actions[committee.id] = actions[committee.id].count(rate)

    return {
        committee_id: Health(minutes[committee_id], decks[committee_id], actions[committee_id], weeks)
        for committee_id in ids
    }


def _measure(delivered: datetime | None, due: datetime, since: datetime, now: datetime) -> bool | None:
    """On time (True), late (False), or not measured in [since, now) (None).

    An item comes to term at its deadline, or earlier when delivered before it.
    """
    if delivered is not None and delivered > now:
        delivered = None  # not yet, as seen from ``now``
    term = min(delivered, due) if delivered is not None else due
    if not since <= term < now:
        return None
    return delivered is not None and delivered <= due


_CHUNK = 500  # ids per IN (...) clause: well under every back end's parameter limit


def _in_chunks(session: Session, model: type, column: object, ids: list[int], *where: object) -> list:
    rows = []
    for index in range(0, len(ids), _CHUNK):
        statement = select(model).where(column.in_(ids[index : index + _CHUNK]), *where)  # type: ignore[attr-defined]
        rows.extend(session.exec(statement).all())
    return rows
