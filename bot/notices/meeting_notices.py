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

from datetime import datetime
from typing import Any

from sqlmodel import col, select

from bot.core import rules
from bot.meetings.state import Agenda
from bot.notices.context import Context, action_line, link, meeting_button, reader_locale
from bot.notices.message import MAX_AGENDA_ACTIONS, MAX_TOPICS, Block, OutgoingMessage
from bot.slack import blocks as bk
from bot.slack import ids
from bot.text.render import slack_escape
from storage.models import (
    CommitteeMember,
    Meeting,
)

# -- The agenda (SPEC §4) ------------------------------------------------------------------------


def agenda_blocks(agenda: Agenda, *, locale: str) -> list[Block]:
    """The agenda as three sections: the template's sections (the action review among them, with its
    counts), the open and overdue actions under the review, then the topics participants proposed."""
    review = agenda.action_review
    count = bk.label(locale, "review_count", open=len(agenda.actions), overdue=len(agenda.overdue_actions))
    numbered = [
        f"{i}. *{slack_escape(s)}* — {count}" if s == review else f"{i}. {slack_escape(s)}"
        for i, s in enumerate(agenda.sections, start=1)
    ]
    result = [bk.section(bk.fit_lines(numbered, locale=locale, head=f"*{bk.label(locale, 'agenda')}*"))]

    heading = f"*{slack_escape(review)}*"
    lines = [
        action_line(
            locale,
            public_id=a.id,
            title=a.title,
            owner=a.owner,
            due=a.due,
            overdue=a.overdue,
            progress=a.progress,
            tz=agenda.timezone,
        )
        for a in agenda.actions
    ]
    result.append(
        bk.section(
            bk.fit_lines(lines, locale=locale, max_items=MAX_AGENDA_ACTIONS, head=heading)
            if lines
            else f"{heading}\n{bk.label(locale, 'no_actions')}"
        )
    )

    heading = f"*{bk.label(locale, 'topics')}*"
    lines = [
        bk.label(
            locale,
            "topic_line",
            title=t.title,
            presenter=t.presenter,
            duration=t.duration,
            link=link(t.link, bk.label(locale, "open_link")),
        )
        for t in agenda.topics
    ]
    result.append(
        bk.section(
            bk.fit_lines(lines, locale=locale, max_items=MAX_TOPICS, head=heading)
            if lines
            else f"{heading}\n{bk.label(locale, 'no_topics')}"
        )
    )
    return result


# -- Before the meeting --------------------------------------------------------------------------


def _participants(ctx: Context) -> list[str]:
    committee = ctx.committee
    members = ctx.session.exec(
        select(CommitteeMember.user_id)
        .where(CommitteeMember.committee_id == committee.id)
        .order_by(col(CommitteeMember.id))
    ).all()
    seen: dict[str, None] = {}
    for user_id in [committee.chair, committee.secretary, committee.deck_owner, *members]:
        if user_id:
            seen.setdefault(user_id, None)
    return list(seen)


