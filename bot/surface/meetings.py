"""The Slack face of meetings (SPEC §7): what each ``/committee`` subcommand, meeting button and
meeting modal does, as functions of a session and plain values that return an ``Outcome`` for the
listener to deliver: a reply, a modal to open, the meeting that changed.

The rules live in ``bot.meetings.flows``; this module finds the committee and the meeting, calls those
flows and renders the answer in the reader's locale. Once a change is committed (and the request
acknowledged), ``after_meeting_committed`` edits the messages already posted and the App Homes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.models.views import View
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.calendar import localize, zone
from bot.core.dates import parse_date
from bot.core.parsing import plain_text
from bot.core.rules import requires_approval
from bot.delivery import edits
from bot.meetings import checks, flows, state, views
from bot.meetings.input import parse_meeting_time
from bot.slack.outcome import Outcome
from bot.slack.payloads import MeetingForm, MoveForm, OccurrenceRef, load
from bot.slack.users import Person
from bot.surface.home import publish_home
from bot.text.errors import InvalidInput, NoCommittee
from storage import meetings as store
from storage.committees import committee_by_channel
from storage.db import write_session
from storage.models import Committee, Meeting

log = logging.getLogger(__name__)

SUBCOMMANDS = ("next", "calendar", "agenda", "minutes", "move", "cancel", "help")
NEXT_LIMIT = 3
CALENDAR_LIMIT = 8


# -- /committee ------------------------------------------------------------------------------------


def run_command(
    session: Session,
    *,
    text: str,
    person: Person,
    channel: str | None,
    now: datetime,
    public_url: str | None = None,
) -> Outcome:
    """One ``/committee`` command typed by ``person`` in ``channel``."""
    locale = person.locale
    name, _, rest = (text or "").strip().partition(" ")
    name, rest = name.lower(), rest.strip()
    if name in ("", "help"):
        return Outcome(reply=views.help_reply(locale))
    if name not in SUBCOMMANDS:
        raise InvalidInput(
            key="unknown_committee_subcommand", locale=locale, name=name, usage=views.help_text(locale)
        )
    committee = committee_by_channel(session, channel=channel) if channel else None
    if committee is None:
        raise NoCommittee(locale=locale)
    if name == "next":
        entries = state.schedule(
            session, committee=committee, now=now, limit=NEXT_LIMIT, include_cancelled=False
        )
        return Outcome(reply=views.next_reply(committee=committee, entries=entries, locale=locale))
    if name == "calendar":
        entries = state.schedule(session, committee=committee, now=now, limit=CALENDAR_LIMIT)
        feed_url = f"{public_url}/calendar/{committee.feed_token}.ics" if public_url else None
        return Outcome(
            reply=views.calendar_reply(committee=committee, entries=entries, locale=locale, feed_url=feed_url)
        )
    if name == "agenda":
        meeting = state.resolve_meeting(session, committee=committee, now=now)
        # Slack escapes the command text (&amp;, <@U1|marie>): the input shows what was typed.
        return Outcome(
            modal=views.topic_modal(
                committee=committee,
                meeting=meeting,
                locale=locale,
                channel=channel,
                title=plain_text(rest) or None,
            )
        )
    if name == "minutes":
        checks.check_minutes_role(session, committee, person.user_id)
        meeting = state.minutes_meeting(session, committee=committee, now=now)
        return Outcome(modal=_minutes_modal(session, committee, meeting, person, channel, now))
    if name == "move":
        return _move(session, committee=committee, text=rest, person=person, channel=channel, now=now)
    return _cancel(session, committee=committee, text=rest, person=person, now=now)


def _move(
    session: Session, *, committee: Committee, text: str, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """``/committee move <date> [time]`` moves the next meeting; without a date, the move modal opens."""
    checks.check_chair(session, committee, person.user_id, "what_move_meeting")
    if not text:
        entries = state.schedule(
            session, committee=committee, now=now, limit=CALENDAR_LIMIT, include_cancelled=False
        )
        return Outcome(
            modal=views.move_modal(
                committee=committee, entries=entries, locale=person.locale, channel=channel
            )
        )
    meeting = state.resolve_meeting(session, committee=committee, now=now)
    local_start = meeting.start.astimezone(zone(committee.timezone))
    new_start = parse_meeting_time(
        text,
        now=now,
        tz=committee.timezone,
        default_time=local_start.time().replace(tzinfo=None),
        locale=person.locale,
    )
    flows.move_meeting(session, meeting_id=meeting.id, new_start=new_start, actor=person.user_id, now=now)  # type: ignore[arg-type]
    return _changed(committee, meeting, person, "moved")


def _cancel(session: Session, *, committee: Committee, text: str, person: Person, now: datetime) -> Outcome:
    """``/committee cancel [date]`` cancels the next meeting, or the one held on that date."""
    checks.check_chair(session, committee, person.user_id, "what_cancel_meeting")
    when: date | None = (
        parse_date(text, now=now, tz=committee.timezone, locale=person.locale) if text else None
    )
    meeting = state.resolve_meeting(session, committee=committee, when=when, now=now)
    flows.cancel_meeting(session, meeting_id=meeting.id, actor=person.user_id, now=now)  # type: ignore[arg-type]
    return _changed(committee, meeting, person, "cancelled")


# -- buttons -----------------------------------------------------------------------------------------


def open_topic(
    session: Session, *, meeting_id: int, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """Add a topic: the topic modal, for a meeting still to come."""
    meeting, committee = state.get_meeting(session, meeting_id=meeting_id)
    checks.check_open(meeting, committee, now, "what_add_topic")
    return Outcome(
        modal=views.topic_modal(committee=committee, meeting=meeting, locale=person.locale, channel=channel)
    )


def open_deck(session: Session, *, meeting_id: int, person: Person, channel: str | None) -> Outcome:
    """Mark deck shared: the deck modal, for the deck owner, the chair or an admin."""
    meeting, committee = state.get_meeting(session, meeting_id=meeting_id)
    checks.check_deck(session, meeting, committee, person.user_id)
    return Outcome(
        modal=views.deck_modal(committee=committee, meeting=meeting, locale=person.locale, channel=channel)
    )


def open_minutes(
    session: Session, *, meeting_id: int, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """Submit minutes: the minutes modal, pre-filled with what was submitted before."""
    meeting, committee = state.get_meeting(session, meeting_id=meeting_id)
    return Outcome(modal=_minutes_modal(session, committee, meeting, person, channel, now))


def approve(session: Session, *, meeting_id: int, person: Person, now: datetime) -> Outcome:
    """Approve: the minutes are posted in the channel (chair or admin)."""
    meeting = flows.approve_minutes(session, meeting_id=meeting_id, actor=person.user_id, now=now)
    committee = session.get(Committee, meeting.committee_id)
    assert committee is not None
    return _changed(committee, meeting, person, "approved")


def open_changes(session: Session, *, meeting_id: int, person: Person, channel: str | None) -> Outcome:
    """Request changes: the comment modal (chair or admin, minutes waiting for approval)."""
    meeting, committee = state.get_meeting(session, meeting_id=meeting_id)
    checks.check_chair(session, committee, person.user_id, "what_request_changes")
    checks.check_awaiting(meeting, committee)
    return Outcome(
        modal=views.changes_modal(committee=committee, meeting=meeting, locale=person.locale, channel=channel)
    )


def _minutes_modal(
    session: Session,
    committee: Committee,
    meeting: Meeting,
    person: Person,
    channel: str | None,
    now: datetime,
) -> View:
    checks.check_minutes_open(session, meeting, committee, person.user_id, now)
    decisions = [d.text for d in store.decisions(session, meeting_id=meeting.id)]  # type: ignore[arg-type]
    existing = [a.public_id for a in store.meeting_actions(session, meeting_id=meeting.id)]  # type: ignore[arg-type]
    return views.minutes_modal(
        committee=committee,
        meeting=meeting,
        locale=person.locale,
        channel=channel,
        decisions=decisions,
        existing_actions=existing,
        approval=requires_approval(committee),
    )


# -- modal submissions ---------------------------------------------------------------------------


def submit_topic(
    session: Session, *, metadata: str, view: dict[str, Any], person: Person, now: datetime
) -> Outcome:
    form = load(MeetingForm, metadata)
    values = views.form_values(view)
    item = flows.add_topic(
        session,
        meeting_id=form.meeting_id,
        title=values.get("title") or "",
        presenter=values.get("presenter"),
        duration=values.get("duration"),
        notes=values.get("notes"),
        link=values.get("link"),
        proposer=person.user_id,
        now=now,
    )
    meeting, committee = state.get_meeting(session, meeting_id=form.meeting_id)
    return _changed(committee, meeting, person, "topic_added", title=item.title)


def submit_deck(
    session: Session, *, metadata: str, view: dict[str, Any], person: Person, now: datetime
) -> Outcome:
    form = load(MeetingForm, metadata)
    values = views.form_values(view)
    meeting = flows.mark_deck_shared(
        session, meeting_id=form.meeting_id, link=values.get("link"), actor=person.user_id, now=now
    )
    committee = session.get(Committee, meeting.committee_id)
    assert committee is not None
    return _changed(committee, meeting, person, "deck_shared", link=meeting.deck_link)


def submit_minutes(
    session: Session, *, metadata: str, view: dict[str, Any], person: Person, now: datetime
) -> Outcome:
    form = load(MeetingForm, metadata)
    values = views.form_values(view)
    result = flows.submit_minutes(
        session,
        meeting_id=form.meeting_id,
        summary=values.get("summary") or "",
        decisions=views.text_lines(values.get("decisions")),
        action_lines=views.text_lines(values.get("actions")),
        attendees=values.get("attendees") or [],
        link=values.get("link"),
        actor=person.user_id,
        now=now,
    )
    meeting, committee = state.get_meeting(session, meeting_id=form.meeting_id)
    what = "minutes_awaiting" if result.awaiting_approval else "minutes_posted"
    return _changed(committee, meeting, person, what, decisions=len(result.decisions), actions=result.actions)


def submit_changes(
    session: Session, *, metadata: str, view: dict[str, Any], person: Person, now: datetime
) -> Outcome:
    form = load(MeetingForm, metadata)
    values = views.form_values(view)
    secretary = state.get_meeting(session, meeting_id=form.meeting_id)[0].minutes_submitted_by
    meeting = flows.request_minutes_changes(
        session,
        meeting_id=form.meeting_id,
        comment=values.get("comment") or "",
        actor=person.user_id,
        now=now,
    )
    committee = session.get(Committee, meeting.committee_id)
    assert committee is not None
    return _changed(
        committee, meeting, person, "changes_requested", secretary=secretary or committee.secretary
    )


def submit_move(
    session: Session, *, metadata: str, view: dict[str, Any], person: Person, now: datetime
) -> Outcome:
    form = load(MoveForm, metadata)
    values = views.form_values(view)
    committee = session.get(Committee, form.committee_id)
    if committee is None:
        raise NoCommittee(locale=person.locale)
    checks.check_chair(session, committee, person.user_id, "what_move_meeting")
    ref = load(OccurrenceRef, values.get("meeting"))
    new_start = _picked_time(values.get("when"), values.get("time"), committee, person.locale)
    meeting = state.meeting_for_series(session, committee=committee, series_start=ref.series_start, now=now)
    flows.move_meeting(session, meeting_id=meeting.id, new_start=new_start, actor=person.user_id, now=now)  # type: ignore[arg-type]
    return _changed(committee, meeting, person, "moved")


def _picked_time(day: str | None, clock: str | None, committee: Committee, locale: str) -> datetime:
    """The datepicker's and timepicker's values as an aware time in the committee's zone."""
    try:
        picked = datetime.combine(date.fromisoformat(day or ""), time.fromisoformat(clock or ""))
    except ValueError:
        raise InvalidInput(
            key="invalid_meeting_time", locale=locale, field="when", text=f"{day or ''} {clock or ''}".strip()
        ) from None
    return localize(picked, zone(committee.timezone))


