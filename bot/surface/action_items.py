"""The Slack face of action items (SPEC §5, §7): what each ``/action`` subcommand, button and modal
does, as functions of a session and plain values that return an ``Outcome`` for the listener to
deliver: a reply for the user, a modal to open, the item that changed.

The rules (who may change what, what is valid) live in ``bot.action_items.flows``; this module picks the
committee, reads the user's zone and locale, calls those flows and renders the answer. After a change
is committed, ``after_action_change`` re-plans the item's chase, edits the messages already posted
about it and refreshes the App Home of the people concerned.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.action_items import views
from bot.action_items.assignment import NOTE_KINDS, plan_thread_reply
from bot.action_items.flows import (
    check_can_change,
    clear_away,
    committee_chair,
    complete_action,
    create_action,
    edit_action,
    field_errors,
    is_workspace_admin,
    mute_action,
    postpone_action,
    reassign_action,
    set_away,
    snooze_choice,
    update_progress,
)
from bot.core.calendar import BusinessCalendar, business_calendar
from bot.core.commands import Command, parse_command
from bot.core.parsing import MENTION_RE, ActionDraft, parse_add, parse_date, plain_text
from bot.delivery.edits import refresh
from bot.delivery.tick import send_now
from bot.planning.outbox import replan_action
from bot.slack import view_kit
from bot.slack.limits import fit_escaped
from bot.slack.outcome import Outcome, Reply, reply
from bot.slack.payloads import ActionModal, ChangeForm, PendingCommand, RedateRef, SnoozeRef
from bot.slack.users import Person, display_names, know_user
from bot.surface.home import home_refresher
from bot.text.errors import InvalidInput, NoCommittee, NotFound
from bot.text.errors import text as error_text
from bot.text.render import render
from storage.action_items import get_action
from storage.committees import committee_by_channel, get_workspace, list_committees
from storage.db import write_session
from storage.home import committee_ids_of, open_actions_page
from storage.models import ActionItem, Committee

log = logging.getLogger(__name__)


# -- /action ---------------------------------------------------------------------------------


def run_command(
    session: Session, client: WebClient, *, text: str, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """One ``/action`` command typed by ``person`` in ``channel``."""
    command = parse_command(text, locale=person.locale)
    committee = committee_by_channel(session, channel=channel) if channel else None
    if command.name == "modal":
        if committee is None:
            return pick_committee(session, person=person, text="", channel=channel)
        return Outcome(
            modal=views.action_modal(
                ActionModal(committee_id=committee.id, channel=channel), locale=person.locale
            )
        )
    if command.name == "add":
        return add(
            session, client, command=command, person=person, committee=committee, channel=channel, now=now
        )
    if command.name == "list":
        return list_items(session, command=command, person=person, committee=committee, now=now)
    if command.name == "help":
        return Outcome(
            reply=reply(render(person.locale, "action_help", usage=error_text("usage", person.locale)))
        )
    if command.name == "away":
        return away(session, command=command, person=person, now=now)
    assert command.action_id is not None  # done, snooze, assign and edit all name an item
    if command.name == "done":
        return done(session, action_id=command.action_id, person=person, now=now)
    if command.name == "snooze":
        until = parse_date(command.text, now=now, tz=person.tz, locale=person.locale)
        return mute(session, action_id=command.action_id, until=until, person=person, now=now)
    if command.name == "postpone":
        due = parse_date(command.text, now=now, tz=person.tz, locale=person.locale)
        return postpone(session, action_id=command.action_id, due=due, person=person, now=now)
    if command.name == "assign":
        assert command.user is not None
        return reassign(
            session, client, action_id=command.action_id, new_owner=command.user, person=person, now=now
        )
    if command.name == "edit":
        return open_edit(session, action_id=command.action_id, person=person, channel=channel)
    raise AssertionError(f"parse_command returned an unknown subcommand {command.name!r}")


def add(
    session: Session,
    client: WebClient,
    *,
    command: Command,
    person: Person,
    committee: Committee | None,
    channel: str | None,
    now: datetime,
) -> Outcome:
    """``/action add``: create at once when owner, due date and title are there, else open the modal
    pre-filled; in a channel without a committee, offer to pick one."""
    draft = parse_add(command.text, now=now, tz=person.tz, locale=person.locale)
    if committee is None:
        return pick_committee(session, person=person, text=command.text, channel=channel)
    if draft.missing:
        meta = ActionModal(committee_id=committee.id, channel=channel)
        return Outcome(modal=views.action_modal(meta, locale=person.locale, form=_form(draft)))
    assert draft.owner is not None and draft.due is not None
    know_user(session, client, user_id=draft.owner, now=now)
    action = create_action(
        session,
        title=draft.title,
        owner=draft.owner,
        creator=person.user_id,
        due=draft.due,
        priority=draft.priority,
        committee_id=committee.id,
        now=now,
        today=person.today(now),
    )
    return created(session, action, committee, person, now=now)


def list_items(
    session: Session, *, command: Command, person: Person, committee: Committee | None, now: datetime
) -> Outcome:
    """``/action list [mine|overdue|all|<@U…>]`` as an ephemeral list.

    In a committee's channel the list covers that committee; elsewhere, the committees the user
    sits on and the items they own (workspace admins see every committee).
    """
    if committee is not None:
        scope_ids, also_owned_by = [committee.id], None
    elif is_workspace_admin(session, person.user_id):
        scope_ids, also_owned_by = None, None
    else:
        scope_ids, also_owned_by = committee_ids_of(session, user_id=person.user_id), person.user_id
    limit = views.LIST_LIMIT
    if command.scope == "mine":
        items, total = open_actions_page(session, owner=person.user_id, limit=limit)
    elif command.scope == "user":
        items, total = open_actions_page(session, owner=command.user, committee_ids=scope_ids, limit=limit)
    elif command.scope == "overdue":
        items, total = open_actions_page(
            session,
            committee_ids=scope_ids,
            also_owned_by=also_owned_by,
            due_before=person.today(now),
            limit=limit,
        )
    else:
        items, total = open_actions_page(
            session, committee_ids=scope_ids, also_owned_by=also_owned_by, limit=limit
        )
    heading = render(
        person.locale,
        "action_list_heading",
        scope=command.scope,
        user=command.user,
        committee=committee,
        total=total,
    )
    blocks = views.action_list(items, locale=person.locale, tz=person.tz, heading=heading, total=total)
    return Outcome(reply=Reply(text=heading, blocks=view_kit.as_dicts(blocks)))


def away(session: Session, *, command: Command, person: Person, now: datetime) -> Outcome:
    """``/action away until <date>`` / ``/action away off``."""
    if command.away_off:
        clear_away(session, user_id=person.user_id, now=now)
        return Outcome(reply=reply(render(person.locale, "action_away", until=None, tz=person.tz)))
    until = parse_date(command.text, now=now, tz=person.tz, locale=person.locale)
    set_away(session, user_id=person.user_id, until=until, now=now, today=person.today(now))
    return Outcome(reply=reply(render(person.locale, "action_away", until=until, tz=person.tz)))


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
    calendar = _calendar(session, action)
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
    previous = _load(session, action_id).owner
    know_user(session, client, user_id=new_owner, now=now)
    action = reassign_action(session, action_id=action_id, actor=person.user_id, new_owner=new_owner, now=now)
    return changed(action, "assigned", person, also=(previous,))


def open_edit(session: Session, *, action_id: int, person: Person, channel: str | None) -> Outcome:
    """``/action edit <id>``: the action modal, pre-filled, for someone allowed to change the item.

    A done or cancelled item shows no buttons anywhere any more: its edit is the progress modal,
    whose status field reopens it."""
    action = authorized(session, action_id=action_id, person=person)
    if action.status in views.CLOSED:
        return open_progress(session, action_id=action_id, person=person, channel=channel)
    meta = ActionModal(committee_id=action.committee_id, channel=channel, action_id=action.id)
    form = views.ActionForm(title=action.title, owner=action.owner, due=action.due, priority=action.priority)
    return Outcome(modal=views.action_modal(meta, locale=person.locale, form=form))


def pick_committee(session: Session, *, person: Person, text: str, channel: str | None) -> Outcome:
    """The ephemeral "this channel has no committee: pick one" (a select; picking opens the modal)."""
    committees = list_committees(session)
    blocks = views.pick_committee_blocks(committees, locale=person.locale, text=text, channel=channel)
    return Outcome(
        reply=Reply(
            text=render(person.locale, "action_pick_committee", count=len(committees)),
            blocks=view_kit.as_dicts(blocks),
        )
    )


# -- buttons and selects ---------------------------------------------------------------------


def snooze(session: Session, *, ref: SnoozeRef, person: Person, now: datetime) -> Outcome:
    """The former Snooze select (still on messages posted before Mute reminders): 1 business day or
    1 week from the user's today, on the committee's calendar."""
    action = _load(session, ref.action_id)
    until = snooze_choice(ref.choice, person.today(now), _calendar(session, action))
    return mute(session, action_id=action.id, until=until, person=person, now=now)  # type: ignore[arg-type]


def open_date(
    session: Session, *, action_id: int, kind: str, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """Postpone (``kind="postpone"``) or Mute reminders (``kind="mute"``): the date modal, for
    someone allowed to change the item. Mute starts at a week from today (a business day)."""
    action = authorized(session, action_id=action_id, person=person)
    _check_open(action)
    initial = None
    if kind == "mute":
        initial = snooze_choice("1w", person.today(now), _calendar(session, action))
    meta = ChangeForm(action_id=action_id, channel=channel)
    return Outcome(
        modal=views.date_modal(action, meta, kind=kind, locale=person.locale, tz=person.tz, initial=initial)
    )


def submit_date(
    session: Session,
    *,
    kind: str,
    picked: date | None,
    comment: str | None,
    meta: ChangeForm,
    person: Person,
    now: datetime,
) -> Outcome:
    """The postpone or mute modal submitted (errors under the date)."""
    field = "due" if kind == "postpone" else "until"
    if picked is None:
        raise InvalidInput(key="invalid_date", locale=person.locale, field=field, text="—")
    try:
        if kind == "postpone":
            return postpone(
                session, action_id=meta.action_id, due=picked, person=person, now=now, comment=comment
            )
        return mute(session, action_id=meta.action_id, until=picked, person=person, now=now)
    except InvalidInput as error:
        if error.key is None or len(error.errors) > 1:
            raise
        raise InvalidInput(key=error.key, locale=person.locale, field=field, **error.params) from None


def open_progress(session: Session, *, action_id: int, person: Person, channel: str | None) -> Outcome:
    """Update progress: the modal (status, %, comment) for someone allowed to change the item."""
    action = authorized(session, action_id=action_id, person=person)
    meta = ChangeForm(action_id=action_id, channel=channel)
    return Outcome(modal=views.progress_modal(action, meta, locale=person.locale, tz=person.tz))


def open_reassign(session: Session, *, action_id: int, person: Person, channel: str | None) -> Outcome:
    """Reassign: a modal with a user picker, for someone allowed to change the item."""
    action = authorized(session, action_id=action_id, person=person)
    _check_open(action)
    meta = ChangeForm(action_id=action_id, channel=channel)
    return Outcome(modal=views.reassign_modal(action, meta, locale=person.locale, tz=person.tz))


def picked_committee(
    session: Session, *, committee_id: int, pending: PendingCommand, person: Person, now: datetime
) -> Outcome:
    """A committee picked in the ephemeral: the action modal for it, pre-filled with what was typed."""
    committee = session.get(Committee, committee_id)
    if committee is None:
        raise NotFound(key="committee_not_found", locale=person.locale, committee=committee_id)
    try:
        form = _form(parse_add(pending.text, now=now, tz=person.tz, locale=person.locale))
    except InvalidInput:
        form = views.ActionForm()  # the modal will say what is wrong with it
    meta = ActionModal(committee_id=committee.id, channel=pending.channel)
    return Outcome(modal=views.action_modal(meta, locale=person.locale, form=form))


def open_from_message(
    session: Session,
    client: WebClient,
    *,
    person: Person,
    channel: str | None,
    text: str,
    thread_ts: str | None,
    source_link: str | None,
    now: datetime,
) -> Outcome:
    """The message shortcut "Create action item": the message read with ``/action add``'s grammar
    (owner, due date, priority, the rest as the title), the modal pre-filled with it in readable
    text (mentions as ``@name``), and the item, once created, posted in the message's thread.

    A message the grammar refuses (a past or impossible date) pre-fills the title only: the modal's
    date picker asks for the due date."""
    try:
        form = _form(parse_add(text, now=now, tz=person.tz, locale=person.locale))
    except InvalidInput:
        form = views.ActionForm(title=text)
    form = views.ActionForm(
        title=readable(client, form.title), owner=form.owner, due=form.due, priority=form.priority
    )
    return open_new(
        session, person=person, channel=channel, source_link=source_link, thread_ts=thread_ts, form=form
    )


def readable(client: WebClient, text: str) -> str:
    """Slack message text as a person reads it: ``<@U1>`` as ``@name`` (asked of Slack, ten at
    most), then ``plain_text`` (escapes undone, labelled mentions, channels and links)."""
    names = display_names(client, list(dict.fromkeys(MENTION_RE.findall(text)))[:10])
    text = MENTION_RE.sub(lambda m: f"@{names[m.group(1)]}" if m.group(1) in names else m.group(0), text)
    return plain_text(text)


def open_new(
    session: Session,
    *,
    person: Person,
    channel: str | None = None,
    title: str = "",
    source_link: str | None = None,
    thread_ts: str | None = None,
    form: views.ActionForm | None = None,
) -> Outcome:
    """The action modal from the App Home or a message shortcut: the channel's committee when it
    has one, else a select of the active committees, the user's own first."""
    committee = committee_by_channel(session, channel=channel) if channel else None
    meta = ActionModal(
        committee_id=committee.id if committee else None,
        channel=channel,
        source_link=source_link,
        thread_ts=thread_ts,
    )
    committees: list[Committee] = []
    if committee is None:
        committees = list_committees(session)
        if not committees:
            raise NoCommittee(locale=person.locale)
        mine = set(committee_ids_of(session, user_id=person.user_id))
        committees.sort(key=lambda c: (c.id not in mine, c.id))
    # A shortcut's message text comes escaped by Slack: the input shows what was written.
    form = form or views.ActionForm(title=plain_text(title))
    form = views.ActionForm(
        title=form.title[: views.MAX_TITLE_CHARS], owner=form.owner, due=form.due, priority=form.priority
    )
    return Outcome(modal=views.action_modal(meta, locale=person.locale, form=form, committees=committees))


