"""The weekly digest (SPEC §6), posted in each committee's channel on the first business day of the week.

It shows this week's meetings with their agenda and deck state, the open actions grouped by owner,
the overdue ones, the minutes still outstanding, the decisions of the past week and the governance
health. Only the committee's own items: a digest never shows another channel's. A quiet week still
gets a short digest that says so.

``weekly_digests`` builds the digests of many committees from five bulk queries whatever their
number (thousands of channels share one Monday 09:00); ``weekly_digest`` is the one-committee case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.core.calendar import Occurrence, occurrences
from bot.core.rules import requires_approval
from bot.core.timeline import meeting_deadlines
from bot.meetings import state
from bot.notices.context import link
from bot.notices.health import (
    Health,
    Rate,
    Scope,
    action_rows,
    chunks,
    deadline_margin,
    health_from_rows,
    meeting_rows,
    scopes_for,
    workspace_settings,
)
from bot.notices.message import OutgoingMessage
from bot.slack import blocks as bk
from bot.slack import limits
from bot.text.render import normalize_locale, slack_date, slack_day
from storage.models import (
    OPEN_ACTION_STATUSES,
    AgendaItem,
    Committee,
    Decision,
    Meeting,
    MeetingStatus,
    WorkspaceSettings,
)

TEMPLATE = "digest_weekly"
HEALTH_WEEKS = 12
# How far back unposted minutes are still shown (the health window).
MINUTES_LOOKBACK = timedelta(weeks=HEALTH_WEEKS)
# "This week" in any zone lies within this distance of ``now``.
WEEK_REACH = timedelta(days=9)
# The previous calendar week, in any zone, starts within this distance before ``now``.
DECISIONS_REACH = timedelta(days=15)
MAX_MEETINGS = 10
MAX_OWNERS = 15
MAX_ITEMS_PER_OWNER = 5
MAX_OVERDUE = 15
MAX_MINUTES = 10
MAX_DECISIONS = 15


@dataclass
class _Rows:
    """One committee's rows, as the bulk reads found them."""

    meetings: list[Any] = field(default_factory=list)  # health.MEETING_COLUMNS rows, by start
    actions: list[Any] = field(default_factory=list)  # health.ACTION_COLUMNS rows, by due date
    decisions: list[tuple[str, datetime, datetime]] = field(
        default_factory=list
    )  # text, meeting start, recorded at
    topics: dict[int, int] = field(default_factory=dict)  # meeting id -> proposed topics


def weekly_digest(session: Session, *, committee: Committee, now: datetime) -> OutgoingMessage:
    """The digest of one committee's channel for the week of ``now`` (committee zone)."""
    assert committee.id is not None
    return weekly_digests(session, committees=[committee], now=now)[committee.id]


def weekly_digests(
    session: Session, *, committees: Sequence[Committee], now: datetime
) -> dict[int, OutgoingMessage]:
    """The digests of many committees at once, by committee id, from a fixed number of queries."""
    workspace = workspace_settings(session)
    scopes = scopes_for([c for c in committees if c.id is not None], workspace)
    if not scopes:
        return {}
    rows = _read(session, scopes, now)
    meetings = [m for r in rows.values() for m in r.meetings]
    actions = [a for r in rows.values() for a in r.actions]
    health = health_from_rows(scopes, meetings, actions, now=now, weeks=HEALTH_WEEKS)
    return {
        committee_id: _Digest(scope, workspace, rows[committee_id], health[committee_id], now).message()
        for committee_id, scope in scopes.items()
    }


def health_line(locale: str, health: Health) -> str:
    """ "Governance health (12 weeks) — minutes on time: 83% (5/6) · decks on time: — · …"."""

    def rate(r: Rate) -> str:
        return bk.piece(
            locale,
            TEMPLATE,
            "rate",
            percent=r.percent,
            on_time=r.on_time,
            total=r.total,
            postponed=r.postponed,
        )

    return bk.piece(
        locale,
        TEMPLATE,
        "health",
        weeks=health.weeks,
        minutes=rate(health.minutes),
        decks=rate(health.decks),
        actions=rate(health.actions),
    )


# -- Bulk reads ----------------------------------------------------------------------------------

# Built once (see bot.notices.health): building a statement costs more than running it.
_DECISIONS = (
    select(Decision.text, Meeting.committee_id, Meeting.start, Decision.recorded_at)
    .join(Meeting, col(Meeting.id) == col(Decision.meeting_id))
    .where(col(Meeting.committee_id).in_(sa.bindparam("ids", expanding=True)))
    .where(
        col(Decision.recorded_at) >= sa.bindparam("since"), col(Decision.recorded_at) < sa.bindparam("now")
    )
    .order_by(col(Decision.recorded_at), col(Decision.id))
)
_TOPIC_COUNTS = (
    select(AgendaItem.meeting_id, sa.func.count())
    .where(col(AgendaItem.meeting_id).in_(sa.bindparam("ids", expanding=True)))
    .group_by(col(AgendaItem.meeting_id))
)


