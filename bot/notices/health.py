"""Governance health (SPEC §6): how often the committees keep their own deadlines.

Three rates over the last ``weeks`` weeks (12 by default):

- minutes on time: minutes posted in the channel no later than the minutes due time;
- decks on time: deck shared no later than the deck due time;
- actions closed on time: done no later than the end of their due day, in the committee's zone. An
  item whose due date was postponed (``/action postpone``) is measured against the date it was first
  due and counts as postponed, never as closed on time (SPEC §5).

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
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.core.calendar import BusinessCalendar, business_calendar, localize
from bot.core.rules import TimelineRules, rules_for
from bot.core.timeline import meeting_deadlines
from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    Committee,
    Meeting,
    MeetingStatus,
    WorkspaceSettings,
)


@dataclass(frozen=True)
class Rate:
    """``on_time`` of ``total`` measured items; ``postponed`` of them (not on time) had their due
    date postponed."""

    on_time: int = 0
    total: int = 0
    postponed: int = 0

    @property
    def percent(self) -> int | None:
        """Rounded percentage, None when nothing was measured."""
        return None if self.total == 0 else round(100 * self.on_time / self.total)

    def __add__(self, other: Rate) -> Rate:
        return Rate(self.on_time + other.on_time, self.total + other.total, self.postponed + other.postponed)

    def count(self, on_time: bool, *, postponed: bool = False) -> Rate:
        return Rate(self.on_time + int(on_time), self.total + 1, self.postponed + int(postponed))


@dataclass(frozen=True)
class Health:
    """The three rates of one committee (or of several, summed), over ``weeks`` weeks up to ``now``."""

    minutes: Rate = field(default_factory=Rate)
    decks: Rate = field(default_factory=Rate)
    actions: Rate = field(default_factory=Rate)
    weeks: int = 12

    def __add__(self, other: Health) -> Health:
        return Health(
            self.minutes + other.minutes, self.decks + other.decks, self.actions + other.actions, self.weeks
        )


def end_of_day(day: date, tz: str) -> datetime:
    """The first instant after ``day`` in ``tz`` (aware UTC): "closed by the due date" means before it."""
    if day >= date.max:  # stored before due dates were bounded: no day follows, it never comes to term
        return datetime.max.replace(tzinfo=UTC)
    return localize(datetime.combine(day + timedelta(days=1), time(0, 0)), ZoneInfo(tz)).astimezone(UTC)


def workspace_settings(session: Session) -> WorkspaceSettings:
    """The workspace settings row, or the defaults when none was declared (read only)."""
    return (
        session.exec(select(WorkspaceSettings).order_by(col(WorkspaceSettings.id))).first()
        or WorkspaceSettings()
    )


def deadline_margin(rules: Iterable[TimelineRules]) -> timedelta:
    """How far from a meeting its deck or minutes deadline can lie: two calendar days per business
    day, plus two weeks for runs of holidays."""
    most = max((max(r.deck_due_business_days, r.minutes_due_business_days) for r in rules), default=2)
    return timedelta(days=2 * most + 14)


def governance_health(
    session: Session, *, committee_ids: Iterable[int], now: datetime, weeks: int = 12
) -> Health:
    """The committees' health summed over all of them (SPEC §6), over ``weeks`` weeks up to ``now``."""
    total = Health(weeks=weeks)
    for health in health_by_committee(session, committee_ids=committee_ids, now=now, weeks=weeks).values():
        total = total + health
    return total


def health_by_committee(
    session: Session, *, committee_ids: Iterable[int], now: datetime, weeks: int = 12
) -> dict[int, Health]:
    """Each committee's health, from three queries whatever the number of committees."""
    ids = sorted(set(committee_ids))
    if not ids:
        return {}
    committees = [
        c
        for chunk in chunks(ids)
        for c in session.exec(select(Committee).where(col(Committee.id).in_(chunk)))
    ]
    scopes = scopes_for(committees, workspace_settings(session))
    since = now - timedelta(weeks=weeks)
    margin = deadline_margin(s.rules for s in scopes.values())
    meetings = meeting_rows(session, ids, start=since - margin, end=now + margin)
    actions = action_rows(session, ids, since=since, now=now)
    return health_from_rows(scopes, meetings, actions, now=now, weeks=weeks)


# -- Bulk reads, shared with the digest ----------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What the deadlines of one committee depend on."""

    committee: Committee
    calendar: BusinessCalendar
    rules: TimelineRules


def scopes_for(committees: Iterable[Committee], workspace: WorkspaceSettings) -> dict[int, Scope]:
    return {
        c.id: Scope(c, business_calendar(c, workspace), _rules(c))  # type: ignore[misc]
        for c in committees
    }


def _rules(committee: Committee) -> TimelineRules:
    try:
        return rules_for(committee)
    except ValueError:
        # A cadence or override this version cannot read (config import refuses them): measure
        # against the SPEC defaults rather than fail every committee's figures with it.
        return TimelineRules()


_CHUNK = 500  # ids per IN (...) clause: well under every back end's parameter limit
MEETING_COLUMNS = (
    col(Meeting.id),
    col(Meeting.committee_id),
    col(Meeting.series_start),
    col(Meeting.start),
    col(Meeting.end),
    col(Meeting.status),
    col(Meeting.deck_shared_at),
    col(Meeting.deck_link),
    col(Meeting.minutes_submitted_at),
    col(Meeting.minutes_approved_at),
    col(Meeting.minutes_posted_at),
)
ACTION_COLUMNS = (
    col(ActionItem.id),
    col(ActionItem.committee_id),
    col(ActionItem.title),
    col(ActionItem.owner),
    col(ActionItem.due),
    col(ActionItem.status),
    col(ActionItem.progress),
    col(ActionItem.closed_at),
    col(ActionItem.postponed_from),
)


def chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


# The statements are built once: on a Monday the dispatcher asks for thousands of digests one by
# one, and building a statement costs more than running it.
_IDS: sa.BindParameter[Any] = sa.bindparam("ids", expanding=True)
_MEETINGS = (
    sa.select(*MEETING_COLUMNS)
    .where(col(Meeting.committee_id).in_(_IDS))
    .where(
        sa.or_(
            sa.and_(col(Meeting.start) >= sa.bindparam("start"), col(Meeting.start) < sa.bindparam("end")),
            sa.and_(
                col(Meeting.series_start) >= sa.bindparam("start"),
                col(Meeting.series_start) < sa.bindparam("end"),
            ),
        )
    )
    .order_by(col(Meeting.start))
)
_CAME_TO_TERM = sa.or_(
    sa.and_(col(ActionItem.due) >= sa.bindparam("due_from"), col(ActionItem.due) <= sa.bindparam("due_to")),
    sa.and_(
        col(ActionItem.postponed_from) >= sa.bindparam("due_from"),
        col(ActionItem.postponed_from) <= sa.bindparam("due_to"),
    ),
    sa.and_(
        col(ActionItem.closed_at) >= sa.bindparam("since"), col(ActionItem.closed_at) < sa.bindparam("now")
    ),
)
_ACTIONS = sa.select(*ACTION_COLUMNS).where(
    col(ActionItem.committee_id).in_(_IDS), col(ActionItem.status) != ActionStatus.cancelled.value
)
_ACTIONS_TO_TERM = _ACTIONS.where(_CAME_TO_TERM).order_by(col(ActionItem.due), col(ActionItem.id))
_ACTIONS_TO_TERM_OR_OPEN = _ACTIONS.where(
    sa.or_(_CAME_TO_TERM, col(ActionItem.status).in_(OPEN_ACTION_STATUSES))
).order_by(col(ActionItem.due), col(ActionItem.id))


def meeting_rows(session: Session, ids: list[int], *, start: datetime, end: datetime) -> list[Any]:
    """The committees' meetings starting (or once planned to start) in [start, end), as light rows
    (``MEETING_COLUMNS``, read by attribute), by start. Cancelled ones included."""
    rows: list[Any] = []
    for chunk in chunks(ids):
        rows.extend(session.execute(_MEETINGS, params={"ids": chunk, "start": start, "end": end}).all())
    return rows


def action_rows(
    session: Session, ids: list[int], *, since: datetime, now: datetime, open_too: bool = False
) -> list[Any]:
    """The committees' actions that came to term in [since, now) (due then, or closed then), and with
    ``open_too`` every open one, as light rows (``ACTION_COLUMNS``), by due date. Cancelled ones left out."""
    # A day of margin each side of the due dates for the zones; health decides exactly.
    params = {
        "due_from": (since - timedelta(days=1)).date(),
        "due_to": now.date() + timedelta(days=1),
        "since": since,
        "now": now,
    }
    statement = _ACTIONS_TO_TERM_OR_OPEN if open_too else _ACTIONS_TO_TERM
    rows: list[Any] = []
    for chunk in chunks(ids):
        rows.extend(session.execute(statement, params={"ids": chunk, **params}).all())
    return rows


def health_from_rows(
    scopes: dict[int, Scope], meetings: Iterable[Any], actions: Iterable[Any], *, now: datetime, weeks: int
) -> dict[int, Health]:
    """Each committee's health from rows already read (``meeting_rows``, ``action_rows``)."""
    since = now - timedelta(weeks=weeks)
    minutes: dict[int, Rate] = defaultdict(Rate)
    decks: dict[int, Rate] = defaultdict(Rate)
    actions_rate: dict[int, Rate] = defaultdict(Rate)

    for meeting in meetings:
        scope = scopes.get(meeting.committee_id)
        if scope is None or meeting.status == MeetingStatus.cancelled.value:
            continue
        due = meeting_deadlines(scope.committee, meeting.start, meeting.end, scope.calendar, scope.rules)
        on_time = _measure(meeting.minutes_posted_at, due.minutes_due, since, now)
        if on_time is not None:
            minutes[meeting.committee_id] = minutes[meeting.committee_id].count(on_time)
        on_time = _measure(meeting.deck_shared_at, due.deck_due, since, now)
        if on_time is not None:
            decks[meeting.committee_id] = decks[meeting.committee_id].count(on_time)

    for action in actions:
        scope = scopes.get(action.committee_id)
        if scope is None or action.status == ActionStatus.cancelled.value:
            continue
        if action.postponed_from is not None:
            # Postponed: it came to term on the day first committed to, and was not closed by then.
            first_due = end_of_day(action.postponed_from, scope.committee.timezone)
            if since <= first_due < now:
                actions_rate[action.committee_id] = actions_rate[action.committee_id].count(
                    False, postponed=True
                )
            continue
        closed = action.closed_at if action.status == ActionStatus.done.value else None
        on_time = _measure(closed, end_of_day(action.due, scope.committee.timezone), since, now)
        if on_time is not None:
            actions_rate[action.committee_id] = actions_rate[action.committee_id].count(on_time)

    return {
        committee_id: Health(minutes[committee_id], decks[committee_id], actions_rate[committee_id], weeks)
        for committee_id in scopes
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
