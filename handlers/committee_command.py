"""The ``/committee`` command (next, calendar, agenda, minutes, move, cancel, restore, help) and its
committee picker, for a command typed outside a committee's channel."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.payloads import CommitteeCommand, PickCommittee, load
from bot.slack.settings import from_env
from bot.surface.meetings import run_command
from handlers.common import deliver, engine_of, now_of, unit_of_work, user_of, who


def register(app: App) -> None:
    app.command(ids.CMD_COMMITTEE)(on_committee)
    app.action(ids.BTN_COMMITTEE_PICK)(on_committee_picked)


def on_committee(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """``/committee [next|calendar|agenda|minutes|move|cancel|restore|help] [KEY] …``"""
    ack()
    person = who(context, client, body["user_id"])
    with unit_of_work(engine_of(context)) as session:
        outcome = run_command(
            session,
            text=body.get("text") or "",
            person=person,
            channel=body.get("channel_id"),
            now=now_of(context),
            public_url=from_env().public_url,
        )
    deliver(outcome, body=body, client=client, context=context, respond=respond)


def on_committee_picked(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """A committee picked in the picker: the command the user typed runs for it."""
    ack()
    pending = load(CommitteeCommand, action.get("block_id"))
    picked = load(PickCommittee, (action.get("selected_option") or {}).get("value"))
    person = who(context, client, user_of(body))
    with unit_of_work(engine_of(context)) as session:
        outcome = run_command(
            session, text=f"{pending.sub} {pending.text}", person=person, channel=pending.channel, now=now_of(context),
            public_url=from_env().public_url, committee_id=picked.committee_id,
        )  # fmt: skip
    deliver(outcome, body=body, client=client, context=context, respond=respond, channel=pending.channel)
