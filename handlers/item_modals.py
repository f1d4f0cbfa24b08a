"""Modal submissions: the action modal (create or edit), progress, reassign, postpone, mute.

Each validates and saves before it acks: a refusal comes back as ``response_action: errors`` under
the fields at fault (through the error handler), and the modal closes only once the change is saved.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.action_items.modals import read_action_form, read_date_form, read_owner, read_progress_form
from bot.slack import ids
from bot.slack.payloads import ActionModal, ChangeForm, load
from bot.surface import action_changes, action_modals
from handlers.common import deliver, engine_of, learn, now_of, state_values, unit_of_work, user_of, who


def register(app: App) -> None:
    app.view(ids.VIEW_ACTION)(on_action_submitted)
    app.view(ids.VIEW_PROGRESS)(on_progress_submitted)
    app.view(ids.VIEW_REASSIGN)(on_reassign_submitted)
    app.view(ids.VIEW_POSTPONE)(on_date_submitted)
    app.view(ids.VIEW_MUTE)(on_date_submitted)


def on_action_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    meta = load(ActionModal, view.get("private_metadata"))
    form, committee_id = read_action_form(state_values(view))
    person = who(context, client, user_of(body))
    learn(context, client, [form.owner])
    with unit_of_work(engine_of(context)) as session:
        outcome = action_modals.submit_action(
            session,
            client,
            form=form,
            picked_committee_id=committee_id,
            meta=meta,
            person=person,
            now=now_of(context),
        )
    ack()
    deliver(outcome, body=body, client=client, context=context, channel=meta.channel)


def on_progress_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    meta = load(ChangeForm, view.get("private_metadata"))
    form = read_progress_form(state_values(view))
    person = who(context, client, user_of(body))
    with unit_of_work(engine_of(context)) as session:
        outcome = action_modals.submit_progress(
            session, form=form, meta=meta, person=person, now=now_of(context)
        )
    ack()
    deliver(outcome, body=body, client=client, context=context, channel=meta.channel)


def on_reassign_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    meta = load(ChangeForm, view.get("private_metadata"))
    owner = read_owner(state_values(view)) or ""
    person = who(context, client, user_of(body))
    learn(context, client, [owner])
    with unit_of_work(engine_of(context)) as session:
        outcome = action_changes.reassign(
            session, client, action_id=meta.action_id, new_owner=owner, person=person, now=now_of(context)
        )
    ack()
    deliver(outcome, body=body, client=client, context=context, channel=meta.channel)


def on_date_submitted(
    ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    """Postpone (a new due date) or Mute reminders (until a date): one form, told apart by callback id."""
    meta = load(ChangeForm, view.get("private_metadata"))
    picked, comment = read_date_form(state_values(view))
    kind = "postpone" if view["callback_id"] == ids.VIEW_POSTPONE else "mute"
    person = who(context, client, user_of(body))
    with unit_of_work(engine_of(context)) as session:
        outcome = action_modals.submit_date(
            session,
            kind=kind,
            picked=picked,
            comment=comment,
            meta=meta,
            person=person,
            now=now_of(context),
        )
    ack()
    deliver(outcome, body=body, client=client, context=context, channel=meta.channel)