# -- modal submissions -----------------------------------------------------------------------


def submit_action(
    session: Session,
    client: WebClient,
    *,
    form: views.ActionForm,
    picked_committee_id: int | None,
    meta: ActionModal,
    person: Person,
    now: datetime,
) -> Outcome:
    """The action modal submitted: create the item, or edit it (``meta.action_id``)."""
    missing = [
        InvalidInput(key="invalid_owner", locale=person.locale, field="owner", value="—")
        if not form.owner
        else None,
        InvalidInput(key="invalid_date", locale=person.locale, field="due", text="—")
        if form.due is None
        else None,
    ]
    if any(missing):
        # Every field at once: what is missing, and what is wrong with the rest.
        others = field_errors(
            session, title=form.title, owner=form.owner, due=form.due, priority=form.priority,
            today=person.today(now),
        )  # fmt: skip
        raise InvalidInput.combine([error for error in missing if error] + others)
    assert form.owner is not None and form.due is not None
    know_user(session, client, user_id=form.owner, now=now)
    if meta.action_id is not None:
        return submit_edit(session, form=form, meta=meta, person=person, now=now)
    committee_id = meta.committee_id or picked_committee_id
    committee = session.get(Committee, committee_id) if committee_id is not None else None
    if committee is None:
        raise InvalidInput(key="no_committee", locale=person.locale, field="committee")
    action = create_action(
        session,
        title=form.title,
        owner=form.owner,
        creator=person.user_id,
        due=form.due,
        priority=form.priority or "medium",
        committee_id=committee.id,
        meeting_id=meta.meeting_id,
        source_link=meta.source_link,
        now=now,
        today=person.today(now),
    )
    if meta.thread_ts and meta.channel:
        plan_thread_reply(session, action, channel=meta.channel, thread_ts=meta.thread_ts, now=now)
    return created(session, action, committee, person, now=now)