def _read(session: Session, scopes: dict[int, Scope], now: datetime) -> dict[int, _Rows]:
    """Meetings, actions (for the lists and the health), decisions and topic counts of all committees."""
    ids = sorted(scopes)
    rows: dict[int, _Rows] = defaultdict(_Rows)
    margin = deadline_margin(s.rules for s in scopes.values())
    since = now - timedelta(weeks=HEALTH_WEEKS)
    for meeting in meeting_rows(session, ids, start=since - margin, end=now + max(WEEK_REACH, margin)):
        rows[meeting.committee_id].meetings.append(meeting)
    for action in action_rows(session, ids, since=since, now=now, open_too=True):
        rows[action.committee_id].actions.append(action)

    for chunk in chunks(ids):
        # Wide enough for the previous calendar week in any zone; each digest keeps its own week.
        since_decisions = now - DECISIONS_REACH
        for text, committee_id, start, recorded in session.exec(
            _DECISIONS, params={"ids": chunk, "since": since_decisions, "now": now}
        ):
            if recorded is not None:  # a decision is always recorded; the column allows NULL
                rows[committee_id].decisions.append((text, start, recorded))

    # Topic counts, only for the meetings that can fall in this week whatever the zone.
    near = {
        m.id: m.committee_id for r in rows.values() for m in r.meetings if abs(m.start - now) <= WEEK_REACH
    }
    for chunk in chunks(sorted(near)):
        for meeting_id, count in session.exec(_TOPIC_COUNTS, params={"ids": chunk}):
            rows[near[meeting_id]].topics[meeting_id] = count
    return rows


# -- One digest ----------------------------------------------------------------------------------


