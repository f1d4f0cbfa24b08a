"""The action-item modals: opening them (new item, edit, progress, reassign, postpone or mute, from a
message shortcut) and saving what was submitted."""

from __future__ import annotations

from datetime import date, datetime

from slack_sdk import WebClient
from sqlmodel import Session

from bot.action_items import modals, views
from bot.action_items.assignment import plan_thread_reply
from bot.action_items.flows import (
    create_action,
    edit_action,
    reassign_action,
    snooze_choice,
    update_progress,
)
from bot.action_items.validation import field_errors
from bot.core.parsing import MENTION_RE, parse_add, plain_text
from bot.slack import view_kit
from bot.slack.outcome import Outcome, Reply
from bot.slack.payloads import ActionModal, ChangeForm, PendingCommand
from bot.slack.users import Person, display_names
from bot.surface.action_changes import mute, postpone
from bot.surface.item_replies import (
    authorized,
    calendar_of,
    changed,
    check_open,
    created,
    due_note,
    form_of,
    load_item,
)
from bot.text.errors import InvalidInput, NoCommittee, NotFound
from bot.text.render import render
from storage.committees import committee_by_channel, list_committees
from storage.home import committee_ids_of
from storage.models import Committee


def open_edit(session: Session, *, action_id: int, person: Person, channel: str | None) -> Outcome:
    """``/action edit <id>``: the action modal, pre-filled, for someone allowed to change the item.

    A done or cancelled item shows no buttons anywhere any more: its edit is the progress modal,
    whose status field reopens it."""
    action = authorized(session, action_id=action_id, person=person)
    if action.status in views.CLOSED:
        return open_progress(session, action_id=action_id, person=person, channel=channel)
    meta = ActionModal(committee_id=action.committee_id, channel=channel, action_id=action.id)
    form = modals.ActionForm(title=action.title, owner=action.owner, due=action.due, priority=action.priority)
    return Outcome(modal=modals.action_modal(meta, locale=person.locale, form=form))


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


def open_date(
    session: Session, *, action_id: int, kind: str, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """Postpone (``kind="postpone"``) or Mute reminders (``kind="mute"``): the date modal, for
    someone allowed to change the item. Mute starts at a week from today (a business day)."""
    action = authorized(session, action_id=action_id, person=person)
    check_open(action)
    initial = None
    if kind == "mute":
        initial = snooze_choice("1w", person.today(now), calendar_of(session, action))
    meta = ChangeForm(action_id=action_id, channel=channel)
    return Outcome(
        modal=modals.date_modal(action, meta, kind=kind, locale=person.locale, tz=person.tz, initial=initial)
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
    return Outcome(modal=modals.progress_modal(action, meta, locale=person.locale, tz=person.tz))


def open_reassign(session: Session, *, action_id: int, person: Person, channel: str | None) -> Outcome:
    """Reassign: a modal with a user picker, for someone allowed to change the item."""
    action = authorized(session, action_id=action_id, person=person)
    check_open(action)
    meta = ChangeForm(action_id=action_id, channel=channel)
    return Outcome(modal=modals.reassign_modal(action, meta, locale=person.locale, tz=person.tz))


def picked_committee(
    session: Session, *, committee_id: int, pending: PendingCommand, person: Person, now: datetime
) -> Outcome:
    """A committee picked in the ephemeral: the action modal for it, pre-filled with what was typed."""
    committee = session.get(Committee, committee_id)
    if committee is None:
        raise NotFound(key="committee_not_found", locale=person.locale, committee=committee_id)
    try:
        form = form_of(parse_add(pending.text, now=now, tz=person.tz, locale=person.locale))
    except InvalidInput:
        form = modals.ActionForm()  # the modal will say what is wrong with it
    meta = ActionModal(committee_id=committee.id, channel=pending.channel)
    return Outcome(modal=modals.action_modal(meta, locale=person.locale, form=form))


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
        form = form_of(parse_add(text, now=now, tz=person.tz, locale=person.locale))
    except InvalidInput:
        form = modals.ActionForm(title=text)
    form = modals.ActionForm(
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
    form: modals.ActionForm | None = None,
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
    form = form or modals.ActionForm(title=plain_text(title))
    form = modals.ActionForm(
        title=form.title[: views.MAX_TITLE_CHARS], owner=form.owner, due=form.due, priority=form.priority
    )
    return Outcome(modal=modals.action_modal(meta, locale=person.locale, form=form, committees=committees))


def submit_action(
    session: Session,
    client: WebClient,
    *,
    form: modals.ActionForm,
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
            session,
            title=form.title,
            owner=form.owner,
            due=form.due,
            priority=form.priority,
            today=person.today(now),
        )
        raise InvalidInput.combine([error for error in missing if error] + others)
    assert form.owner is not None and form.due is not None
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
    session: Session, *, form: modals.ActionForm, meta: ActionModal, person: Person, now: datetime
) -> Outcome:
    assert meta.action_id is not None and form.owner is not None
    previous = load_item(session, meta.action_id).owner
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
    session: Session, *, form: modals.ProgressForm, meta: ChangeForm, person: Person, now: datetime
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
