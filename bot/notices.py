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
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot import blocks as bk
from bot import ids, minutes_versions, timeline
from bot import meetings as meeting_flows  # a module, not names: meetings → dispatch → notices is a cycle
from bot.health import workspace_settings
from bot.render import LOCALES, normalize_locale, slack_date, slack_day, slack_escape
from bot.views import action_block
from storage import meetings as meeting_store
from storage.actions import open_actions_for_owner
from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    Committee,
    CommitteeMember,
    DeliveryState,
    Meeting,
    MeetingStatus,
    MinutesVersion,
    Notification,
    SlackUser,
)

if TYPE_CHECKING:
    from bot.meetings import Agenda, MinutesState

Block = dict[str, Any]


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to post.

    ``also`` holds secondary direct messages that go with this one, as ``(user id, message)``
    pairs: e.g. the chair's DM when ``agenda_published`` finds the deck missing. The dispatcher
    posts them right after the main message, once (their idempotency follows the main
    notification's key: ``f"{key}:also:{index}"``); a failure to send one does not fail the main one.
    """

    text: str  # fallback text (notifications, screen readers)
    blocks: list[dict[str, Any]] = field(default_factory=list)  # Block Kit, as dicts (Block.to_dict())
    also: list[tuple[str, OutgoingMessage]] = field(default_factory=list)


PRE_MEETING = timeline.PRE_MEETING_KINDS  # expire at T
# Sent when someone acts on a meeting (bot.meetings inserts them), not planned by the timeline.
EVENT_KINDS = (
    "minutes_approval",
    "minutes_posted",
    "minutes_changes_requested",
    "meeting_moved",
    "meeting_cancelled",
)
MEETING_KINDS = timeline.MEETING_KINDS + EVENT_KINDS  # about one meeting: None once it is cancelled
ACTION_CHASES = timeline.ACTION_KINDS
MAX_AGENDA_ACTIONS = 15  # action lines shown under the action review
MAX_TOPICS = 20
MAX_MINUTES_ACTIONS = 20
MAX_UNREACHABLE_ACTIONS = 10  # each takes two blocks


# -- Entry point ---------------------------------------------------------------------------------


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
        if notification.kind in PRE_MEETING + ("meeting_moved", "meeting_cancelled") and now >= meeting.start:
            return None
    ctx = Context(session, notification, now, committee, meeting, action)
    return builder(ctx)


def build_many(
    session: Session, notifications: Sequence[Notification], *, now: datetime
) -> list[OutgoingMessage | None]:
    """``build`` for each notification, in order, with the weekly digests of many channels rendered
    together from a few bulk queries (a dispatcher that claims a batch on Monday 09:00 should call
    this rather than ``build`` thousands of times)."""
    from bot.digest import weekly_digests  # the digest module builds on this one

    live: dict[int, Committee] = {}  # notification index -> its committee, for the digests still wanted
    for index, notification in enumerate(notifications):
        if notification.kind == "weekly_digest":
            committee = _live_committee(session, notification, now)
            if committee is not None:
                live[index] = committee
    digests = weekly_digests(session, committees=list({c.id: c for c in live.values()}.values()), now=now)
    return [
        (digests[live[index].id] if index in live else None)  # type: ignore[index]
        if notification.kind == "weekly_digest"
        else build(session, notification, now=now)
        for index, notification in enumerate(notifications)
    ]


def _live_committee(session: Session, notification: Notification, now: datetime) -> Committee | None:
    """The notification's committee, unless the notification expired or the committee is gone or
    inactive (a delivery failure is still reported to the chair of an inactive committee)."""
    if notification.expires_at is not None and now >= notification.expires_at:
        return None
    committee = session.get(Committee, notification.committee_id) if notification.committee_id else None
    if committee is None or (not committee.active and notification.kind != "delivery_failed"):
        return None
    return committee


# -- What every builder needs --------------------------------------------------------------------


class Context:
    """The notification, its subject rows, the reader's locale and the date helpers."""

    def __init__(
        self,
        session: Session,
        notification: Notification,
        now: datetime,
        committee: Committee,
        meeting: Meeting | None,
        action: ActionItem | None,
    ) -> None:
        self.session = session
        self.notification = notification
        self.now = now
        self.committee = committee
        self.meeting = meeting
        self.action = action
        self.data: dict[str, Any] = dict(notification.data or {})
        self.tz = committee.timezone
        self.locale = reader_locale(session, notification.recipient, committee)
        self._agenda: Agenda | None = None

    # Wording
    def parts(self, name: str, **values: Any) -> dict[str, str]:
        return bk.parts(self.locale, name, name=self.committee.name, channel=self.committee.channel, **values)

    def label(self, name: str, **values: Any) -> str:
        return bk.label(self.locale, name, **values)

    # Dates
    def when(self, moment: datetime) -> str:
        return slack_date(moment, fallback_tz=self.tz)

    def day(self, day: date, tz: str | None = None) -> str:
        return slack_day(day, tz or self.tz)

    def local(self, moment: datetime) -> str:
        """The committee's own wall-clock time, with its zone (confirmations name it, SPEC §7)."""
        stamp = moment.astimezone(ZoneInfo(self.tz)).strftime("%Y-%m-%d %H:%M")
        return self.label("local_time", moment=stamp, tz=self.tz)

    def span(self, delta: timedelta) -> str:
        return bk.span(self.locale, delta)

    def agenda(self) -> Agenda:
        """The meeting's agenda as it stands (``bot.meetings.agenda``), deck due time included."""
        if self._agenda is None:
            assert self.meeting is not None and self.meeting.id is not None
            self._agenda = meeting_flows.agenda(self.session, meeting_id=self.meeting.id, now=self.now)
        return self._agenda

    def minutes(self) -> MinutesState:
        """Where the meeting's minutes stand, who holds them and when they are due."""
        assert self.meeting is not None
        return meeting_flows.minutes_state(
            self.committee, workspace_settings(self.session), self.meeting, self.now
        )

    def message(
        self, text: str, blocks: list[Block], also: list[tuple[str, OutgoingMessage]] | None = None
    ) -> OutgoingMessage:
        return OutgoingMessage(
            text=bk.fallback(text), blocks=bk.finish(blocks, locale=self.locale), also=also or []
        )


def is_user(recipient: str) -> bool:
    """Slack user ids start with U or W; channels with C, G or D."""
    return recipient[:1] in ("U", "W")


def reader_locale(session: Session, recipient: str, committee: Committee) -> str:
    """The committee's locale in its channel; in a DM, the reader's Slack locale when we speak it."""
    if is_user(recipient):
        user = session.get(SlackUser, recipient)
        short = (user.locale or "").replace("_", "-").split("-")[0].lower() if user else ""
        if short in LOCALES:
            return short
    return normalize_locale(committee.locale)


def user_tz(session: Session, user_id: str, default: str) -> str:
    user = session.get(SlackUser, user_id)
    return user.tz if user is not None and user.tz else default


def link(url: str | None, label: str) -> str | None:
    """A Slack link to ``url`` (http/https only); any other text is shown as escaped text."""
    if not url:
        return None
    url = url.strip()
    if url.lower().startswith(("http://", "https://")):
        return f"<{slack_escape(url).replace('|', '%7C')}|{slack_escape(label)}>"
    return slack_escape(url)


def meeting_button(ctx: Context, label_name: str, action_id: str, style: str | None = None) -> Block:
    assert ctx.meeting is not None and ctx.meeting.id is not None
    return bk.button(
        ctx.label(label_name), action_id=action_id, value=bk.meeting_value(ctx.meeting.id), style=style
    )


# -- The agenda (SPEC §4) ------------------------------------------------------------------------


def action_line(
    locale: str, *, public_id: str, title: str, owner: str, due: date, overdue: bool, progress: int, tz: str
) -> str:
    return bk.label(
        locale,
        "action_line",
        public_id=public_id,
        title=title,
        owner=owner,
        due=slack_day(due, tz),
        overdue=overdue,
        progress=progress,
    )


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
        days=timeline.rules_for(ctx.committee).deck_due_business_days,
    )
    body = [bk.section(p["body"]), *agenda_blocks(ctx.agenda(), locale=ctx.locale)]
    body.append(bk.actions(meeting_button(ctx, "btn_deck_shared", ids.BTN_DECK_SHARED, "primary")))
    return ctx.message(p["text"], body)


