"""The ``/committee`` command: next, calendar, agenda, minutes, move, cancel, help."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot import ids
from bot.meeting_surface import Outcome, after_meeting_committed, run_command
from bot.settings import from_env
from handlers.common import engine_of, now_of, tell, unit_of_work, who


def register(app: App) -> None:
    app.command(ids.CMD_COMMITTEE)(on_committee)


def on_committee(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond, context: BoltContext) -> None:
    """``/committee [next|calendar|agenda|minutes|move|cancel|help] …``"""
    ack()
    person = who(context, client, body["user_id"])
    with unit_of_work(engine_of(context)) as session:
        outcome = run_command(
            session, text=body.get("text") or "", person=person, channel=body.get("channel_id"), now=now_of(context),
            public_url=from_env().public_url,
        )  # fmt: skip
    deliver(outcome, body=body, client=client, context=context, respond=respond)


def deliver(
    outcome: Outcome,
    *,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond | None = None,
    channel: str | None = None,
) -> None:
    """Open the outcome's modal, send its reply, then (the change being committed) edit the messages
    and App Homes that show the meeting."""
    if outcome.modal is not None:
        client.views_open(trigger_id=body["trigger_id"], view=outcome.modal)
    if outcome.reply is not None:
        tell(outcome.reply, body=body, client=client, respond=respond, channel=channel or body.get("channel_id") or (body.get("channel") or {}).get("id"))  # type: ignore[arg-type]
    if outcome.meeting_id is not None:
        after_meeting_committed(engine_of(context), client, meeting_id=outcome.meeting_id, now=now_of(context), users=outcome.users)
