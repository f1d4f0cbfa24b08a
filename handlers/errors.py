"""The one error handler: typed domain errors become a friendly answer, anything else a short
reference id (in the answer and in the log).

Where the answer goes depends on how far the listener got:
- a modal submission not yet acked: ``response_action: errors`` under the fields at fault;
- a slash command not yet acked: the ack itself carries the ephemeral answer;
- otherwise: ephemeral (response URL, ``chat.postEphemeral``, a DM), or a small modal in the App Home.
Events have no one to answer: they are only logged. An error raised before our middleware marked the
request verified (``context["verified"]``, bot/run/app.py) gets no answer at all.
"""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.action_items.modals import notice_modal
from bot.slack.modal_text import as_plain, mentioned_users
from bot.slack.payloads import InvalidPayload
from bot.slack.users import display_names
from bot.surface.action_items import reply
from bot.text.errors import DomainError, InvalidInput
from bot.text.render import render
from handlers.common import channel_of, from_home, tell

log = logging.getLogger(__name__)


def register(app: App) -> None:
    app.error(on_error)


def on_error(
    error: Exception,
    body: dict[str, Any],
    context: BoltContext,
    client: WebClient,
    respond: Respond | None,
    response: BoltResponse | None,
) -> BoltResponse | None:
    if not context.get("verified"):
        # Raised before our middleware ran: Bolt's own checks (signature, authorization) failed, or
        # something before them. Nothing in this body can be trusted: no answer, no Slack call.
        log.warning("request refused before the listeners: %s", type(error).__name__)
        return None
    locale = context.get("locale")
    if isinstance(error, DomainError):
        text = error.in_locale(locale)
        log.info("refused: %s", text)
    elif isinstance(error, InvalidPayload):
        # An old button, or a value this version did not write: say so plainly, nothing changed.
        log.warning("payload this version did not write: %s", error)
        text = render(locale, "error_outdated")
    else:
        ref = secrets.token_hex(3)
        log.error("ref %s: unexpected error", ref, exc_info=error)
        text = render(locale, "error_unexpected", ref=ref)

    kind = body.get("type")
    if kind == "event_callback":
        return None
    if response is not None and kind == "view_submission":
        errors = _field_errors(error, body, locale, text)
        return _json(200, {"response_action": "errors", "errors": _plain(errors, client)})
    if response is not None and body.get("command"):
        return _json(200, {"response_type": "ephemeral", "text": text})
    try:
        if from_home(body) and body.get("trigger_id"):
            client.views_open(trigger_id=body["trigger_id"], view=notice_modal(text, locale=locale))
        else:
            tell(reply(text), body=body, client=client, respond=respond, channel=channel_of(body))
    except SlackApiError as failure:
        log.warning("could not tell the user about an error: %s", failure.response.get("error"))
    return None


def _field_errors(error: Exception, body: dict[str, Any], locale: str | None, text: str) -> dict[str, str]:
    """``{block_id: message}`` for the modal's inputs; a message that names no input of this modal
    goes under its first input."""
    inputs = [
        block["block_id"]
        for block in (body.get("view") or {}).get("blocks", [])
        if block.get("type") == "input" and block.get("block_id")
    ]
    first = inputs[0] if inputs else "title"
    if not isinstance(error, InvalidInput):
        return {first: text}
    errors: dict[str, str] = {}
    for field, message in error.fields_in_locale(locale).items():
        block = field if field in inputs else first
        errors[block] = f"{errors[block]}\n{message}" if block in errors else message
    return errors or {first: text}


def _plain(errors: dict[str, str], client: WebClient) -> dict[str, str]:
    """Modal errors are plain text: mentions as @name (names asked of Slack), no markup shown."""
    ids = list(dict.fromkeys(user for message in errors.values() for user in mentioned_users(message)))
    names = display_names(client, ids[:10]) if ids else {}
    return {block: as_plain(message, names) for block, message in errors.items()}


def _json(status: int, data: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=status, body=json.dumps(data), headers={"content-type": "application/json;charset=utf-8"}
    )