def save_the_date(ctx: Context) -> OutgoingMessage:
    meeting = ctx.meeting
    assert meeting is not None
    duration = int((meeting.end - meeting.start).total_seconds() // 60)
    p = ctx.parts(
        "notice_save_the_date",
        when=ctx.when(meeting.start),
        local=ctx.local(meeting.start),
        duration=duration,
        participants=_participants(ctx),
    )
    people = bk.fit_lines([p["participants"]], locale=ctx.locale)
    return ctx.message(p["text"], [bk.section(p["body"]), bk.section(people)])


def _overtaken_by_deck_deadline(ctx: Context) -> bool:
    """True for a first send planned before the deck deadline but sent after it (a catch-up after
    downtime): "propose topics / share the deck before X" once X has passed is no longer valid, and
    agenda_published (with its "deck missing" notice) has taken over. Edits of a posted message go on."""
    deck_due = ctx.agenda().deck_due
    row = ctx.notification
    return row.ts is None and deck_due is not None and row.due_at < deck_due <= ctx.now


def agenda_request(ctx: Context) -> OutgoingMessage | None:
    meeting = ctx.meeting
    assert meeting is not None
    if _overtaken_by_deck_deadline(ctx):
        return None
    p = ctx.parts(
        "notice_agenda_request", when=ctx.when(meeting.start), deadline=ctx.when(ctx.agenda().deck_due)
    )
    body = [bk.section(p["body"]), *agenda_blocks(ctx.agenda(), locale=ctx.locale)]
    body.append(bk.actions(meeting_button(ctx, "btn_add_topic", ids.BTN_ADD_TOPIC, "primary")))
    return ctx.message(p["text"], body)


def deck_reminder(ctx: Context) -> OutgoingMessage | None:
    meeting = ctx.meeting
    assert meeting is not None
    if meeting.deck_shared_at is not None or _overtaken_by_deck_deadline(ctx):
        return None
    p = ctx.parts(
        "notice_deck_reminder",
        when=ctx.when(meeting.start),
        deck_due=ctx.when(ctx.agenda().deck_due),
        # Business days, as the timeline counts them: over a weekend "48 hours" would be wrong.
        days=rules.rules_for(ctx.committee).deck_due_business_days,
    )
    body = [bk.section(p["body"]), *agenda_blocks(ctx.agenda(), locale=ctx.locale)]
    body.append(bk.actions(meeting_button(ctx, "btn_deck_shared", ids.BTN_DECK_SHARED, "primary")))
    return ctx.message(p["text"], body)


def agenda_published(ctx: Context) -> OutgoingMessage:
    meeting, committee = ctx.meeting, ctx.committee
    assert meeting is not None
    deck_due = ctx.when(ctx.agenda().deck_due)
    values = {
        "when": ctx.when(meeting.start),
        "deck_due": deck_due,
        "deck_owner": committee.deck_owner,
        "deck_link": link(meeting.deck_link, ctx.label("open_link")),
    }
    p = ctx.parts("notice_agenda_published", **values)
    body = [bk.section(p["body"]), *agenda_blocks(ctx.agenda(), locale=ctx.locale)]
    also: list[tuple[str, OutgoingMessage]] = []
    if meeting.deck_shared_at is not None:
        body.append(bk.section(p["deck"]))
    else:
        body.append(bk.section(p["missing"]))
        also.append((committee.chair, _deck_missing_dm(ctx, values)))
    return ctx.message(p["text"], body, also)


def _deck_missing_dm(ctx: Context, values: dict[str, Any]) -> OutgoingMessage:
    """The chair's DM about a missing deck, in the chair's own locale."""
    locale = reader_locale(ctx.session, ctx.committee.chair, ctx.committee)
    p = bk.parts(
        locale, "notice_agenda_published", name=ctx.committee.name, channel=ctx.committee.channel, **values
    )
    assert ctx.meeting is not None and ctx.meeting.id is not None
    button = bk.button(
        bk.label(locale, "btn_deck_shared"),
        action_id=ids.BTN_DECK_SHARED,
        value=bk.meeting_value(ctx.meeting.id),
    )
    blocks = [bk.section(p["chair_body"]), bk.actions(button)]
    return OutgoingMessage(text=bk.fallback(p["chair_text"]), blocks=bk.finish(blocks, locale=locale))


def meeting_reminder(ctx: Context) -> OutgoingMessage:
    meeting = ctx.meeting
    assert meeting is not None
    current = ctx.agenda()
    previous = ctx.session.get(Meeting, current.previous_meeting_id) if current.previous_meeting_id else None
    posted = previous is not None and previous.minutes_posted_at is not None
    p = ctx.parts(
        "notice_meeting_reminder",
        when=ctx.when(meeting.start),
        left=ctx.span(meeting.start - ctx.now),
        deck_link=link(meeting.deck_link, ctx.label("open_link")),
        deck_shared=meeting.deck_shared_at is not None,
        previous_when=ctx.when(previous.start) if previous is not None and posted else None,
        previous_link=link(previous.minutes_link, ctx.label("open_link"))
        if previous is not None and posted
        else None,
        previous_posted=ctx.when(previous.minutes_posted_at)
        if previous is not None and previous.minutes_posted_at
        else None,
    )
    body = [bk.section(p["body"]), *agenda_blocks(current, locale=ctx.locale)]
    body.append(bk.context(p["deck"]))
    body.append(bk.context(p["previous"]))
    return ctx.message(p["text"], body)


# -- Moves and cancellations ---------------------------------------------------------------------


def meeting_moved(ctx: Context) -> OutgoingMessage | None:
    """``data``: ``old_start`` and ``start`` (ISO), before and after the move, when known."""
    meeting = ctx.meeting
    assert meeting is not None
    moved_to = _iso(ctx.data.get("start"))
    if moved_to is not None and moved_to != meeting.start:
        return None  # moved again since: the later notice tells where it is now
    old = _iso(ctx.data.get("old_start") or ctx.data.get("previous_start"))
    p = ctx.parts(
        "notice_meeting_moved",
        when=ctx.when(meeting.start),
        local=ctx.local(meeting.start),
        old_when=ctx.when(old) if old is not None and old != meeting.start else None,
    )
    return ctx.message(p["text"], [bk.section(p["body"])])


def meeting_cancelled(ctx: Context) -> OutgoingMessage:
    """``data``: ``reason``, optional."""
    meeting = ctx.meeting
    assert meeting is not None
    p = ctx.parts(
        "notice_meeting_cancelled",
        when=ctx.when(meeting.start),
        local=ctx.local(meeting.start),
        reason=ctx.data.get("reason") or "",
    )
    return ctx.message(p["text"], [bk.section(p["body"])])


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
