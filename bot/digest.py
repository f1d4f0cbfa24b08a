"""The weekly digest (SPEC §6), posted in each committee's channel on the first business day of the week.

It shows this week's meetings with their agenda and deck state, the open actions grouped by owner,
the overdue ones, the minutes still outstanding, the decisions of the past week and the governance
health. Only the committee's own items: a digest never shows another channel's. A quiet week still
gets a short digest that says so.

``weekly_digests`` builds the digests of many committees from a handful of bulk queries (thousands
of channels share one Monday 09:00); ``weekly_digest`` is the one-committee case.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot import blocks as bk
from bot.calendar import business_calendar, occurrences
from bot.health import Health, Rate, health_by_committee, meeting_deadlines, workspace_settings
from bot.meetings import minutes_status
from bot.notices import OutgoingMessage, link
from bot.render import normalize_locale, slack_date, slack_day
from bot.timeline import requires_approval, rules_for
from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    AgendaItem,
    Committee,
    Decision,
    Meeting,
    MeetingStatus,
    WorkspaceSettings,
)

TEMPLATE = "digest_weekly"
HEALTH_WEEKS = 12
# How far back unposted minutes are still chased in the digest (the health window).
MINUTES_LOOKBACK = timedelta(weeks=HEALTH_WEEKS)
MAX_MEETINGS = 10
MAX_OWNERS = 15
MAX_ITEMS_PER_OWNER = 5
MAX_OVERDUE = 15
MAX_MINUTES = 10
MAX_DECISIONS = 15
_CHUNK = 500  # ids per IN (...) clause


@dataclass
class _CommitteeData:
    """What one committee's digest shows, gathered by the bulk queries."""

    meetings: list[Meeting] = field(default_factory=list)  # stored rows near the week and the lookback
    actions: list[ActionItem] = field(default_factory=list)  # open, by due date
    decisions: list[tuple[Decision, datetime]] = field(default_factory=list)  # with their meeting's start
    topics: dict[int, int] = field(default_factory=dict)  # meeting id -> proposed topics


def weekly_digest(session: Session, *, committee: Committee, now: datetime) -> OutgoingMessage:
    """The digest of one committee's channel for the week of ``now`` (committee zone)."""
    assert committee.id is not None
    return weekly_digests(session, committees=[committee], now=now)[committee.id]


def weekly_digests(session: Session, *, committees: Sequence[Committee], now: datetime) -> dict[int, OutgoingMessage]:
    """The digests of many committees at once, by committee id: a fixed number of queries for all."""
    committees = [c for c in committees if c.id is not None]
    ids = sorted({c.id for c in committees})  # type: ignore[misc]
    if not ids:
        return {}
    workspace = workspace_settings(session)
    data = _gather(session, ids, now)
    health = health_by_committee(session, committee_ids=ids, now=now, weeks=HEALTH_WEEKS)
    return {
        c.id: _render(c, workspace, data[c.id], health[c.id], now)  # type: ignore[index]
        for c in committees
    }


# -- Bulk reads ----------------------------------------------------------------------------------


