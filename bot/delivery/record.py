"""What a send's answer means for its row: sent, retried later, failed (the chair is told), or skipped."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.delivery import admin_reports, metrics, minutes_upload, sender
from bot.delivery.sender import SendStatus
from bot.notices import registry
from bot.notices.message import OutgoingMessage
from bot.planning.outbox import (
    ACTION_KINDS,
    ADMIN_PROBLEM,
    DELIVERY_FAILED,
    FOLLOWUP,
    MEETING_TS_FIELDS,
    OWNER_UNREACHABLE,
    REPORT_KINDS,
    enqueue,
)
from storage import committees as committees_store
from storage import notifications as store
from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    Committee,
    Meeting,
    Notification,
    SlackUser,
    id_of,
)

log = logging.getLogger(__name__)

# 5xx and network errors: 1, 2, 4 … 60 minutes apart, then give up (about 2 hours in all).
MAX_ATTEMPTS = 8
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)


# A 429 asking to wait at most this long is waited in the tick; longer, the tick stops sending.
MAX_RATE_LIMIT_WAIT = 5.0


# What happened to one claimed row.
SENT, SKIPPED, FAILED, RETRIED, GONE = "sent", "skipped", "failed", "retried", "gone"


@dataclass(frozen=True)
class Delivery:
    state: str
    stop: str | None = None  # the tick must stop sending (and why)
    wait: float = 0.0  # seconds to wait before the next send (a short Retry-After)
    error: str | None = None  # Slack's error, for a failed or deferred send (429s aside)
    refused: bool = False  # Slack refused the token itself
    kind: str = ""


@dataclass(frozen=True)
class Ready:
    """A claimed row checked and rendered, ready to post (read outside the transaction)."""

    id: int
    key: str
    kind: str
    recipient: str
    attempts: int
    expires_at: datetime | None
    committee_id: int | None
    meeting_id: int | None
    action_id: int | None
    message: OutgoingMessage


def record_result(
    session: Session, ready: Ready, result: sender.Result, *, now: datetime, worker: str
) -> Delivery:
    if result.status is SendStatus.sent:
        channel = result.channel or ready.recipient
        if store.record_sent(session, id=ready.id, channel=channel, ts=result.ts or "", now=now):
            _after_sent(session, ready, channel=channel, ts=result.ts or "", now=now)
        return Delivery(SENT)
    if result.status is SendStatus.rate_limited:
        # Not the row's fault: no attempt counted. Short waits are waited here (the next send is
        # likely to pass); long ones end the tick, the next tick picks up where this one stopped.
        retry_at = now + timedelta(seconds=max(result.retry_after, 1.0))
        store.record_retry(
            session,
            id=ready.id,
            error="ratelimited",
            attempts=ready.attempts,
            next_attempt_at=retry_at,
            now=now,
        )
        metrics.count_rate_limited()
        if result.retry_after > MAX_RATE_LIMIT_WAIT:
            return Delivery(RETRIED, stop=f"rate limited for {result.retry_after:g}s")
        return Delivery(RETRIED, wait=result.retry_after)
    if result.status is SendStatus.fatal:
        store.release(session, ids=[ready.id], worker=worker)
        return Delivery(
            RETRIED, stop=f"Slack refused the token: {result.error}", error=result.error, refused=True
        )
    row = session.get(Notification, ready.id)
    assert row is not None
    if result.status is SendStatus.transient:
        return record_transient(session, row, result.error or "transient error", now, report=True)
    # Permanent: record, tell the admins and the chair, never retry (until an admin's Retry).
    error = result.error or "unknown_error"
    store.record_failed(session, id=id_of(row), error=error, attempts=row.attempts + 1, now=now)
    admin_reports.report_delivery_failure(session, row, error, now)
    if error in ("user_disabled", "account_inactive") and row.recipient.startswith(("U", "W")):
        _mark_deactivated(session, row.recipient, now)
        if row.kind in ACTION_KINDS and _owner_of(session, row) == row.recipient:
            _report_unreachable(session, _user(session, row.recipient), "deactivated", now)
            return Delivery(FAILED, error=error)
    _report_failure(session, row, error, now)
    return Delivery(FAILED, error=error)


def _after_sent(session: Session, ready: Ready, *, channel: str, ts: str, now: datetime) -> None:
    """In the same transaction as "sent": queue the message's secondary DMs, keep meeting message ts."""
    row = ready
    for index, (user_id, extra) in enumerate(ready.message.also):
        enqueue(
            session,
            kind=FOLLOWUP,
            to=user_id,
            key=f"{row.key}:also:{index}",
            now=now,
            expires_at=row.expires_at,
            committee_id=row.committee_id,
            meeting_id=row.meeting_id,
            action_id=row.action_id,
            data={"parent": row.key, "parent_kind": row.kind, "text": extra.text, "blocks": extra.blocks},
        )
    field_name = MEETING_TS_FIELDS.get(row.kind)
    if field_name and row.meeting_id is not None and not row.recipient.startswith(("U", "W")):
        meeting = session.get(Meeting, row.meeting_id)
        if meeting is not None:
            setattr(meeting, field_name, ts)
            if row.kind == "minutes_posted" and meeting.minutes_posted_at is None:
                meeting.minutes_posted_at = now  # minutes count as delivered once posted (SPEC §4)
            if row.kind == "minutes_posted":  # final minutes: their document goes in the thread
                enqueue(
                    session,
                    kind=minutes_upload.KIND,
                    to=channel,
                    key=minutes_upload.notification_key(meeting.id, ts),  # type: ignore[arg-type]
                    now=now,
                    committee_id=row.committee_id,
                    meeting_id=meeting.id,
                    data=minutes_upload.queue_data(ts),
                )
            meeting.updated_at = now
            session.add(meeting)


