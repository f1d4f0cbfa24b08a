"""What the action-item flows answer: the confirmation of a change (with a due-date note when the day
is not a business day), and the checks they share (the item, who may change it)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.action_items import modals, views
from bot.action_items.flows import (
    check_can_change,
    committee_chair,
    is_workspace_admin,
)
from bot.core.calendar import BusinessCalendar, business_calendar
from bot.core.parsing import ActionDraft
from bot.slack import view_kit
from bot.slack.limits import fit_escaped
from bot.slack.outcome import Outcome, Reply
from bot.slack.users import Person
from bot.text.errors import InvalidInput, NotFound
from bot.text.render import render
from storage.action_items import get_action
from storage.committees import get_workspace
from storage.models import ActionItem, Committee


def authorized(session: Session, *, action_id: int, person: Person) -> ActionItem:
    """The item, if ``person`` may change it; else PermissionDenied naming who may."""
    action = load_item(session, action_id)
    check_can_change(
        action,
        actor=person.user_id,
        chair=committee_chair(session, action.committee_id),
        is_admin=is_workspace_admin(session, person.user_id),
    )
    return action


def created(
    session: Session, action: ActionItem, committee: Committee, person: Person, *, now: datetime
) -> Outcome:
    """The confirmation of a new item: due date as a Slack date token, and the committee's zone;
    under it, a note when the due date is not a business day."""
    text = render(
        person.locale,
        "action_created",
        action=action,
        title=fit_escaped(action.title, 2000),
        committee=committee,
        tz=committee.timezone,
        labels=views.labels(person.locale),
    )
    note = due_note(session, action, person, now=now)
    return Outcome(reply=with_note(text, note), action_id=action.id, users=(action.owner,))


def due_note(session: Session, action: ActionItem, person: Person, *, now: datetime) -> list[dict[str, Any]]:
    """When the due date is not a business day for the item's committee (its workdays and
    holidays): a note, and a button to the business day before (unless that one is already past)."""
    calendar = calendar_of(session, action)
    if calendar.is_business_day(action.due):
        return []
    previous: date | None = calendar.on_or_before(action.due)
    if previous is not None and previous < person.today(now):
        previous = None
    blocks = views.due_note_blocks(
        action, locale=person.locale, tz=person.tz, holiday=calendar.is_holiday(action.due), previous=previous
    )
    return view_kit.as_dicts(blocks)


def with_note(text: str, note: list[dict[str, Any]]) -> Reply:
    """A confirmation's text, with the due-date note under it."""
    return Reply(text=text, blocks=[*view_kit.message_blocks(text), *note])


def changed(
    action: ActionItem,
    change: str,
    person: Person,
    *,
    also: Iterable[str] = (),
    note: list[dict[str, Any]] | None = None,
) -> Outcome:
    """The confirmation of a change to an existing item (with the due-date note, if any)."""
    text = render(
        person.locale,
        "action_changed",
        change=change,
        action=action,
        title=fit_escaped(action.title, 2000),
        tz=person.tz,
        labels=views.labels(person.locale),
    )
    return Outcome(reply=with_note(text, note or []), action_id=action.id, users=(action.owner, *also))


def load_item(session: Session, action_id: int) -> ActionItem:
    action = get_action(session, action_id)
    if action is None:
        raise NotFound(key="action_not_found", action=f"A{action_id}")
    return action


def check_open(action: ActionItem) -> None:
    if action.status in views.CLOSED:
        raise InvalidInput(key=f"action_closed_{action.status}", action=action.public_id)


def calendar_of(session: Session, action: ActionItem) -> BusinessCalendar:
    committee = session.get(Committee, action.committee_id) if action.committee_id is not None else None
    return business_calendar(committee, get_workspace(session))


def form_of(draft: ActionDraft) -> modals.ActionForm:
    return modals.ActionForm(title=draft.title, owner=draft.owner, due=draft.due, priority=draft.priority)