def _gather(session: Session, ids: list[int], now: datetime) -> dict[int, _CommitteeData]:
    data: dict[int, _CommitteeData] = defaultdict(_CommitteeData)
    # Wide enough for every zone's "this week" (UTC-12 … UTC+14) and the minutes lookback.
    since, until = now - MINUTES_LOOKBACK - timedelta(days=1), now + timedelta(days=9)
    for chunk in _chunks(ids):
        meetings = session.exec(
            select(Meeting)
            .where(col(Meeting.committee_id).in_(chunk))
            .where(
                sa.or_(
                    sa.and_(col(Meeting.start) >= since, col(Meeting.start) < until),
                    sa.and_(col(Meeting.series_start) >= since, col(Meeting.series_start) < until),
                )
            )
            .order_by(col(Meeting.start))
        ).all()
        for meeting in meetings:
            data[meeting.committee_id].meetings.append(meeting)

        actions = session.exec(
            select(ActionItem)
            .where(col(ActionItem.status).in_(OPEN_ACTION_STATUSES), col(ActionItem.committee_id).in_(chunk))
            .order_by(col(ActionItem.due), col(ActionItem.id))
        ).all()
        for action in actions:
            data[action.committee_id].actions.append(action)  # type: ignore[index]

        decisions = session.exec(
            select(Decision, Meeting.committee_id, Meeting.start)
            .join(Meeting, col(Meeting.id) == col(Decision.meeting_id))
            .where(col(Meeting.committee_id).in_(chunk))
            .where(col(Decision.recorded_at) >= now - timedelta(days=7), col(Decision.recorded_at) < now)
            .order_by(col(Decision.recorded_at), col(Decision.id))
        ).all()
        for decision, committee_id, start in decisions:
            data[committee_id].decisions.append((decision, start))

    # Topic counts of the meetings that can fall in this week, whatever the zone.
    recent = {m.id: m.committee_id for d in data.values() for m in d.meetings if m.start >= now - timedelta(days=8)}
    for chunk in _chunks(sorted(recent)):  # type: ignore[arg-type]
        counts = session.exec(
            select(AgendaItem.meeting_id, sa.func.count())
            .where(col(AgendaItem.meeting_id).in_(chunk))
            .group_by(col(AgendaItem.meeting_id))
        ).all()
        for meeting_id, count in counts:
            data[recent[meeting_id]].topics[meeting_id] = count
    return data


def _chunks(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]


# -- One digest ----------------------------------------------------------------------------------


def _render(committee: Committee, workspace: WorkspaceSettings, d: _CommitteeData, health: Health, now: datetime) -> OutgoingMessage:
    locale = normalize_locale(committee.locale)
    tz_name = committee.timezone
    tz = ZoneInfo(tz_name)
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    calendar = business_calendar(committee, workspace)
    rules = rules_for(committee)

    def piece(block: str, **values: Any) -> str:
        return bk.piece(locale, TEMPLATE, block, name=committee.name, **values)

    def when(moment: datetime) -> str:
        return slack_date(moment, fallback_tz=tz_name)

    meeting_lines = _meeting_lines(committee, workspace, d, calendar, rules, monday, now, piece, when, locale)
    owner_lines = _owner_lines(d.actions, today, piece, locale)
    overdue = [a for a in d.actions if a.due < today]
    overdue_lines = [
        piece("overdue_line", public_id=a.public_id, title=bk.clip(a.title, 200), owner=a.owner,
              due=slack_day(a.due, tz_name), days=(today - a.due).days)
        for a in overdue
    ]  # fmt: skip
    minutes_lines = _minutes_lines(committee, d, calendar, rules, now, piece, when)
    decision_lines = [piece("decision_line", text=bk.clip(decision.text, 500), when=when(start)) for decision, start in d.decisions]

    week = slack_day(monday, tz_name)
    blocks = [bk.section(piece("title", week=week))]
    quiet = not (meeting_lines or owner_lines or minutes_lines or decision_lines)
    if quiet:
        blocks.append(bk.section(piece("quiet")))
    else:
        head = piece("meetings")
        blocks.append(
            bk.section(bk.fit_lines(meeting_lines, locale=locale, head=head, max_items=MAX_MEETINGS))
            if meeting_lines
            else bk.section(f"{head}\n{piece('no_meetings')}")
        )
        if owner_lines:
            head = piece("actions", count=len(d.actions))
            blocks.append(bk.section(bk.fit_lines(owner_lines, locale=locale, head=head, max_items=MAX_OWNERS)))
        if overdue_lines:
            head = piece("overdue", count=len(overdue))
            blocks.append(bk.section(bk.fit_lines(overdue_lines, locale=locale, head=head, max_items=MAX_OVERDUE)))
        if minutes_lines:
            blocks.append(bk.section(bk.fit_lines(minutes_lines, locale=locale, head=piece("minutes"), max_items=MAX_MINUTES)))
        if decision_lines:
            blocks.append(bk.section(bk.fit_lines(decision_lines, locale=locale, head=piece("decisions"), max_items=MAX_DECISIONS)))
    blocks.append(bk.context(health_line(locale, health)))
    text = piece("text", week=week)
    return OutgoingMessage(text=bk.fallback(text), blocks=bk.finish(blocks, locale=locale))