def message_for(session: Session, row: Notification, *, now: datetime) -> OutgoingMessage | None:
    """What ``row`` says now: a follow-up as rendered with its parent, an admin's problem report,
    the minutes document, or the notice of its kind (through ``registry.build``, which tests may stand in for)."""
    if row.kind == FOLLOWUP:
        return followup_message(row)
    if row.kind == ADMIN_PROBLEM:
        return admin_reports.build(session, row, now=now)
    if row.kind == minutes_upload.KIND:  # the minutes as a Word document, in their thread
        return minutes_upload.build(session, row, now=now)
    return registry.build(session, row, now=now)


def followup_message(row: Notification) -> OutgoingMessage | None:
    text = (row.data or {}).get("text")
    return OutgoingMessage(text=text, blocks=(row.data or {}).get("blocks") or []) if text else None


def record_transient(
    session: Session, row: Notification, error: str, now: datetime, *, report: bool
) -> Delivery:
    attempts = row.attempts + 1
    if attempts >= MAX_ATTEMPTS:
        store.record_failed(
            session,
            id=id_of(row),
            error=f"gave up after {attempts} attempts: {error}",
            attempts=attempts,
            now=now,
        )
        if report:
            admin_reports.report_delivery_failure(session, row, error, now)
            _report_failure(session, row, error, now)
        return Delivery(FAILED, error=error)
    delay = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX)
    store.record_retry(
        session, id=id_of(row), error=error, attempts=attempts, next_attempt_at=now + delay, now=now
    )
    return Delivery(RETRIED, error=error)


def skip_reason(session: Session, row: Notification, now: datetime) -> str | None:
    """Why a due row must not be sent (checked again at send time), or None."""
    if row.expires_at is not None and now >= row.expires_at:
        return f"expired at {row.expires_at.isoformat()}"
    if row.kind in ACTION_KINDS:
        return _owner_unreachable(session, row, now)
    return None


def _owner_of(session: Session, row: Notification) -> str | None:
    action = session.get(ActionItem, row.action_id) if row.action_id else None
    return action.owner if action else None


