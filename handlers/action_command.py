"""Slash commands: ``/action`` (action items). ``/committee`` lives in handlers/committee.py."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.users import named_owner
from bot.surface.action_items import run_command
from bot.surface.tracker_share import share_tracker, wants_export
from handlers.common import deliver, engine_of, learn, now_of, unit_of_work, who


def register(app: App) -> None:
    app.command(ids.CMD_ACTION)(on_action)


def on_action(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """``/action [add|list|done|snooze|assign|edit|away|export|help] …``"""
    ack()
    person = who(context, client, body["user_id"])
    if wants_export(body.get("text") or ""):  # a file by DM, built outside the unit of work below
        outcome = share_tracker(
            engine_of(context), client, person=person, channel=body.get("channel_id"), now=now_of(context)
        )
        deliver(outcome, body=body, client=client, context=context, respond=respond)
        return
    learn(context, client, named_owner(body.get("text")))
    with unit_of_work(engine_of(context)) as session:
        outcome = run_command(
            session,
            client,
            text=body.get("text") or "",
            person=person,
            channel=body.get("channel_id"),
            now=now_of(context),
        )
    deliver(outcome, body=body, client=client, context=context, respond=respond)