def health_line(locale: str, health: Health) -> str:
    """"Governance health (12 weeks) — minutes on time: 83% (5/6) · decks on time: — · …"."""

    def rate(r: Rate) -> str:
        return bk.piece(locale, TEMPLATE, "rate", percent=r.percent, on_time=r.on_time, total=r.total)

    return bk.piece(
        locale, TEMPLATE, "health", weeks=health.weeks, minutes=rate(health.minutes), decks=rate(health.decks), actions=rate(health.actions)
    )


def _meeting_lines(committee, workspace, d, calendar, rules, monday, now, piece, when, locale) -> list[str]:  # type: ignore[no-untyped-def]
    """This week's meetings (the series, with moves and cancellations), agenda and deck state."""
    tz = ZoneInfo(committee.timezone)
    week_start = datetime.combine(monday, datetime.min.time(), tz)
    week_end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tz)
    rows = {m.series_start.astimezone(UTC): m for m in d.meetings}
    lines = []
    for occurrence in occurrences(committee, workspace, week_start, week_end, d.meetings):
        row = rows.get(occurrence.series_start.astimezone(UTC))
        if occurrence.status == MeetingStatus.cancelled.value:
            lines.append(piece("meeting_line", when=when(occurrence.start), cancelled=True))
            continue
        deck_due = meeting_deadlines(committee, occurrence, calendar, rules).deck_due
        if row is not None and row.deck_shared_at is not None:
            deck = "shared"
        elif deck_due <= now:
            deck = "missing"
        else:
            deck = "due"
        lines.append(
            piece(
                "meeting_line",
                when=when(occurrence.start),
                cancelled=False,
                topics=d.topics.get(row.id, 0) if row is not None else 0,  # type: ignore[arg-type]
                deck=deck,
                deck_link=link(row.deck_link, bk.label(locale, "open_link")) if row is not None else None,
                deck_due=when(deck_due),
            )
        )
    return lines


def _owner_lines(actions: list[ActionItem], today: date, piece, locale: str) -> list[str]:  # type: ignore[no-untyped-def]
    """One line per owner, the owner with the earliest due date first."""
    by_owner: dict[str, list[ActionItem]] = {}
    for action in actions:  # already by due date
        by_owner.setdefault(action.owner, []).append(action)
    lines = []
    for owner, items in by_owner.items():
        shown = [piece("item", public_id=a.public_id, title=bk.clip(a.title, 80)) for a in items[:MAX_ITEMS_PER_OWNER]]
        if len(items) > MAX_ITEMS_PER_OWNER:
            shown.append(f"_{bk.more(locale, len(items) - MAX_ITEMS_PER_OWNER)}_")
        overdue = sum(1 for a in items if a.due < today)
        lines.append(piece("owner_line", owner=owner, count=len(items), overdue=overdue, items=", ".join(shown)))
    return lines


def _minutes_lines(committee, d, calendar, rules, now, piece, when) -> list[str]:  # type: ignore[no-untyped-def]
    """Meetings of the last weeks whose minutes are not posted yet: due, late or awaiting approval."""
    approval = requires_approval(committee)
    lines = []
    for meeting in d.meetings:
        if meeting.status == MeetingStatus.cancelled.value or meeting.end > now or meeting.start < now - MINUTES_LOOKBACK:
            continue
        due = meeting_deadlines(committee, meeting, calendar, rules).minutes_due
        status = minutes_status(meeting, now, due=due, approval=approval)
        if status not in ("due", "late", "awaiting_approval"):
            continue
        holder = committee.chair if status == "awaiting_approval" else committee.secretary
        late = bk.label(committee.locale, "span", **_span(now - due)) if status == "late" else ""
        lines.append(piece("minutes_line", when=when(meeting.start), status=status, holder=holder, late=late, due=when(due)))
    return lines


def _span(delta: timedelta) -> dict[str, int]:
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    return {"days": days, "hours": rest // 60, "minutes": rest % 60 if not days else 0}
