"""The message of every notification kind (SPEC §4–§7): Block Kit plus fallback text.

Contract used by the dispatcher: ``build(session, notification, now=...)`` returns the message to
post, or None when it is no longer needed. It re-reads the state at send time, so a reminder fired
late never asks for what was already done: the deck shared, the minutes submitted, the action closed,
snoozed or re-dated, the meeting cancelled or already started.

Wording lives in ``templates/<locale>/notice_<kind>.j2``, one Jinja block per piece (``text``, the
fallback; ``body``, the main section; others per kind). Channel messages use the committee's locale,
direct messages the recipient's Slack locale (else the committee's). Dates are Slack date tokens, so
each reader sees their own zone; announcements of a meeting time also name the committee's zone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlmodel import Session

from bot.action_items.assignment import ASSIGNED, IN_THREAD, UNASSIGNED
from bot.meetings.state import left_series
from bot.notices import digest
from bot.notices.action_notices import _chase, delivery_failed, owner_unreachable, settled
from bot.notices.assignment_notices import assigned_message, in_thread_message, unassigned_message
from bot.notices.context import Context, _live_committee
from bot.notices.meeting_notices import (
    agenda_published,
    agenda_request,
    deck_reminder,
    meeting_cancelled,
    meeting_moved,
    meeting_reminder,
    save_the_date,
)
from bot.notices.message import MEETING_KINDS, PRE_MEETING, OutgoingMessage
from bot.notices.minutes_notices import (
    minutes_approval,
    minutes_changes_requested,
    minutes_overdue,
    minutes_posted,
    minutes_reminder,
    minutes_request,
)
from storage.models import (
    ActionItem,
    Committee,
    DeliveryState,
    Meeting,
    MeetingStatus,
    Notification,
)


def build(session: Session, notification: Notification, *, now: datetime) -> OutgoingMessage | None:
    """The message for ``notification`` as the state stands at ``now``; None when not needed any more.

    For a notification already sent (the dispatcher refreshing a posted message), a state that
    makes the message unneeded is shown instead: "Done", "Deck shared", "Minutes submitted",
    "Meeting cancelled"… with the buttons gone (see ``settled``).

    Raises ValueError for a kind this module does not know (a planning bug, not a state change).
    """
    builder = BUILDERS.get(notification.kind)
    if builder is None:
        raise ValueError(
            f"unknown notification kind {notification.kind!r}: expected one of {', '.join(BUILDERS)}"
        )
    message = _build(session, notification, builder, now)
    if message is None and notification.state == DeliveryState.sent.value:
        # Already posted, and nothing more to ask: show how it was settled (the dispatcher's refresh
        # edits the posted message with it), or None to leave the message as it is.
        return settled(session, notification, now=now)
    return message


def _build(
    session: Session,
    notification: Notification,
    builder: Callable[[Context], OutgoingMessage | None],
    now: datetime,
) -> OutgoingMessage | None:
    committee = _live_committee(session, notification, now)
    if committee is None:
        return None
    meeting = session.get(Meeting, notification.meeting_id) if notification.meeting_id else None
    action = session.get(ActionItem, notification.action_id) if notification.action_id else None
    if notification.kind in MEETING_KINDS:
        if meeting is None:
            return None
        cancelled = meeting.status == MeetingStatus.cancelled.value
        if cancelled != (notification.kind == "meeting_cancelled"):
            return None
        if notification.kind in (*PRE_MEETING, "meeting_moved", "meeting_cancelled") and now >= meeting.start:
            return None
        if left_series(session, committee=committee, meeting=meeting, now=now):
            return None  # a posted one is settled: the slot left the calendar
    ctx = Context(session, notification, now, committee, meeting, action)
    return builder(ctx)


def build_many(
    session: Session, notifications: Sequence[Notification], *, now: datetime
) -> list[OutgoingMessage | None]:
    """``build`` for each notification, in order, with the weekly digests of many channels rendered
    together from a few bulk queries (a dispatcher that claims a batch on Monday 09:00 should call
    this rather than ``build`` thousands of times)."""
    live: dict[int, Committee] = {}  # notification index -> its committee, for the digests still wanted
    for index, notification in enumerate(notifications):
        if notification.kind == "weekly_digest":
            committee = _live_committee(session, notification, now)
            if committee is not None:
                live[index] = committee
    digests = digest.weekly_digests(
        session, committees=list({c.id: c for c in live.values()}.values()), now=now
    )
    return [
        (digests[live[index].id] if index in live else None)  # type: ignore[index]
        if notification.kind == "weekly_digest"
        else build(session, notification, now=now)
        for index, notification in enumerate(notifications)
    ]


def weekly_digest(ctx: Context) -> OutgoingMessage:
    return digest.weekly_digest(ctx.session, committee=ctx.committee, now=ctx.now)


BUILDERS: dict[str, Callable[[Context], OutgoingMessage | None]] = {
    "save_the_date": save_the_date,
    "agenda_request": agenda_request,
    "deck_reminder": deck_reminder,
    "agenda_published": agenda_published,
    "meeting_reminder": meeting_reminder,
    "minutes_request": minutes_request,
    "minutes_reminder": minutes_reminder,
    "minutes_overdue": minutes_overdue,
    "minutes_approval": minutes_approval,
    "minutes_posted": minutes_posted,
    "minutes_changes_requested": minutes_changes_requested,
    "meeting_moved": meeting_moved,
    "meeting_cancelled": meeting_cancelled,
    "action_due_soon": _chase,
    "action_overdue": _chase,
    "action_escalation": _chase,
    "owner_unreachable": owner_unreachable,
    "delivery_failed": delivery_failed,
    "weekly_digest": weekly_digest,
    ASSIGNED: assigned_message,
    UNASSIGNED: unassigned_message,
    IN_THREAD: in_thread_message,
}
