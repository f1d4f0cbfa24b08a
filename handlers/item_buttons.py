"""Buttons and selects: Done, Update progress, Postpone, Mute reminders, Reassign on an action item
(and the former Snooze select of older messages); the "previous business day" button under a due
date that is not one; the committee picker; New action item in the App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.payloads import ActionRef, PendingCommand, PickCommittee, RedateRef, SnoozeRef, load
from bot.surface import action_changes, action_modals
from handlers.common import channel_of, has_response_url, now_of, run_flow


def register(app: App) -> None:
    app.action(ids.BTN_ACTION_DONE)(on_done)
    app.action(ids.BTN_ACTION_PROGRESS)(on_progress)
    app.action(ids.BTN_ACTION_SNOOZE)(on_snooze)
    app.action(ids.BTN_ACTION_POSTPONE)(on_postpone)
    app.action(ids.BTN_ACTION_MUTE)(on_mute)
    app.action(ids.BTN_ACTION_PREVIOUS_BUSINESS_DAY)(on_previous_business_day)
    app.action(ids.BTN_ACTION_REASSIGN)(on_reassign)
    app.action(ids.BTN_PICK_COMMITTEE)(on_pick_committee)
    app.action(ids.BTN_ACTION_NEW)(on_new)


def on_done(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    ref = load(ActionRef, action.get("value"))
    run_flow(
        lambda session, person: action_changes.done(
            session, action_id=ref.action_id, person=person, now=now_of(context)
        ),
        body=body, client=client, context=context, respond=respond,
    )  # fmt: skip


def on_progress(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    ref = load(ActionRef, action.get("value"))
    run_flow(
        lambda session, person: action_modals.open_progress(
            session, action_id=ref.action_id, person=person, channel=channel_of(body)
        ),
        body=body, client=client, context=context,
    )  # fmt: skip


def on_snooze(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    ref = load(SnoozeRef, (action.get("selected_option") or {}).get("value"))
    run_flow(
        lambda session, person: action_changes.snooze(session, ref=ref, person=person, now=now_of(context)),
        body=body, client=client, context=context, respond=respond,
    )  # fmt: skip


def on_postpone(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    _open_date(ack, body, action, client, context, kind="postpone")


def on_mute(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    _open_date(ack, body, action, client, context, kind="mute")


def _open_date(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    *,
    kind: str,
) -> None:
    ack()
    ref = load(ActionRef, action.get("value"))
    run_flow(
        lambda session, person: action_modals.open_date(
            session, action_id=ref.action_id, kind=kind, person=person, channel=channel_of(body),
            now=now_of(context),
        ),
        body=body, client=client, context=context,
    )  # fmt: skip


def on_previous_business_day(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    ref = load(RedateRef, action.get("value"))
    run_flow(
        lambda session, person: action_changes.previous_business_day(
            session, ref=ref, person=person, now=now_of(context)
        ),
        body=body, client=client, context=context, respond=respond,
    )  # fmt: skip


def on_reassign(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    ref = load(ActionRef, action.get("value"))
    run_flow(
        lambda session, person: action_modals.open_reassign(
            session, action_id=ref.action_id, person=person, channel=channel_of(body)
        ),
        body=body, client=client, context=context,
    )  # fmt: skip


def on_pick_committee(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    picked = load(PickCommittee, (action.get("selected_option") or {}).get("value"))
    pending = load(PendingCommand, action.get("block_id"))
    run_flow(
        lambda session, person: action_modals.picked_committee(
            session, committee_id=picked.committee_id, pending=pending, person=person, now=now_of(context)
        ),
        body=body, client=client, context=context,
    )  # fmt: skip
    if has_response_url(body, client):
        respond(delete_original=True)  # the picker has done its job


def on_new(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    run_flow(
        lambda session, person: action_modals.open_new(session, person=person),
        body=body, client=client, context=context,
    )  # fmt: skip