def agenda_published(ctx: Context) -> OutgoingMessage:
    meeting, committee = ctx.meeting, ctx.committee
    assert meeting is not None
    deck_due = ctx.when(ctx.agenda().deck_due)
    values = dict(
        when=ctx.when(meeting.start),
        deck_due=deck_due,
        deck_owner=committee.deck_owner,
        deck_link=link(meeting.deck_link, ctx.label("open_link")),
    )
    p = ctx.parts("notice_agenda_published", **values)
    body = [bk.section(p["body"]), *agenda_blocks(ctx.agenda(), locale=ctx.locale)]
    also: list[tuple[str, OutgoingMessage]] = []
    if meeting.deck_shared_at is not None:
        body.append(bk.section(p["deck"]))
    elif ctx.now < ctx.agenda().deck_due:
        # Posted for an earlier slot, edited after a move: the deck is not due yet.
        body.append(bk.section(p["pending"]))
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


# -- After the meeting: minutes ------------------------------------------------------------------


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


def _approval_buttons(ctx: Context, version: int | None = None) -> Block:
    """Approve and Request changes; with ``version``, they act on that minutes version only."""
    assert ctx.meeting is not None and ctx.meeting.id is not None
    value = bk.meeting_value(ctx.meeting.id, version)
    return bk.actions(
        bk.button(ctx.label("btn_approve"), action_id=ids.BTN_MINUTES_APPROVE, value=value, style="primary"),
        bk.button(ctx.label("btn_changes"), action_id=ids.BTN_MINUTES_CHANGES, value=value),
    )


def _superseded(session: Session, notification: Notification, meeting: Meeting) -> MinutesVersion | None:
    """The latest minutes version when it is not the one this approval request shows, else None."""
    version = (notification.data or {}).get("version")
    current = minutes_versions.latest(session, meeting_id=meeting.id)  # type: ignore[arg-type]
    if version is None or current is None or current.number == version:
        return None
    return current


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
    if ctx.minutes().status != "awaiting_approval" or _superseded(ctx.session, ctx.notification, meeting):
        return None  # approved, sent back, or replaced by the request of a newer version
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
    body += [bk.divider(), _approval_buttons(ctx, ctx.data.get("version"))]
    return ctx.message(p["text"], body)


def minutes_posted(ctx: Context) -> OutgoingMessage | None:
    """The minutes in the channel, once submitted and approved (or at once when no approval is needed).

    Still built after posting, so that the dispatcher can refresh the posted message.
    """
    meeting = ctx.meeting
    assert meeting is not None
    if ctx.minutes().status not in ("submitted", "posted"):
        return None
    current = minutes_versions.latest(ctx.session, meeting_id=meeting.id)  # type: ignore[arg-type]
    amended = current is not None and current.kind == minutes_versions.AMENDED
    p = ctx.parts(
        "notice_minutes_posted",
        when=ctx.when(meeting.start),
        amended_by=current.author if amended else None,
        amended_at=ctx.when(current.created_at) if amended else None,
        version=current.number if current else 1,
    )
    body = [bk.section(p["body"]), *minutes_blocks(ctx.session, ctx.committee, meeting, locale=ctx.locale)]
    if amended:
        body.append(bk.context(p["amended"]))
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


# -- Moves and cancellations ---------------------------------------------------------------------


def meeting_moved(ctx: Context) -> OutgoingMessage | None:
    """The one move notice of an occurrence, edited on each further move: the slot as originally
    scheduled and the current one. ``data``: ``original_start`` (ISO), ``by``."""
    meeting = ctx.meeting
    assert meeting is not None
    original = _iso(ctx.data.get("original_start")) or meeting_flows.original_start(
        ctx.session, committee=ctx.committee, meeting=meeting
    )
    back = original == meeting.start
    p = ctx.parts(
        "notice_meeting_moved",
        when=ctx.when(meeting.start),
        local=ctx.local(meeting.start),
        old_when=ctx.when(original),
        old_local=ctx.local(original),
        back=back,
        by=ctx.data.get("by"),
    )
    return ctx.message(p["text"], [bk.section(p["body"])])


def meeting_cancelled(ctx: Context) -> OutgoingMessage:
    """The one cancellation notice of an occurrence, with Restore. ``data``: ``reason``, ``by``."""
    meeting = ctx.meeting
    assert meeting is not None
    p = ctx.parts(
        "notice_meeting_cancelled",
        when=ctx.when(meeting.start),
        local=ctx.local(meeting.start),
        reason=ctx.data.get("reason") or "",
        by=ctx.data.get("by"),
    )
    restore = meeting_button(ctx, "btn_restore", ids.BTN_MEETING_RESTORE)
    return ctx.message(p["text"], [bk.section(p["body"]), bk.actions(restore)])


def _local_label(moment: datetime, tz: str) -> str:
    return f"{moment.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M} ({tz})"


def _iso(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# -- Action items (SPEC §5) ----------------------------------------------------------------------


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
    else:
        if ctx.notification.recipient != action.owner or unreachable(owner, today):
            return None
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


# -- Delivery failures (SPEC §9) -----------------------------------------------------------------

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
    reason_block = _REASONS.get(error.split(":")[0].strip(), "reason_other")
    reason = bk.piece(ctx.locale, "notice_delivery_failed", reason_block, error=error)
    p = ctx.parts("notice_delivery_failed", what=what, where=where, reason=reason, error=error)
    return ctx.message(p["text"], [bk.section(p["body"])])


# -- Posted messages that have nothing more to ask -----------------------------------------------


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
        blocks = [bk.section(line), *[b.to_dict() for b in action_block(action, locale=locale, tz=reader)]]
        return OutgoingMessage(text=bk.fallback(line), blocks=bk.finish(blocks, locale=locale))

    if kind == "owner_unreachable":
        # Every action it listed has a reachable owner again (reassigned, done, cancelled).
        owner = data.get("owner")
        if not owner or open_actions_for_owner(session, owner, committee_id=committee.id):
            return None
        line = piece("owner_covered", owner=owner)
        return OutgoingMessage(text=bk.fallback(line), blocks=[bk.section(line)])

    meeting = session.get(Meeting, notification.meeting_id) if notification.meeting_id else None
    if kind not in MEETING_KINDS or meeting is None:
        return None
    line = None
    if kind == "meeting_cancelled" and meeting.status != MeetingStatus.cancelled.value:
        # Restored since: the notice says so, without its Restore button.
        line = piece(
            "restored",
            by=data.get("restored_by"),
            at=when(_iso(data.get("restored_at")) or now),
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
        newer = _superseded(session, notification, meeting)
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


# -- Weekly digest (SPEC §6) ---------------------------------------------------------------------


def weekly_digest(ctx: Context) -> OutgoingMessage:
    from bot.digest import weekly_digest as digest  # the digest module builds on this one

    return digest(ctx.session, committee=ctx.committee, now=ctx.now)


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
}
