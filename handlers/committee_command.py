"""The ``/committee`` command: next, calendar, agenda, minutes, move, cancel, help."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.settings import from_env
from bot.surface.meetings import run_command
from handlers.common import deliver, engine_of, now_of, unit_of_work, who


def register(app: App) -> None:
    app.command(ids.CMD_COMMITTEE)(on_committee)


def on_committee(
    ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext
) -> None:
    """``/committee [next|calendar|agenda|minutes|move|cancel|help] …``"""
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
