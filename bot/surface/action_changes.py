"""Changes to one action item from a button or a subcommand: done, reassign, postpone, mute, the
previous business day, the former snooze."""

from __future__ import annotations

from datetime import date, datetime

from slack_sdk import WebClient
from sqlmodel import Session

from bot.action_items.flows import (
    complete_action,
    edit_action,
    mute_action,
    postpone_action,
    reassign_action,
    snooze_choice,
)
from bot.slack.outcome import Outcome
from bot.slack.payloads import RedateRef, SnoozeRef
from bot.slack.users import Person
from bot.surface.item_replies import authorized, calendar_of, changed, due_note, load_item
from storage.models import id_of


def done(session: Session, *, action_id: int, person: Person, now: datetime) -> Outcome:
    """``/action done <id>`` and the Done button."""
    action = complete_action(session, action_id=action_id, actor=person.user_id, now=now)
    return changed(action, "done", person)


def postpone(
    session: Session,
    *,
    action_id: int,
    due: date,
    person: Person,
    now: datetime,
    comment: str | None = None,
) -> Outcome:
    """``/action postpone <id> <date>`` and the Postpone modal: a new, later due date (kept in the
    history, counted as postponed in the health figures)."""
    action = postpone_action(
        session,
        action_id=action_id,
        actor=person.user_id,
        due=due,
        now=now,
        today=person.today(now),
        comment=comment,
    )
    return changed(action, "postponed", person, note=due_note(session, action, person, now=now))


def mute(session: Session, *, action_id: int, until: date, person: Person, now: datetime) -> Outcome:
    """``/action snooze <id> <date>`` and the Mute reminders modal: no reminder until ``until``;
    the due date stays."""
    action = mute_action(
        session, action_id=action_id, actor=person.user_id, until=until, now=now, today=person.today(now)
    )
    return changed(action, "snoozed", person)


def previous_business_day(session: Session, *, ref: RedateRef, person: Person, now: datetime) -> Outcome:
    """The "previous business day" button under a due date that is not one. A click after the due
    date changed again changes nothing and shows the item as it is."""
    action = authorized(session, action_id=ref.action_id, person=person)
    if action.due.isoformat() != ref.due:
        return changed(action, "edited", person)
    calendar = calendar_of(session, action)
    action = edit_action(
        session,
        action_id=action.id,  # type: ignore[arg-type]
        actor=person.user_id,
        now=now,
        due=calendar.on_or_before(action.due),
        today=person.today(now),
    )
    return changed(action, "edited", person)


def reassign(
    session: Session, client: WebClient, *, action_id: int, new_owner: str, person: Person, now: datetime
) -> Outcome:
    """``/action assign <id> <@U…>`` and the reassign modal."""
    previous = load_item(session, action_id).owner
    action = reassign_action(session, action_id=action_id, actor=person.user_id, new_owner=new_owner, now=now)
    return changed(action, "assigned", person, also=(previous,))


def snooze(session: Session, *, ref: SnoozeRef, person: Person, now: datetime) -> Outcome:
    """The former Snooze select (still on messages posted before Mute reminders): 1 business day or
    1 week from the user's today, on the committee's calendar."""
    action = load_item(session, ref.action_id)
    until = snooze_choice(ref.choice, person.today(now), calendar_of(session, action))
    return mute(session, action_id=id_of(action), until=until, person=person, now=now)