def submit_edit(
    session: Session, *, form: views.ActionForm, meta: ActionModal, person: Person, now: datetime
) -> Outcome:
    assert meta.action_id is not None and form.owner is not None
    previous = _load(session, meta.action_id).owner
    action = edit_action(
        session,
        action_id=meta.action_id,
        actor=person.user_id,
        now=now,
        title=form.title,
        due=form.due,
        priority=form.priority,
        today=person.today(now),
    )
    if form.owner != action.owner:
        action = reassign_action(
            session, action_id=meta.action_id, actor=person.user_id, new_owner=form.owner, now=now
        )
    note = due_note(session, action, person, now=now)
    return changed(action, "edited", person, also=(previous,), note=note)


def submit_progress(
    session: Session, *, form: views.ProgressForm, meta: ChangeForm, person: Person, now: datetime
) -> Outcome:
    """The progress modal submitted."""
    action = update_progress(
        session,
        action_id=meta.action_id,
        actor=person.user_id,
        status=form.status,
        progress=form.progress,
        comment=form.comment,
        now=now,
    )
    return changed(action, "progress", person)


# -- after a change --------------------------------------------------------------------------


def after_action_change(
    engine: Engine, client: WebClient, *, action_id: int, now: datetime, users: Iterable[str]
) -> None:
    """Once a change of an item is committed: re-plan its chase, edit the messages already posted
    about it, and refresh the App Home of ``users`` (an App Home lists the items one owns). Never raises: the change itself is done, and
    the scheduler re-reads the item before it sends anything; a failure is logged with a reference."""
    try:
        with write_session(engine) as session:
            replan_action(session, action_id=action_id, now=now)
        with write_session(engine) as session:
            refresh(session, client, action_id=action_id, now=now)
    except Exception:
        log.exception(
            "after change of action A%s: re-plan or refresh failed (ref %s)", action_id, secrets.token_hex(3)
        )
    try:
        # The owner's assignment DM (and the previous owner's note) were queued with the change.
        send_now(engine, client, action_id=action_id, kinds=NOTE_KINDS, now=now)
    except Exception:
        log.exception(
            "after change of action A%s: assignment DMs left to the next tick (ref %s)",
            action_id,
            secrets.token_hex(3),
        )
    for user_id in dict.fromkeys(u for u in users if u):
        try:
            home_refresher.publish(engine, client, user_id=user_id, now=now)
        except Exception:
            log.exception(
                "after change of action A%s: App Home of %s not published (ref %s)",
                action_id,
                user_id,
                secrets.token_hex(3),
            )


# -- helpers ---------------------------------------------------------------------------------


def authorized(session: Session, *, action_id: int, person: Person) -> ActionItem:
    """The item, if ``person`` may change it; else PermissionDenied naming who may."""
    action = _load(session, action_id)
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
    calendar = _calendar(session, action)
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


def _load(session: Session, action_id: int) -> ActionItem:
    action = get_action(session, action_id)
    if action is None:
        raise NotFound(key="action_not_found", action=f"A{action_id}")
    return action


def _check_open(action: ActionItem) -> None:
    if action.status in views.CLOSED:
        raise InvalidInput(key=f"action_closed_{action.status}", action=action.public_id)


def _calendar(session: Session, action: ActionItem) -> BusinessCalendar:
    committee = session.get(Committee, action.committee_id) if action.committee_id is not None else None
    return business_calendar(committee, get_workspace(session))


def _form(draft: ActionDraft) -> views.ActionForm:
    return views.ActionForm(title=draft.title, owner=draft.owner, due=draft.due, priority=draft.priority)
