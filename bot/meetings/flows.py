"""Flows on one meeting: agenda topics, deck, minutes, approval, move, cancel (SPEC §3, §4, §7).

Every flow takes a ``Session`` and keyword-only plain values (``now`` included, aware), checks
everything first and raises a typed domain error (``InvalidInput``, ``PermissionDenied``,
``NotFound``) before changing anything, then records the change and calls ``after_meeting_change``,
the one place where the meeting's notification plan is redone. Once the change is committed, the
caller runs ``refresh_messages`` (next to it) to edit the bot's earlier messages about the meeting.

Event-driven messages (minutes to approve, minutes posted, meeting moved or cancelled, changes
requested) are Notification rows due at once, which the dispatcher sends like every other one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.action_items.flows import create_action
from bot.core import bounds
from bot.core.calendar import zone
from bot.core.rules import requires_approval
from bot.meetings.checks import check_awaiting, check_chair, check_deck, check_minutes_open, check_open
from bot.meetings.input import (
    TEXT_MAX,
    action_line_error,
    check_decisions,
    check_duration,
    check_length,
    check_link,
    check_summary,
    check_text,
    check_title,
    check_user,
    check_users,
    collect,
    parse_action_lines,
)
from bot.meetings.state import MinutesResult, get_meeting, local_label, meeting_key, stored_occurrences
from bot.planning import outbox
from bot.text.errors import InvalidInput, Msg, NotFound
from storage import meetings as store
from storage.committees import get_workspace
from storage.models import (
    AgendaItem,
    Committee,
    Decision,
    Meeting,
    MeetingStatus,
)

log = logging.getLogger(__name__)


# Kinds of the event-driven notifications these flows insert (the notices module renders them).
KIND_MINUTES_APPROVAL = "minutes_approval"
KIND_MINUTES_POSTED = "minutes_posted"
KIND_MINUTES_CHANGES = "minutes_changes_requested"
KIND_MEETING_MOVED = "meeting_moved"
KIND_MEETING_CANCELLED = "meeting_cancelled"
EVENT_KINDS = (
    KIND_MINUTES_APPROVAL,
    KIND_MINUTES_POSTED,
    KIND_MINUTES_CHANGES,
    KIND_MEETING_MOVED,
    KIND_MEETING_CANCELLED,
)


# ---------------------------------------------------------------------------------------------
# The one hook after every change


def after_meeting_change(session: Session, *, meeting_id: int, now: datetime) -> None:
    """Re-plan a meeting's notifications, in the same transaction as the change.

    Called by every flow below once its change is recorded (topic added, deck shared, minutes
    submitted or approved, changes requested, meeting moved or cancelled). The messages already
    posted are edited afterwards by ``refresh_messages``, once the change is committed.
    """
    session.flush()
    outbox.replan_meeting(session, meeting_id=meeting_id, now=now)


# ---------------------------------------------------------------------------------------------
# Locking a meeting for a change


def _locked(session: Session, meeting_id: int) -> tuple[Meeting, Committee]:
    meeting = store.lock_meeting(session, meeting_id=meeting_id)
    if meeting is None:
        raise NotFound(key="meeting_not_found", meeting=meeting_id)
    committee = session.get(Committee, meeting.committee_id)
    assert committee is not None
    return meeting, committee


# ---------------------------------------------------------------------------------------------
# Agenda


def add_topic(
    session: Session,
    *,
    meeting_id: int,
    title: str,
    presenter: str | None = None,
    duration: int | str | None = None,
    notes: str | None = None,
    link: str | None = None,
    proposer: str,
    now: datetime,
) -> AgendaItem:
    """Propose a topic for a meeting's agenda; anyone may.

    Refused for a cancelled meeting or one that has started. ``title`` 1..3000 characters without
    @channel/@here; ``duration`` 1..240 minutes when given; ``link`` a full http(s) address.
    """
    meeting, committee = get_meeting(session, meeting_id=meeting_id)
    locale = committee.locale
    check_open(meeting, committee, now, "what_add_topic")
    problems: list[InvalidInput] = []
    clean_title = collect(problems, check_title, title, locale)
    clean_presenter = collect(problems, check_user, presenter, locale, "presenter")
    clean_duration = collect(problems, check_duration, duration, locale)
    clean_notes = collect(problems, check_text, notes, locale, "notes")
    clean_link = collect(problems, check_link, link, locale, "link")
    if problems:
        raise InvalidInput.combine(problems)
    item = AgendaItem(
        meeting_id=meeting.id,  # type: ignore[arg-type]
        title=clean_title,
        presenter=clean_presenter,
        duration=clean_duration,
        notes=clean_notes,
        link=clean_link,
        proposer=proposer,
        created_at=now,
    )
    session.add(item)
    meeting.updated_at = now
    session.add(meeting)
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return item


# ---------------------------------------------------------------------------------------------
# Deck


def mark_deck_shared(
    session: Session, *, meeting_id: int, link: str | None, actor: str, now: datetime
) -> Meeting:
    """Record that the support deck is shared (deck owner, chair or admin).

    The first sharing time is kept (it decides whether the deck was on time); sharing again only
    updates the link.
    """
    meeting, committee = get_meeting(session, meeting_id=meeting_id)
    check_deck(session, meeting, committee, actor)
    clean_link = check_link(link, committee.locale, "link")
    if meeting.deck_shared_at is None:
        meeting.deck_shared_at = now
    if clean_link:
        meeting.deck_link = clean_link
    meeting.updated_at = now
    session.add(meeting)
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


# ---------------------------------------------------------------------------------------------
# Minutes


def submit_minutes(
    session: Session,
    *,
    meeting_id: int,
    summary: str,
    decisions: list[str] | None = None,
    action_lines: list[str] | None = None,
    attendees: list[str] | None = None,
    link: str | None = None,
    actor: str,
    now: datetime,
) -> MinutesResult:
    """Record a meeting's minutes, its decisions and the action items they create.

    Secretary, chair or admin. All or nothing: every action line ``<@U…> task by date`` is read
    first, and one that cannot be read raises ``InvalidInput`` naming its line number. Minutes
    submitted again (after the chair asked for changes) replace the decisions; actions already
    created stay. When the committee requires approval the chair gets a ``minutes_approval`` DM;
    otherwise a ``minutes_posted`` message goes to the channel at once.
    """
    meeting, committee = _locked(session, meeting_id)
    locale = committee.locale
    check_minutes_open(session, meeting, committee, actor, now)
    approval = requires_approval(committee)

    problems: list[InvalidInput] = []
    clean_summary = collect(problems, check_summary, summary, locale)
    clean_decisions = collect(problems, check_decisions, decisions or [], locale)
    drafts = collect(problems, parse_action_lines, action_lines or [], committee, now)
    clean_attendees = collect(problems, check_users, attendees or [], locale, "attendees")
    clean_link = collect(problems, check_link, link, locale, "link")
    if problems:
        raise InvalidInput.combine(problems)

    created: list[str] = []
    # A savepoint: should the action flow refuse a line after all (a deactivated owner), no
    # decision nor action is left behind, whatever the caller does with the session.
    with session.begin_nested():
        store.delete_decisions(session, meeting_id=meeting_id)
        for text in clean_decisions:
            session.add(Decision(meeting_id=meeting_id, text=text, recorded_by=actor, recorded_at=now))
        refused: list[InvalidInput] = []
        today = now.astimezone(zone(committee.timezone)).date()
        for number, draft in drafts:
            try:
                action = create_action(
                    session,
                    title=draft.title,
                    owner=draft.owner,
                    creator=actor,
                    due=draft.due,
                    priority=draft.priority,
                    committee_id=committee.id,
                    meeting_id=meeting_id,
                    now=now,
                    today=today,
                )
            except InvalidInput as error:
                refused.append(action_line_error(number, error, locale))
                continue
            created.append(action.public_id)
        if refused:
            raise InvalidInput.combine(refused)

    meeting.minutes_text = clean_summary
    meeting.minutes_link = clean_link
    meeting.minutes_attendees = clean_attendees
    meeting.minutes_submitted_at = now
    meeting.minutes_submitted_by = actor
    if meeting.status in (MeetingStatus.scheduled.value, MeetingStatus.moved.value):
        meeting.status = MeetingStatus.held.value
    meeting.updated_at = now
    session.add(meeting)
    if approval:
        _notify(
            session,
            committee=committee,
            meeting=meeting,
            kind=KIND_MINUTES_APPROVAL,
            to=committee.chair,
            now=now,
            submitted_by=actor,
        )
    else:
        _notify(
            session,
            committee=committee,
            meeting=meeting,
            kind=KIND_MINUTES_POSTED,
            to=committee.channel,
            now=now,
            submitted_by=actor,
        )
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return MinutesResult(
        meeting_id=meeting_id, decisions=clean_decisions, actions=created, awaiting_approval=approval
    )


def approve_minutes(session: Session, *, meeting_id: int, actor: str, now: datetime) -> Meeting:
    """The chair (or an admin) approves submitted minutes; they are then posted in the channel."""
    meeting, committee = _locked(session, meeting_id)
    check_chair(session, committee, actor, "what_approve")
    check_awaiting(meeting, committee)
    meeting.minutes_approved_at = now
    meeting.updated_at = now
    session.add(meeting)
    _notify(
        session,
        committee=committee,
        meeting=meeting,
        kind=KIND_MINUTES_POSTED,
        to=committee.channel,
        now=now,
        submitted_by=meeting.minutes_submitted_by,
        approved_by=actor,
    )
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


def request_minutes_changes(
    session: Session, *, meeting_id: int, comment: str, actor: str, now: datetime
) -> Meeting:
    """The chair sends submitted minutes back to the secretary with a comment.

    The minutes count as not submitted again (so the chase resumes); their text, link and attendees
    are kept so that the form opens pre-filled.
    """
    meeting, committee = _locked(session, meeting_id)
    check_chair(session, committee, actor, "what_request_changes")
    check_awaiting(meeting, committee)
    clean_comment = (comment or "").strip()
    if not clean_comment:
        raise InvalidInput(key="comment_empty", locale=committee.locale, field="comment")
    check_length(clean_comment, TEXT_MAX, committee.locale, "comment")
    bounds.check_no_nul(clean_comment, field="comment", locale=committee.locale)
    secretary = meeting.minutes_submitted_by or committee.secretary
    meeting.minutes_submitted_at = None
    meeting.minutes_submitted_by = None
    meeting.updated_at = now
    session.add(meeting)
    _notify(
        session,
        committee=committee,
        meeting=meeting,
        kind=KIND_MINUTES_CHANGES,
        to=secretary,
        now=now,
        comment=clean_comment,
        by=actor,
    )
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


# ---------------------------------------------------------------------------------------------
# Move, cancel


def move_meeting(
    session: Session, *, meeting_id: int, new_start: datetime, actor: str, now: datetime
) -> Meeting:
    """Move one occurrence (chair or admin) to ``new_start`` (aware), keeping its duration.

    The series is untouched: the row keeps its ``series_start``, so its notifications follow.
    """
    if new_start.tzinfo is None:
        raise ValueError("new_start must be an aware datetime")
    meeting, committee = _locked(session, meeting_id)
    check_chair(session, committee, actor, "what_move_meeting")
    check_open(meeting, committee, now, "what_move")
    if new_start <= now:
        raise InvalidInput(
            key="move_in_past", locale=committee.locale, field="when", when=local_label(new_start, committee)
        )
    today = now.astimezone(zone(committee.timezone)).date()
    bounds.check_planning_date(
        new_start.astimezone(zone(committee.timezone)).date(), today, field="when", locale=committee.locale
    )
    if new_start == meeting.start:
        raise InvalidInput(
            key="move_same_time",
            locale=committee.locale,
            field="when",
            when=local_label(new_start, committee),
        )
    _check_free(session, committee, meeting, new_start, new_start + (meeting.end - meeting.start))
    old_start = meeting.start
    duration = meeting.end - meeting.start
    meeting.start = new_start.astimezone(UTC)
    meeting.end = meeting.start + duration
    meeting.status = MeetingStatus.moved.value
    meeting.updated_at = now
    session.add(meeting)
    _notify(
        session,
        committee=committee,
        meeting=meeting,
        kind=KIND_MEETING_MOVED,
        to=committee.channel,
        now=now,
        by=actor,
        old_start=old_start.astimezone(UTC).isoformat(),
        start=meeting.start.isoformat(),
    )
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


def _check_free(
    session: Session, committee: Committee, meeting: Meeting, start: datetime, end: datetime
) -> None:
    """Refuse a move onto another (not cancelled) meeting of the same committee: two meetings at once
    would each get their own agenda, deck and minutes chases."""
    workspace = get_workspace(session)
    for other in stored_occurrences(
        session,
        committee=committee,
        workspace=workspace,
        start=start - timedelta(days=1),
        end=end + timedelta(days=1),
    ):
        if (
            other.series_start.astimezone(UTC) == meeting.series_start.astimezone(UTC)
            or other.status == MeetingStatus.cancelled.value
        ):
            continue
        if other.start < end and start < other.end:
            raise InvalidInput(
                key="move_overlaps",
                locale=committee.locale,
                field="when",
                when=local_label(start, committee),
                other=local_label(other.start, committee),
            )


def cancel_meeting(
    session: Session, *, meeting_id: int, actor: str, now: datetime, reason: str | None = None
) -> Meeting:
    """Cancel one occurrence (chair or admin); nothing more is sent about it but the notice."""
    meeting, committee = _locked(session, meeting_id)
    check_chair(session, committee, actor, "what_cancel_meeting")
    when = local_label(meeting.start, committee)
    if meeting.status == MeetingStatus.cancelled.value:
        raise InvalidInput(key="meeting_already_cancelled", locale=committee.locale, when=when)
    if now >= meeting.start:
        raise InvalidInput(key="meeting_started", locale=committee.locale, when=when, what=Msg("what_cancel"))
    clean_reason = check_text(reason, committee.locale, "reason")
    meeting.status = MeetingStatus.cancelled.value
    meeting.updated_at = now
    session.add(meeting)
    _notify(
        session,
        committee=committee,
        meeting=meeting,
        kind=KIND_MEETING_CANCELLED,
        to=committee.channel,
        now=now,
        by=actor,
        start=meeting.start.astimezone(UTC).isoformat(),
        reason=clean_reason,
    )
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


# ---------------------------------------------------------------------------------------------
# Notifications and labels


def _notify(
    session: Session,
    *,
    committee: Committee,
    meeting: Meeting,
    kind: str,
    to: str,
    now: datetime,
    **data: Any,
) -> str:
    """Queue an event notification due now through the dispatcher's outbox; returns its key.

    Keys are numbered per meeting and kind (the 2nd approval request is ``…:minutes_approval:2``).
    """
    number = store.count_notifications(session, meeting_id=meeting.id, kind=kind) + 1  # type: ignore[arg-type]
    key = f"{meeting_key(committee, meeting)}:{kind}:{number}"
    outbox.enqueue(
        session,
        kind=kind,
        to=to,
        key=key,
        now=now,
        committee_id=committee.id,
        meeting_id=meeting.id,
        data={k: v for k, v in data.items() if v is not None},
    )
    return key
