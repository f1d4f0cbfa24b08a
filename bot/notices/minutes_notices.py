"""Notices after a meeting (SPEC §5): minutes requested, reminded, overdue, sent for approval, posted."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.notices.context import Context, action_line, link, meeting_button
from bot.notices.message import MAX_MINUTES_ACTIONS, Block, OutgoingMessage
from bot.slack import blocks as bk
from bot.slack import ids
from storage import meetings as meeting_store
from storage.models import (
    Committee,
    Meeting,
)

NOT_SUBMITTED = ("not_due", "due", "late")  # minutes_state statuses before the secretary submits


def minutes_request(ctx: Context) -> OutgoingMessage | None:
    state = ctx.minutes()
    if state.status not in NOT_SUBMITTED:
        return None
    assert ctx.meeting is not None
    p = ctx.parts("notice_minutes_request", when=ctx.when(ctx.meeting.start), minutes_due=ctx.when(state.due))
    button = meeting_button(ctx, "btn_submit_minutes", ids.BTN_SUBMIT_MINUTES, "primary")
    return ctx.message(p["text"], [bk.section(p["body"]), bk.actions(button)])


def minutes_reminder(ctx: Context) -> OutgoingMessage | None:
    state = ctx.minutes()
    if state.status not in NOT_SUBMITTED or ctx.now >= state.due:
        return None  # in, or already late: minutes_overdue takes over
    assert ctx.meeting is not None
    p = ctx.parts(
        "notice_minutes_reminder",
        when=ctx.when(ctx.meeting.start),
        minutes_due=ctx.when(state.due),
        left=ctx.span(state.due - ctx.now),
    )
    button = meeting_button(ctx, "btn_submit_minutes", ids.BTN_SUBMIT_MINUTES, "primary")
    return ctx.message(p["text"], [bk.section(p["body"]), bk.actions(button)])


def minutes_overdue(ctx: Context) -> OutgoingMessage | None:
    """How late, and who holds the minutes: the secretary until submitted, the chair while approval waits."""
    meeting, committee, state = ctx.meeting, ctx.committee, ctx.minutes()
    assert meeting is not None
    if ctx.now < state.due or state.holder is None or state.status not in ("late", "awaiting_approval"):
        return None  # not late yet, or posted (or about to be: the bot's own job)
    role = "secretary" if state.status == "late" else "chair"
    recipient = ctx.notification.recipient
    if recipient == committee.secretary and recipient not in (state.holder, committee.chair):
        return None  # the secretary's chase stops once the minutes are submitted
    p = ctx.parts(
        "notice_minutes_overdue",
        when=ctx.when(meeting.start),
        minutes_due=ctx.when(state.due),
        # The first chase falls on the deadline itself: "0 min late" would read oddly.
        late=ctx.span(ctx.now - state.due) if ctx.now - state.due >= timedelta(minutes=1) else None,
        holder=state.holder,
        holder_role=role,
        secretary=meeting.minutes_submitted_by or committee.secretary,
        n=ctx.data.get("n", 1),
        max=ctx.data.get("max", 3),
    )
    body = [bk.section(p["body"])]
    if ctx.notification.recipient == state.holder:
        if role == "secretary":
            body.append(
                bk.actions(meeting_button(ctx, "btn_submit_minutes", ids.BTN_SUBMIT_MINUTES, "primary"))
            )
        else:
            body.append(_approval_buttons(ctx))
    body.append(bk.context(p["chase"]))
    return ctx.message(p["text"], body)


def _approval_buttons(ctx: Context) -> Block:
    return bk.actions(
        meeting_button(ctx, "btn_approve", ids.BTN_MINUTES_APPROVE, "primary"),
        meeting_button(ctx, "btn_changes", ids.BTN_MINUTES_CHANGES),
    )


def minutes_blocks(session: Session, committee: Committee, meeting: Meeting, *, locale: str) -> list[Block]:
    """The minutes as readers see them: summary, decisions, action items created, attendees, link."""
    p = bk.parts(
        locale,
        "notice_minutes",
        summary=meeting.minutes_text or "",
        attendees=meeting.minutes_attendees or [],
        link=link(meeting.minutes_link, bk.label(locale, "open_link")) or "",
    )
    result = [bk.section(chunk) for chunk in bk.split_text(p["summary"], max_chunks=6)]
    assert meeting.id is not None
    decisions = meeting_store.decisions(session, meeting_id=meeting.id)
    lines = [bk.label(locale, "decision_line", text=d.text) for d in decisions]
    result.append(
        bk.section(
            bk.fit_lines(lines, locale=locale, head=p["decisions"])
            if lines
            else f"{p['decisions']}\n{p['no_decisions']}"
        )
    )
    # Overdue as seen when the meeting ended: fresh actions are never shown late in their own minutes.
    today = meeting.end.astimezone(ZoneInfo(committee.timezone)).date()
    lines = [
        action_line(
            locale,
            public_id=a.public_id,
            title=a.title,
            owner=a.owner,
            due=a.due,
            overdue=a.due < today,
            progress=a.progress,
            tz=committee.timezone,
        )
        for a in meeting_store.meeting_actions(session, meeting_id=meeting.id)
    ]
    result.append(
        bk.section(
            bk.fit_lines(lines, locale=locale, head=p["actions"], max_items=MAX_MINUTES_ACTIONS)
            if lines
            else f"{p['actions']}\n{p['no_actions']}"
        )
    )
    result.append(bk.section(p["attendees"]))
    if meeting.minutes_link:
        result.append(bk.section(p["link"]))
    return result


def minutes_approval(ctx: Context) -> OutgoingMessage | None:
    meeting = ctx.meeting
    assert meeting is not None
    if ctx.minutes().status != "awaiting_approval":
        return None
    p = ctx.parts(
        "notice_minutes_approval",
        when=ctx.when(meeting.start),
        submitter=meeting.minutes_submitted_by or ctx.data.get("submitted_by") or ctx.committee.secretary,
    )
    body = [
        bk.section(p["body"]),
        bk.divider(),
        *minutes_blocks(ctx.session, ctx.committee, meeting, locale=ctx.locale),
    ]
    body += [bk.divider(), _approval_buttons(ctx)]
    return ctx.message(p["text"], body)


def minutes_posted(ctx: Context) -> OutgoingMessage | None:
    """The minutes in the channel, once submitted and approved (or at once when no approval is needed).

    Still built after posting, so that the dispatcher can refresh the posted message.
    """
    meeting = ctx.meeting
    assert meeting is not None
    if ctx.minutes().status not in ("submitted", "posted"):
        return None
    p = ctx.parts("notice_minutes_posted", when=ctx.when(meeting.start))
    body = [bk.section(p["body"]), *minutes_blocks(ctx.session, ctx.committee, meeting, locale=ctx.locale)]
    return ctx.message(p["text"], body)


def minutes_changes_requested(ctx: Context) -> OutgoingMessage | None:
    """To the secretary: the chair's comment and a button to submit again. ``data``: ``by``, ``comment``."""
    meeting, state = ctx.meeting, ctx.minutes()
    assert meeting is not None
    if state.status not in NOT_SUBMITTED:
        return None  # submitted again (or posted) since
    p = ctx.parts(
        "notice_minutes_changes_requested",
        when=ctx.when(meeting.start),
        by=ctx.data.get("by") or ctx.committee.chair,
        comment=ctx.data.get("comment") or "",
        minutes_due=ctx.when(state.due),
    )
    button = meeting_button(ctx, "btn_submit_minutes", ids.BTN_SUBMIT_MINUTES, "primary")
    return ctx.message(p["text"], [bk.section(p["body"]), bk.actions(button)])
