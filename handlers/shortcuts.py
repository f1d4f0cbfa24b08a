"""The message shortcut "Create action item": the action modal, pre-filled with the message read
like ``/action add`` (owner, due date, priority, title); the item is then posted in its thread."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack import ids
from bot.surface import action_modals
from handlers.common import channel_of, deliver, engine_of, now_of, unit_of_work, user_of, who

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.shortcut(ids.SHORTCUT_CREATE_ACTION)(on_create_from_message)


def on_create_from_message(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    ack()
    channel = channel_of(body)
    message = body.get("message") or {}
    person = who(context, client, user_of(body))
    source_link = permalink(client, channel, message.get("ts"))
    with unit_of_work(engine_of(context)) as session:
        outcome = action_modals.open_from_message(
            session,
            client,
            person=person,
            channel=channel,
            text=message.get("text") or "",
            # A reply in a thread is answered in that thread; a top-level message starts one.
            thread_ts=message.get("thread_ts") or message.get("ts"),
            source_link=source_link,
            now=now_of(context),
        )
    deliver(outcome, body=body, client=client, context=context)


def permalink(client: WebClient, channel: str | None, ts: str | None) -> str | None:
    """The message's permalink (the item's source link), or None when Slack cannot give it."""
    if not channel or not ts:
        return None
    try:
        return client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"]
    except SlackApiError as error:
        log.info("no permalink for %s/%s: %s", channel, ts, error.response.get("error"))
        return None