# -- after the change ----------------------------------------------------------------------------


def _changed(committee: Committee, meeting: Meeting, person: Person, what: str, **context: Any) -> Outcome:
    """The confirmation of a change, the meeting to refresh and the App Homes that show it (the
    decks, minutes and next meetings people owe or attend; a topic shows in none)."""
    reply = views.confirmation(
        what, committee=committee, start=meeting.start, locale=person.locale, **context
    )
    return Outcome(
        reply=reply, meeting_id=meeting.id, users=tuple(dict.fromkeys(_homes(committee, person, what)))
    )


def _homes(committee: Committee, person: Person, what: str) -> tuple[str, ...]:
    if what == "deck_shared":
        return (committee.deck_owner, person.user_id)
    if what in ("minutes_posted", "minutes_awaiting", "approved", "changes_requested"):
        return (committee.secretary, committee.chair, person.user_id)
    if what in ("moved", "cancelled"):
        return (committee.chair, committee.secretary, committee.deck_owner, person.user_id)
    return ()


def after_meeting_committed(
    engine: Engine, client: WebClient, *, meeting_id: int, now: datetime, users: Iterable[str]
) -> None:
    """Once a meeting's change is committed: edit the messages already posted about it and refresh
    the App Homes of ``users`` (minutes and decks they owe, their next meetings). Never raises."""
    refresh_messages(engine, client, meeting_id=meeting_id, now=now)
    for user_id in dict.fromkeys(u for u in users if u):
        try:
            publish_home(engine, client, user_id=user_id, now=now)
        except Exception:
            log.exception("could not refresh the App Home of %s", user_id)


def refresh_messages(engine: Engine, client: WebClient, *, meeting_id: int, now: datetime) -> None:
    """Edit the bot's earlier messages about a meeting (agenda, deck, minutes) to show its state.

    Run by the Slack listeners after a flow's change is committed and the request acknowledged. A
    Slack failure is logged, not raised: the change stands, and the dispatcher's next pass refreshes.
    """
    try:
        with write_session(engine) as session:
            edits.refresh(session, client, meeting_id=meeting_id, now=now)
    except Exception:
        log.exception("could not refresh the messages of meeting %s", meeting_id)
