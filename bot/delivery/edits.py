"""Edits of messages already posted: after a change is committed, and when earlier edits failed."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from bot.delivery import minutes_upload, sender
from bot.delivery.record import SENT, message_for
from bot.delivery.sender import SendStatus
from bot.notices import registry
from bot.planning.outbox import FOLLOWUP, OWNER_UNREACHABLE, REPORT_KINDS
from storage import notifications as store
from storage.db import transaction
from storage.models import ActionItem, Meeting, Notification, SlackUser, id_of

log = logging.getLogger(__name__)

# How long a message whose edits keep failing is retried before it is left as posted.
STALE_GIVE_UP = timedelta(days=2)
# Posted messages that show a meeting's agenda (with the committee's open actions and the link to
# the previous minutes): kept current while the meeting is to come.
AGENDA_KINDS = ("agenda_request", "deck_reminder", "agenda_published", "meeting_reminder")
# Posted messages that show a meeting's minutes, with the action items they created.
MINUTES_KINDS = ("minutes_posted", "minutes_approval")
# Rows whose posted message is not re-rendered: follow-ups, and documents uploaded in a thread.
NOT_EDITED = frozenset({FOLLOWUP, minutes_upload.KIND})


def _edit(session: Session, client: WebClient, row: Notification, *, now: datetime) -> bool:
    """Edit one posted message to show its subject's current state; True when Slack took the edit.

    A failed edit marks the row stale, so that a later tick tries again (``retry_stale_edits``):
    a message that shows an outdated state is not left as it is. An edit Slack refuses for good
    (message or channel gone) is given up, and so is one still failing after ``STALE_GIVE_UP``.
    """
    try:
        message = message_for(session, row, now=now)
    except Exception:
        log.exception("re-rendering notification %s failed", row.key)
        return False
    if message is None:
        row.stale_since = None  # nothing newer to show: the message stays as posted
        session.add(row)
        return False
    assert row.ts is not None  # only posted messages are edited
    result = sender.update(
        client,
        channel=row.channel or row.recipient,
        ts=row.ts,
        text=message.text,
        blocks=message.blocks,
        key=row.key,
    )
    if result.status is SendStatus.sent:
        row.stale_since = None
    elif result.status is SendStatus.permanent or (row.stale_since and now - row.stale_since > STALE_GIVE_UP):
        log.warning("giving up editing %s (%s): %s", row.key, row.ts, result.error)
        row.stale_since = None
    else:
        log.warning("could not edit %s (%s): %s; will retry", row.key, row.ts, result.error)
        row.stale_since = row.stale_since or now
    session.add(row)
    return result.status is SendStatus.sent


def retry_stale_edits(connection: Connection, client: WebClient, *, now: datetime, limit: int = 50) -> int:
    """Edit again the posted messages whose last edit failed (see ``_edit``); returns edits made."""
    with transaction(connection) as session:
        ids = store.stale_ids(session, limit=limit)
    edited = 0
    for row_id in ids:
        with transaction(connection) as session:
            row = session.get(Notification, row_id)
            if row is not None and row.stale_since is not None:
                edited += _edit(session, client, row, now=now)
    return edited


def _refresh_unreachable_reports(
    session: Session, client: WebClient, *, action_id: int, now: datetime
) -> int:
    """Edit the chair's current "owner unreachable" messages of this action's committee: they list
    the owner's open actions (with Reassign) under no action id of their own, so a reassignment or a
    closure must reach them here."""
    action = session.get(ActionItem, action_id)
    if action is None:
        return 0
    rows = session.exec(
        select(Notification).where(
            Notification.kind == OWNER_UNREACHABLE,
            Notification.committee_id == action.committee_id,
            Notification.state == SENT,
            col(Notification.ts).is_not(None),
        )
    ).all()
    edited = 0
    for row in rows:
        owner = session.get(SlackUser, (row.data or {}).get("owner", ""))
        reported = owner.unreachable_reported_at if owner is not None else None
        if (
            reported is not None and row.sent_at is not None and row.sent_at >= reported
        ):  # the current report only
            edited += _edit(session, client, row, now=now)
    return edited


def _refresh_related(
    session: Session, client: WebClient, *, meeting_id: int | None, action_id: int | None, now: datetime
) -> int:
    """Edit the posted agendas of the committee's meetings still to come: they list its open and
    overdue actions and link the previous minutes, so an action's change or another meeting's
    minutes change what they show. The meeting being refreshed itself is left to the caller. For
    a meeting, also the messages about the action items its minutes created; for an action, the
    minutes it came from (they list it with its progress)."""
    subject = session.get(Meeting, meeting_id) if meeting_id is not None else None
    action = session.get(ActionItem, action_id) if action_id is not None else None
    committee_id = subject.committee_id if subject is not None else (action.committee_id if action else None)
    if committee_id is None:
        return 0
    agendas = session.exec(
        select(Notification)
        .join(Meeting, col(Meeting.id) == col(Notification.meeting_id))
        .where(
            Notification.committee_id == committee_id,
            col(Notification.kind).in_(AGENDA_KINDS),
            Notification.state == SENT,
            col(Notification.ts).is_not(None),
            col(Meeting.start) > now,
            col(Notification.meeting_id) != (meeting_id or 0),
        )
        .order_by(col(Notification.id))
    ).all()
    edited = sum(_edit(session, client, row, now=now) for row in agendas)
    if subject is not None:
        # The action items its minutes created (reconciled when the minutes are amended): their
        # posted chases and assignment notes show their owner, due date and status.
        about_actions = session.exec(
            select(Notification)
            .join(ActionItem, col(ActionItem.id) == col(Notification.action_id))
            .where(
                ActionItem.meeting_id == subject.id,
                Notification.state == SENT,
                col(Notification.ts).is_not(None),
                col(Notification.kind).not_in([*REPORT_KINDS, FOLLOWUP]),
            )
            .order_by(col(Notification.id))
        ).all()
        edited += sum(_edit(session, client, row, now=now) for row in about_actions)
    if action is not None and action.meeting_id is not None:
        # The minutes that created the action list it with its progress.
        minutes = session.exec(
            select(Notification)
            .where(
                Notification.meeting_id == action.meeting_id,
                col(Notification.kind).in_(MINUTES_KINDS),
                Notification.state == SENT,
                col(Notification.ts).is_not(None),
            )
            .order_by(col(Notification.id))
        ).all()
        edited += sum(_edit(session, client, row, now=now) for row in minutes)
    return edited


def refresh(
    session: Session,
    client: WebClient,
    *,
    meeting_id: int | None = None,
    action_id: int | None = None,
    now: datetime,
) -> int:
    """Re-render the messages already posted about a meeting or an action and edit them in Slack
    (chat.update), and skip its pending reminders that are no longer needed. Returns messages edited.

    Runs in the caller's unit of work (the caller commits the skips), after the change is
    flushed. Slack errors are logged, never raised: the change itself has been made.
    """
    edited = 0
    for row_id in store.sent_ids_of(session, meeting_id=meeting_id, action_id=action_id):
        row = session.get(Notification, row_id)
        if row is not None and row.ts and row.kind not in REPORT_KINDS and row.kind not in NOT_EDITED:
            edited += _edit(session, client, row, now=now)
    if action_id is not None:
        edited += _refresh_unreachable_reports(session, client, action_id=action_id, now=now)
    edited += _refresh_related(session, client, meeting_id=meeting_id, action_id=action_id, now=now)
    for pending in store.pending_of(session, meeting_id=meeting_id, action_id=action_id):
        row = session.get(Notification, pending.id)
        if row is None or row.kind in REPORT_KINDS or row.kind in NOT_EDITED:
            continue
        try:
            # Asked as of the row's own time, with today's state: a chase that is not due yet (minutes
            # not late yet) is still needed; a reminder whose subject is done is not.
            still_needed = registry.build(session, row, now=max(now, row.due_at)) is not None
        except Exception:
            log.exception("checking notification %s failed", row.key)
            continue
        if not still_needed:
            store.record_skipped(session, id=id_of(row), reason="no longer needed", now=now)
    return edited
