"""The meeting sections of the App Home (SPEC §7), computed from the calendar rather than from the
meeting rows the dispatcher happens to have written: my next meetings (each of my committees' next
one at least, however far ahead: a semi-annual committee included, before the first tick too), the
decks I owe with their Mark deck shared button, and, for chairs, the minutes waiting for my approval
with their Approve and Request changes buttons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock
from sqlmodel import Session, col, select

from bot.core.calendar import Occurrence, business_calendar
from bot.core.rules import requires_approval
from bot.core.timeline import meeting_deadlines
from bot.meetings import minutes_versions, state
from bot.slack import blocks as bk
from bot.slack import ids
from bot.slack.limits import MAX_SECTION_TEXT
from bot.slack.view_kit import plain
from bot.text.render import render, slack_date
from storage.committees import get_or_create_meeting, get_workspace
from storage.models import Committee, Meeting, MeetingStatus

# How far ahead decks are shown as owed, and how many lines each section shows at most.
DECKS_LOOKAHEAD = timedelta(days=21)
MAX_DECKS = 5
MAX_APPROVALS = 5
MAX_MEETINGS = 8
PER_COMMITTEE = 3


@dataclass(frozen=True)
class Upcoming:
    committee: Committee
    occurrence: Occurrence


def next_meetings(session: Session, *, committees: list[Committee], now: datetime) -> list[Upcoming]:
    """The next meetings of ``committees`` from their calendars: each committee's next one, then the
    soonest others, at most ``MAX_MEETINGS``, by start."""
    workspace = get_workspace(session)
    per: list[list[Upcoming]] = []
    for committee in committees:
        found = state.upcoming_occurrences(
            session, committee=committee, workspace=workspace, now=now, limit=PER_COMMITTEE
        )
        per.append([Upcoming(committee, o) for o in found])
    firsts = [found[0] for found in per if found]
    others = sorted((u for found in per for u in found[1:]), key=lambda u: u.occurrence.start)
    chosen = firsts + others[: max(0, MAX_MEETINGS - len(firsts))]
    return sorted(chosen, key=lambda u: (u.occurrence.start, u.committee.id or 0))


def meeting_lines(upcoming: list[Upcoming], *, locale: str | None) -> list[str]:
    return [
        render(locale, "home_line", kind="meeting", meeting=u.occurrence, committee=u.committee, due=None)
        for u in upcoming
    ]


def decks_owed(
    session: Session, *, user_id: str, committees: list[Committee], now: datetime
) -> list[tuple[Meeting, Committee, datetime]]:
    """The meetings of the next three weeks whose deck ``user_id`` (their deck owner) has not shared,
    with the deck's due time; the meeting rows are created when missing (the button needs them)."""
    workspace = get_workspace(session)
    found = []
    for committee in committees:
        if committee.deck_owner != user_id:
            continue
        calendar = business_calendar(committee, workspace)
        for occurrence in state.upcoming_occurrences(
            session, committee=committee, workspace=workspace, now=now, limit=PER_COMMITTEE
        ):
            if occurrence.start > now + DECKS_LOOKAHEAD:
                break
            meeting = get_or_create_meeting(session, committee=committee, occurrence=occurrence, now=now)
            if meeting.deck_shared_at is None:
                due = meeting_deadlines(committee, occurrence.start, occurrence.end, calendar).deck_due
                found.append((meeting, committee, due))
    return sorted(found, key=lambda row: row[0].start)[:MAX_DECKS]


def decks_blocks(rows: list[tuple[Meeting, Committee, datetime]], *, locale: str | None) -> list[Block]:
    """The decks section: a heading, then one line per deck with its Mark deck shared button."""
    if not rows:
        return [SectionBlock(text=bk.piece(locale, "home_meetings", "decks_empty"))]
    result: list[Block] = [SectionBlock(text=bk.piece(locale, "home_meetings", "decks_heading"))]
    for meeting, committee, due in rows:
        line = render(locale, "home_line", kind="deck", meeting=meeting, committee=committee, due=due)
        result.append(
            SectionBlock(
                text=bk.clip(line, MAX_SECTION_TEXT),
                accessory=ButtonElement(
                    action_id=ids.BTN_DECK_SHARED,
                    text=plain(bk.label(locale, "btn_deck_shared")),
                    value=bk.meeting_value(meeting.id),  # type: ignore[arg-type]
                    style="primary",
                ),
            )
        )
    return result


def approvals_waiting(
    session: Session, *, user_id: str, committees: list[Committee], now: datetime
) -> list[tuple[Meeting, Committee, int | None]]:
    """Minutes submitted and waiting for ``user_id``'s approval (the chair), with their version."""
    chaired = {c.id: c for c in committees if c.chair == user_id and requires_approval(c)}
    if not chaired:
        return []
    rows = session.exec(
        select(Meeting)
        .where(
            col(Meeting.committee_id).in_(list(chaired)),
            col(Meeting.minutes_submitted_at).is_not(None),
            col(Meeting.minutes_approved_at).is_(None),
            col(Meeting.minutes_posted_at).is_(None),
            Meeting.status != MeetingStatus.cancelled.value,
        )
        .order_by(col(Meeting.start))
        .limit(MAX_APPROVALS)
    ).all()
    result = []
    for meeting in rows:
        version = minutes_versions.latest(session, meeting_id=meeting.id)  # type: ignore[arg-type]
        result.append((meeting, chaired[meeting.committee_id], version.number if version else None))
    return result


def approvals_blocks(rows: list[tuple[Meeting, Committee, int | None]], *, locale: str | None) -> list[Block]:
    """Minutes waiting for my approval: one line each (committee, meeting, who submitted) and the
    Approve and Request changes buttons of that version. Nothing when none waits."""
    if not rows:
        return []
    result: list[Block] = [SectionBlock(text=bk.piece(locale, "home_meetings", "approvals_heading"))]
    for meeting, committee, version in rows:
        line = bk.piece(
            locale, "home_meetings", "approval_line", name=committee.name,
            when=slack_date(meeting.start, fallback_tz=committee.timezone),
            by=meeting.minutes_submitted_by or committee.secretary,
            at=slack_date(meeting.minutes_submitted_at, fallback_tz=committee.timezone) if meeting.minutes_submitted_at else "",
            version=version or 1,
        )  # fmt: skip
        value = bk.meeting_value(meeting.id, version)  # type: ignore[arg-type]
        result.append(SectionBlock(text=bk.clip(line, MAX_SECTION_TEXT)))
        result.append(
            ActionsBlock(
                block_id=f"approve_{meeting.id}",
                elements=[
                    ButtonElement(
                        action_id=ids.BTN_MINUTES_APPROVE,
                        text=plain(bk.label(locale, "btn_approve")),
                        value=value,
                        style="primary",
                    ),
                    ButtonElement(
                        action_id=ids.BTN_MINUTES_CHANGES,
                        text=plain(bk.label(locale, "btn_changes")),
                        value=value,
                    ),
                ],
            )
        )
    return result


def committee_names(session: Session, committee_ids: set[int]) -> dict[int, str]:
    if not committee_ids:
        return {}
    rows = session.exec(select(Committee).where(col(Committee.id).in_(list(committee_ids)))).all()
    return {c.id: c.name for c in rows if c.id is not None}


__all__ = [
    "approvals_blocks",
    "approvals_waiting",
    "committee_names",
    "decks_blocks",
    "decks_owed",
    "meeting_lines",
    "next_meetings",
]
