"""Notices about action items (SPEC §7): the chasers, an unreachable owner, a failed delivery, a settled item."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.action_items.views import action_block
from bot.meetings.state import left_series
from bot.notices.context import Context, is_user, link, reader_locale, user_tz
from bot.notices.meeting_notices import iso_instant
from bot.notices.message import ACTION_CHASES, MAX_UNREACHABLE_ACTIONS, MEETING_KINDS, OutgoingMessage
from bot.notices.minutes_notices import superseded
from bot.slack import blocks as bk
from bot.slack import ids
from bot.text.render import slack_date, slack_day, slack_escape
from storage.action_items import open_actions_for_owner
from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    Committee,
    Meeting,
    MeetingStatus,
    Notification,
    SlackUser,
)


def unreachable(user: SlackUser | None, today: date) -> bool:
    """Deactivated, or away through ``today`` (``/action away until DATE`` includes DATE)."""
    return user is not None and (user.deleted or (user.away_until is not None and user.away_until >= today))


def _chase(ctx: Context) -> OutgoingMessage | None:
    action, kind = ctx.action, ctx.notification.kind
    if action is None or action.status not in OPEN_ACTION_STATUSES:
        return None
    owner = ctx.session.get(SlackUser, action.owner)
    owner_tz = owner.tz if owner is not None and owner.tz else ctx.tz
    today = ctx.now.astimezone(ZoneInfo(owner_tz)).date()
    if action.snoozed_until is not None and action.snoozed_until > today:
        return None
    if ctx.data.get("due", action.due.isoformat()) != action.due.isoformat():
        return None  # re-dated since this chase was planned: the new date has its own chases
    if kind == "action_due_soon" and today > action.due:
        return None
    if kind != "action_due_soon" and today <= action.due:
        return None
    if kind == "action_escalation":
        if ctx.data.get("owner", action.owner) != action.owner:
            return None  # reassigned since: the new owner gets their own chase
    elif ctx.notification.recipient != action.owner:
        return None  # reassigned since: the new owner gets their own chase
    # An owner away or deactivated is not decided here but when the chase is due (the tick skips it
    # and tells the chair: bot.delivery.record.skip_reason): an absence can be shortened or ended
    # without a re-plan, and the chase must still be pending then, as a fresh plan has it.
    # Due days are shown in the owner's zone: that is the day they committed to.
    p = ctx.parts(
        f"notice_{kind}",
        public_id=action.public_id,
        title=action.title,
        due=ctx.day(action.due, owner_tz),
        late_days=(today - action.due).days,
        owner=action.owner,
        chases=ctx.data.get("chase"),
    )
    reader_tz = user_tz(ctx.session, ctx.notification.recipient, ctx.tz)
    body = [
        bk.section(p["body"]),
        *[block.to_dict() for block in action_block(action, locale=ctx.locale, tz=reader_tz)],
    ]
    return ctx.message(p["text"], body)


def owner_unreachable(ctx: Context) -> OutgoingMessage | None:
    """To the chair, once: this owner cannot be chased; their open actions, each with Reassign.

    ``data``: ``owner`` (else the notification's action's owner). With an ``action_id``, only that
    action; otherwise all the owner's open actions of the committee.
    """
    owner_id = ctx.data.get("owner") or (ctx.action.owner if ctx.action else None)
    if not owner_id:
        return None
    owner = ctx.session.get(SlackUser, owner_id)
    # Away "until DATE" is the owner's own date, as the dispatcher reads it.
    today = ctx.now.astimezone(ZoneInfo(owner.tz if owner is not None and owner.tz else ctx.tz)).date()
    if not unreachable(owner, today):
        return None  # back, or reactivated: the chases resume on their own
    assert owner is not None
    if ctx.action is not None:
        actions = (
            [ctx.action] if ctx.action.status in OPEN_ACTION_STATUSES and ctx.action.owner == owner_id else []
        )
    else:
        actions = open_actions_for_owner(ctx.session, owner_id, committee_id=ctx.committee.id)
    if not actions:
        return None
    p = ctx.parts(
        "notice_owner_unreachable",
        owner=owner_id,
        deleted=owner.deleted,
        away_until=ctx.day(owner.away_until) if owner.away_until else "",
        count=len(actions),
    )
    body = [bk.section(p["body"])]
    reader_tz = user_tz(ctx.session, ctx.notification.recipient, ctx.tz)
    for action in actions[:MAX_UNREACHABLE_ACTIONS]:
        item, *_buttons = action_block(action, locale=ctx.locale, tz=reader_tz)
        body.append(item.to_dict())
        body.append(
            bk.actions(bk.reassign_button(action, locale=ctx.locale), block_id=f"reassign_{action.id}")
        )
    if len(actions) > MAX_UNREACHABLE_ACTIONS:
        body.append(bk.context(f"_{bk.more(ctx.locale, len(actions) - MAX_UNREACHABLE_ACTIONS)}_"))
    return ctx.message(p["text"], body)


_REASONS = {
    "channel_not_found": "reason_channel_not_found",
    "not_in_channel": "reason_not_in_channel",
    "is_archived": "reason_is_archived",
    "user_not_found": "reason_user_inactive",
    "user_disabled": "reason_user_inactive",
    "account_inactive": "reason_user_inactive",
    "cannot_dm_bot": "reason_user_inactive",
}


def delivery_failed(ctx: Context) -> OutgoingMessage:
    """To the chair: which message failed, where, and why. ``data``: ``kind``, ``to``, ``error``."""
    kind = str(ctx.data.get("kind") or "other")
    to = str(ctx.data.get("to") or "")
    error = str(ctx.data.get("error") or "unknown_error")
    what_label = f"kind_{kind}" if bk.has_piece(ctx.locale, "notice_labels", f"kind_{kind}") else "kind_other"
    what = ctx.label(what_label)
    where = (f"<@{to}>" if is_user(to) else f"<#{to}>") if to else ctx.label("none")
    # Slack error codes may come with detail ("not_in_channel: ..."): the code decides the advice.
    reason_block = _REASONS.get(error.split(":", maxsplit=1)[0].strip(), "reason_other")
    reason = bk.piece(ctx.locale, "notice_delivery_failed", reason_block, error=error)
    p = ctx.parts("notice_delivery_failed", what=what, where=where, reason=reason, error=error)
    return ctx.message(p["text"], [bk.section(p["body"])])


def settled(session: Session, notification: Notification, *, now: datetime) -> OutgoingMessage | None:
    """What a posted reminder shows once its subject is settled, without its buttons; None when
    there is nothing new to show."""
    committee = session.get(Committee, notification.committee_id) if notification.committee_id else None
    if committee is None:
        return None
    locale = reader_locale(session, notification.recipient, committee)

    def piece(block: str, **values: Any) -> str:
        return bk.piece(
            locale, "notice_settled", block, name=committee.name, channel=committee.channel, **values
        )

    def when(moment: datetime) -> str:
        return slack_date(moment, fallback_tz=committee.timezone)

    kind, data = notification.kind, notification.data or {}
    line: str | None
    if kind in ACTION_CHASES:
        action = session.get(ActionItem, notification.action_id) if notification.action_id else None
        if action is None:
            return None
        tz = user_tz(session, action.owner, committee.timezone)
        today = now.astimezone(ZoneInfo(tz)).date()
        if action.status not in OPEN_ACTION_STATUSES:
            line = piece("action_done" if action.status == "done" else "action_cancelled")
        elif data.get("due", action.due.isoformat()) != action.due.isoformat():
            line = piece("action_redated", day=slack_day(action.due, tz))
        elif action.snoozed_until is not None and action.snoozed_until > today:
            line = piece("action_snoozed", day=slack_day(action.snoozed_until, tz))
        elif kind != "action_escalation" and notification.recipient != action.owner:
            line = piece("action_reassigned", owner=action.owner)
        else:
            return None
        reader = user_tz(session, notification.recipient, committee.timezone)
        assert line is not None
        blocks = [bk.section(line), *[b.to_dict() for b in action_block(action, locale=locale, tz=reader)]]
        return OutgoingMessage(text=bk.fallback(line), blocks=bk.finish(blocks, locale=locale))

    if kind == "owner_unreachable":
        # Every action it listed has a reachable owner again (reassigned, done, cancelled).
        owner = data.get("owner")
        if not owner or open_actions_for_owner(session, owner, committee_id=committee.id):
            return None
        line = piece("owner_covered", owner=owner)
        assert line is not None
        return OutgoingMessage(text=bk.fallback(line), blocks=[bk.section(line)])

    meeting = session.get(Meeting, notification.meeting_id) if notification.meeting_id else None
    if kind not in MEETING_KINDS or meeting is None:
        return None
    line = None
    if left_series(session, committee=committee, meeting=meeting, now=now):
        line = piece("left_series", calendar=ids.CMD_COMMITTEE)
    elif kind == "meeting_cancelled" and meeting.status != MeetingStatus.cancelled.value:
        # Restored since: the notice says so, without its Restore button.
        line = piece(
            "restored",
            by=data.get("restored_by"),
            at=when(iso_instant(data.get("restored_at")) or now),
            local=slack_escape(_local_label(meeting.start, committee.timezone)),
        )
    elif meeting.status == MeetingStatus.cancelled.value:
        line = piece("cancelled") if kind != "meeting_cancelled" else None
    elif kind == "deck_reminder" and meeting.deck_shared_at is not None:
        line = piece(
            "deck_shared",
            at=when(meeting.deck_shared_at),
            link=link(meeting.deck_link, bk.label(locale, "open_link")),
        )
    elif kind in ("minutes_request", "minutes_reminder", "minutes_overdue", "minutes_changes_requested"):
        if meeting.minutes_posted_at is not None:
            line = piece("minutes_posted", at=when(meeting.minutes_posted_at))
        elif meeting.minutes_submitted_at is not None:
            line = piece(
                "minutes_submitted", at=when(meeting.minutes_submitted_at), by=meeting.minutes_submitted_by
            )
    elif kind == "minutes_approval":
        approved = meeting.minutes_approved_at or meeting.minutes_posted_at
        newer = superseded(session, notification, meeting)
        if newer is not None:
            line = piece("approval_superseded", at=when(newer.created_at))
        elif approved is not None:
            line = piece("minutes_approved", at=when(approved))
        elif meeting.minutes_submitted_at is None:
            line = piece("minutes_sent_back", by=data.get("submitted_by") or committee.secretary)
    if line is None:
        return None
    text = f"{piece('meeting', when=when(meeting.start))}\n{line}"
    return OutgoingMessage(text=bk.fallback(line), blocks=[bk.section(text)])


def _local_label(moment: datetime, tz: str) -> str:
    return f"{moment.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M} ({tz})"