class _Digest:
    """The digest of one committee, from its rows."""

    def __init__(
        self, scope: Scope, workspace: WorkspaceSettings, rows: _Rows, health: Health, now: datetime
    ) -> None:
        self.scope = scope
        self.committee = scope.committee
        self.workspace = workspace
        self.rows = rows
        self.health = health
        self.now = now
        self.locale = normalize_locale(self.committee.locale)
        self.tz = self.committee.timezone
        self.today = now.astimezone(ZoneInfo(self.tz)).date()
        self.monday = self.today - timedelta(days=self.today.weekday())
        self.open_actions = [a for a in rows.actions if a.status in OPEN_ACTION_STATUSES]

    def piece(self, block: str, **values: Any) -> str:
        return bk.piece(self.locale, TEMPLATE, block, name=self.committee.name, **values)

    def when(self, moment: datetime) -> str:
        return slack_date(moment, fallback_tz=self.tz)

    def message(self) -> OutgoingMessage:
        meetings, owners, overdue = self.meeting_lines(), self.owner_lines(), self.overdue_lines()
        minutes, decisions = self.minutes_lines(), self.decision_lines()
        week = slack_day(self.monday, self.tz)
        blocks = [bk.section(self.piece("title", week=week))]
        if not (meetings or owners or minutes or decisions):
            blocks.append(bk.section(self.piece("quiet")))
        else:
            head = self.piece("meetings")
            blocks.append(
                bk.section(
                    self.lines(meetings, head, MAX_MEETINGS)
                    if meetings
                    else f"{head}\n{self.piece('no_meetings')}"
                )
            )
            for lines, head, most in (
                (owners, self.piece("actions", count=len(self.open_actions)), MAX_OWNERS),
                (overdue, self.piece("overdue", count=len(overdue)), MAX_OVERDUE),
                (minutes, self.piece("minutes"), MAX_MINUTES),
                (decisions, self.piece("decisions"), MAX_DECISIONS),
            ):
                if lines:
                    blocks.append(bk.section(self.lines(lines, head, most)))
        blocks.append(bk.context(health_line(self.locale, self.health)))
        return OutgoingMessage(
            text=bk.fallback(self.piece("text", week=week)), blocks=bk.finish(blocks, locale=self.locale)
        )

    def lines(self, lines: list[str], head: str, most: int) -> str:
        return bk.fit_lines(lines, locale=self.locale, head=head, max_items=most)

    def meeting_lines(self) -> list[str]:
        """This week's meetings (the series, with moves and cancellations), agenda and deck state."""
        tz = ZoneInfo(self.tz)
        week_start = datetime.combine(self.monday, datetime.min.time(), tz)
        week_end = datetime.combine(self.monday + timedelta(days=7), datetime.min.time(), tz)
        stored = {m.series_start.astimezone(UTC): m for m in self.rows.meetings}
        try:
            week = occurrences(self.committee, self.workspace, week_start, week_end, self.rows.meetings)
        except ValueError:
            # A cadence this version cannot read (config import refuses them): the stored meetings
            # still give the week; one committee's bad setting must not cost every channel its digest.
            week = [
                Occurrence(
                    self.committee.key, m.series_start, m.start.astimezone(tz), m.end.astimezone(tz), m.status
                )
                for m in self.rows.meetings
                if week_start <= m.start < week_end
            ]
        lines = []
        for occurrence in week:
            row = stored.get(occurrence.series_start.astimezone(UTC))
            when = self.when(occurrence.start)
            if occurrence.status == MeetingStatus.cancelled.value:
                lines.append(self.piece("meeting_line", when=when, cancelled=True))
                continue
            deck_due = meeting_deadlines(
                self.committee, occurrence.start, occurrence.end, self.scope.calendar, self.scope.rules
            ).deck_due
            if row is not None and row.deck_shared_at is not None:
                deck = "shared"
            elif deck_due <= self.now:
                deck = "missing"
            else:
                deck = "due"
            lines.append(
                self.piece(
                    "meeting_line",
                    when=when,
                    cancelled=False,
                    topics=self.rows.topics.get(row.id, 0) if row is not None else 0,
                    deck=deck,
                    deck_link=link(row.deck_link, bk.label(self.locale, "open_link"))
                    if row is not None
                    else None,
                    deck_due=self.when(deck_due),
                )
            )
        return lines

    def owner_lines(self) -> list[str]:
        """One line per owner, the owner with the earliest due date first."""
        by_owner: dict[str, list[Any]] = {}
        for action in self.open_actions:  # already by due date
            by_owner.setdefault(action.owner, []).append(action)
        lines = []
        for owner, items in by_owner.items():
            shown = [
                self.piece("item", public_id=f"A{a.id}", title=limits.clip(a.title, 80))
                for a in items[:MAX_ITEMS_PER_OWNER]
            ]
            if len(items) > MAX_ITEMS_PER_OWNER:
                shown.append(f"_{bk.more(self.locale, len(items) - MAX_ITEMS_PER_OWNER)}_")
            overdue = sum(1 for a in items if a.due < self.today)
            lines.append(
                self.piece(
                    "owner_line", owner=owner, count=len(items), overdue=overdue, items=", ".join(shown)
                )
            )
        return lines

    def overdue_lines(self) -> list[str]:
        return [
            self.piece(
                "overdue_line",
                public_id=f"A{a.id}",
                title=limits.clip(a.title, 200),
                owner=a.owner,
                due=slack_day(a.due, self.tz),
                days=(self.today - a.due).days,
            )
            for a in self.open_actions
            if a.due < self.today
        ]

    def minutes_lines(self) -> list[str]:
        """Meetings of the last weeks whose minutes are not posted: due, late or awaiting approval."""
        approval = requires_approval(self.committee)
        lines = []
        for meeting in self.rows.meetings:
            if meeting.status == MeetingStatus.cancelled.value or meeting.end > self.now:
                continue
            if meeting.start < self.now - MINUTES_LOOKBACK:
                continue
            due = meeting_deadlines(
                self.committee, meeting.start, meeting.end, self.scope.calendar, self.scope.rules
            ).minutes_due
            status = state.minutes_status(meeting, self.now, due=due, approval=approval)
            if status not in ("due", "late", "awaiting_approval"):
                continue
            holder = self.committee.chair if status == "awaiting_approval" else self.committee.secretary
            late = bk.span(self.locale, self.now - due) if status == "late" else ""
            lines.append(
                self.piece(
                    "minutes_line",
                    when=self.when(meeting.start),
                    status=status,
                    holder=holder,
                    late=late,
                    due=self.when(due),
                )
            )
        return lines

    def decision_lines(self) -> list[str]:
        """Decisions recorded in the previous calendar week (committee zone): each digest shows a
        decision exactly once, also when a holiday moves the digest to Tuesday or it is caught up late."""
        tz = ZoneInfo(self.tz)
        week_start = datetime.combine(self.monday, datetime.min.time(), tz)
        since = datetime.combine(self.monday - timedelta(days=7), datetime.min.time(), tz)
        return [
            self.piece("decision_line", text=limits.clip(text, 500), when=self.when(start))
            for text, start, recorded in self.rows.decisions
            if since <= recorded < week_start
        ]