def _user(session: Session, user_id: str) -> SlackUser:
    user = session.get(SlackUser, user_id)
    if user is None:
        user = SlackUser(user_id=user_id)
        session.add(user)
    return user


def absence(session: Session, row: Notification, now: datetime) -> str | None:
    """Why the owner of a chased action cannot be chased at ``now`` (deactivated, or away that
    day in their zone), or None. Read only: the tick's ``skip_reason`` acts on it."""
    owner = _owner_of(session, row)
    user = session.get(SlackUser, owner) if owner else None
    if user is None:
        return None
    if user.deleted:
        return "deactivated"
    if user.away_until is not None:
        tz = user.tz or committees_store.get_workspace(session).timezone
        if now.astimezone(ZoneInfo(tz)).date() <= user.away_until:
            return f"away until {user.away_until.isoformat()}"
    return None


def _owner_unreachable(session: Session, row: Notification, now: datetime) -> str | None:
    """The owner of a chased action is deactivated or away: skip, and tell the chairs once."""
    owner = _owner_of(session, row)
    user = session.get(SlackUser, owner) if owner else None
    if user is None:
        return None
    reason = absence(session, row, now)
    if reason is None:
        if user.unreachable_reported_at is not None:
            user.unreachable_reported_at = None  # back: a later absence is reported again
            session.add(user)
        return None
    if user.unreachable_reported_at is None:
        _report_unreachable(session, user, reason, now)
    return f"owner {owner} {reason}"


def _report_unreachable(session: Session, user: SlackUser, reason: str, now: datetime) -> None:
    """Tell the chair of each committee with open actions of ``user``, once, with Reassign buttons."""
    if user.unreachable_reported_at is not None:
        return
    user.unreachable_reported_at = now
    session.add(user)
    rows = session.execute(
        sa.select(col(Committee.id), col(Committee.chair))
        .join(ActionItem, col(ActionItem.committee_id) == col(Committee.id))
        .where(
            col(ActionItem.owner) == user.user_id,
            col(ActionItem.status).in_(OPEN_ACTION_STATUSES),
            col(Committee.active).is_(True),
        )
        .distinct()
    ).all()
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for committee_id, chair in sorted(rows):
        if chair and chair != user.user_id:
            # No action_id: the message lists all the owner's open actions of that committee.
            enqueue(
                session,
                kind=OWNER_UNREACHABLE,
                to=chair,
                now=now,
                committee_id=committee_id,
                key=f"x:{OWNER_UNREACHABLE}:{user.user_id}:{committee_id}:{stamp}",
                data={"owner": user.user_id, "reason": reason},
            )


def _report_failure(session: Session, row: Notification, error: str, now: datetime) -> None:
    """Tell the committee's chair a message could not be delivered: once per destination, error and day."""
    if row.kind in REPORT_KINDS:
        return  # a report that fails is only logged: no report about a report
    committee = session.get(Committee, row.committee_id) if row.committee_id else None
    if committee is None or not committee.chair or committee.chair == row.recipient:
        log.warning("notification %s to %s failed (%s); no chair to tell", row.key, row.recipient, error)
        return
    day = now.astimezone(ZoneInfo(committee.timezone)).date().isoformat()
    enqueue(
        session,
        kind=DELIVERY_FAILED,
        to=committee.chair,
        key=f"x:{DELIVERY_FAILED}:{committee.chair}:{row.recipient}:{error[:60]}:{day}",
        now=now,
        committee_id=committee.id,
        meeting_id=row.meeting_id,
        action_id=row.action_id,
        data={"kind": row.kind, "to": row.recipient, "error": error, "failed_key": row.key},
    )


def _mark_deactivated(session: Session, user_id: str, now: datetime) -> None:
    user = _user(session, user_id)
    user.deleted = True
    user.fetched_at = now
    session.add(user)
    session.flush()
