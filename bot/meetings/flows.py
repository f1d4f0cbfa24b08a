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

from sqlmodel import Session

from bot.core import bounds, kinds
from bot.core.calendar import zone
from bot.core.rules import requires_approval
from bot.meetings import event_notices, minutes_versions
from bot.meetings.checks import (
    check_awaiting,
    check_chair,
    check_deck,
    check_in_calendar,
    check_minutes_open,
    check_minutes_role,
    check_open,
    check_version,
)
from bot.meetings.input import (
    TEXT_MAX,
    check_duration,
    check_length,
    check_link,
    check_text,
    check_title,
    check_user,
    collect,
)
from bot.meetings.state import (
    MinutesResult,
    get_meeting,
    local_label,
    original_start,
    stored_occurrences,
)
from bot.planning import outbox
from bot.text.errors import InvalidInput, Msg, NotFound
from storage import meetings as store
from storage.committees import get_workspace
from storage.models import (
    AgendaItem,
    Committee,
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


def locked(session: Session, meeting_id: int) -> tuple[Meeting, Committee]:
    """The meeting, locked for the rest of the transaction, and its committee."""
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
    check_in_calendar(session, meeting, committee, now)
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
    check_in_calendar(session, meeting, committee, now)
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
    """Record a meeting's minutes, its decisions and the action items they create, as a new version.

    Secretary, chair or admin. All or nothing: every action line ``<@U…> task by date`` is read
    first, and one that cannot be read raises ``InvalidInput`` naming its line number. Minutes
    submitted again (after the chair asked for changes) are reconciled with the previous version
    (``bot.meetings.minutes_versions``: same line, same item; a removed line cancels its item). When
    the committee requires approval the chair gets a ``minutes_approval`` DM for this version (the
    request of an earlier version is then superseded); otherwise a ``minutes_posted`` message goes
    to the channel at once. Posted minutes are changed with ``amend_minutes``.
    """
    meeting, committee = locked(session, meeting_id)
    check_minutes_open(session, meeting, committee, actor, now)
    approval = requires_approval(committee)
    result = minutes_versions.record_minutes(
        session, meeting, committee, summary=summary, decisions=decisions, action_lines=action_lines,
        attendees=attendees, link=link, actor=actor, now=now, kind=minutes_versions.SUBMITTED,
    )  # fmt: skip
    meeting.minutes_submitted_at = now
    meeting.minutes_submitted_by = actor
    if meeting.status in (MeetingStatus.scheduled.value, MeetingStatus.moved.value):
        meeting.status = MeetingStatus.held.value
    session.add(meeting)
    if approval:
        event_notices.notify(
            session, committee=committee, meeting=meeting, kind=KIND_MINUTES_APPROVAL, to=committee.chair, now=now,
            submitted_by=actor, version=result.version,
        )  # fmt: skip
    else:
        event_notices.notify(
            session, committee=committee, meeting=meeting, kind=KIND_MINUTES_POSTED, to=committee.channel, now=now,
            submitted_by=actor,
        )  # fmt: skip
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return MinutesResult(
        meeting_id=meeting_id,
        decisions=result.decisions,
        actions=result.actions,
        awaiting_approval=approval,
        version=result.version,
    )


def amend_minutes(
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
    """Correct minutes already posted (secretary, chair or admin), as a new version.

    Decisions and action items are reconciled with the previous version, not created again; the
    earlier versions are kept; the posted message is edited (``refresh_messages``) and says who
    amended it and when. No new approval is asked: the chair may amend them too.
    """
    meeting, committee = locked(session, meeting_id)
    check_minutes_role(session, committee, actor)
    if meeting.minutes_posted_at is None:
        raise InvalidInput(
            key="minutes_not_posted", locale=committee.locale, when=local_label(meeting.start, committee)
        )
    result = minutes_versions.record_minutes(
        session, meeting, committee, summary=summary, decisions=decisions, action_lines=action_lines,
        attendees=attendees, link=link, actor=actor, now=now, kind=minutes_versions.AMENDED,
    )  # fmt: skip
    if meeting.minutes_ts:  # the amended document follows the earlier ones in the minutes' thread
        outbox.enqueue(
            session,
            kind=kinds.MINUTES_DOCUMENT_KIND,
            to=committee.channel,
            key=kinds.minutes_document_key(meeting_id, meeting.minutes_ts, result.version),
            now=now,
            committee_id=committee.id,
            meeting_id=meeting_id,
            data={"thread_ts": meeting.minutes_ts, "version": result.version},
        )
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return MinutesResult(
        meeting_id=meeting_id,
        decisions=result.decisions,
        actions=result.actions,
        awaiting_approval=False,
        version=result.version,
        updated=result.updated,
        cancelled=result.cancelled,
    )


def approve_minutes(
    session: Session, *, meeting_id: int, actor: str, now: datetime, version: int | None = None
) -> Meeting:
    """The chair (or an admin) approves submitted minutes; they are then posted in the channel.

    ``version``: the minutes version the approval request showed; an earlier one is refused (a
    newer version was submitted since: that is the one to approve)."""
    meeting, committee = locked(session, meeting_id)
    check_chair(session, committee, actor, "what_approve")
    check_awaiting(meeting, committee)
    check_version(session, meeting, committee, version)
    meeting.minutes_approved_at = now
    meeting.updated_at = now
    session.add(meeting)
    event_notices.notify(
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
    session: Session, *, meeting_id: int, comment: str, actor: str, now: datetime, version: int | None = None
) -> Meeting:
    """The chair sends submitted minutes back to the secretary with a comment.

    The minutes count as not submitted again (so the chase resumes); their text, link and attendees
    are kept so that the form opens pre-filled.
    """
    meeting, committee = locked(session, meeting_id)
    check_chair(session, committee, actor, "what_request_changes")
    check_awaiting(meeting, committee)
    check_version(session, meeting, committee, version)
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
    event_notices.notify(
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

    The series is untouched: the row keeps its ``series_start``, so its notifications follow (a
    kind already posted is edited, one not posted yet is planned for the new slot). One move notice
    per occurrence: a further move updates it, and it always shows the slot as originally scheduled.
    Moving a meeting back to its original slot makes it ``scheduled`` again.
    """
    if new_start.tzinfo is None:
        raise ValueError("new_start must be an aware datetime")
    meeting, committee = locked(session, meeting_id)
    check_chair(session, committee, actor, "what_move_meeting")
    check_open(meeting, committee, now, "what_move")
    check_in_calendar(session, meeting, committee, now)
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
    check_free(session, committee, meeting, new_start, new_start + (meeting.end - meeting.start))
    original = original_start(session, committee=committee, meeting=meeting)
    duration = meeting.end - meeting.start
    meeting.start = new_start.astimezone(UTC)
    meeting.end = meeting.start + duration
    back = meeting.start == original.astimezone(UTC)
    meeting.status = MeetingStatus.scheduled.value if back else MeetingStatus.moved.value
    meeting.updated_at = now
    session.add(meeting)
    event_notices.notify_once(
        session, committee=committee, meeting=meeting, kind=KIND_MEETING_MOVED, to=committee.channel, now=now,
        by=actor, original_start=original.astimezone(UTC).isoformat(), start=meeting.start.isoformat(),
    )  # fmt: skip
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


def check_free(
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
    """Cancel one occurrence (chair or admin); nothing more is sent about it but the notice.

    One cancellation notice per occurrence, with a Restore button (``restore_meeting`` undoes the
    cancellation and edits the notice); cancelling again after a restore updates that notice.
    """
    meeting, committee = locked(session, meeting_id)
    check_chair(session, committee, actor, "what_cancel_meeting")
    when = local_label(meeting.start, committee)
    if meeting.status == MeetingStatus.cancelled.value:
        raise InvalidInput(key="meeting_already_cancelled", locale=committee.locale, when=when)
    if now >= meeting.start:
        raise InvalidInput(key="meeting_started", locale=committee.locale, when=when, what=Msg("what_cancel"))
    check_in_calendar(session, meeting, committee, now)
    clean_reason = check_text(reason, committee.locale, "reason")
    meeting.status = MeetingStatus.cancelled.value
    meeting.updated_at = now
    session.add(meeting)
    event_notices.notify_once(
        session, committee=committee, meeting=meeting, kind=KIND_MEETING_CANCELLED, to=committee.channel, now=now,
        by=actor, at=now.astimezone(UTC).isoformat(), start=meeting.start.astimezone(UTC).isoformat(),
        reason=clean_reason, restored_by=None, restored_at=None,
    )  # fmt: skip
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting
