"""What every listener does the same way: read its dependencies from ``context``, find out who is
asking, and deliver an ``Outcome`` (open the modal, answer ephemerally, follow up the change)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.slack.outcome import Outcome, Reply
from bot.slack.users import Person, learn_users, person
from bot.surface.action_items import after_action_committed
from bot.surface.meetings import after_meeting_committed
from storage.db import write_session

# Every listener's unit of work may write: on SQLite it takes the write lock first (BEGIN IMMEDIATE)
# so that two requests never fail each other's read-then-write transactions.
unit_of_work = write_session

log = logging.getLogger(__name__)

# Where a response_url may point: Slack's hooks host (or SLACK_API_URL's host when it is not Slack's).
SLACK_HOOKS = "https://hooks.slack.com/"
SLACK_API = "https://slack.com/api/"


def engine_of(context: BoltContext) -> Engine:
    return context["engine"]


def now_of(context: BoltContext) -> datetime:
    return context["now"]


def who(context: BoltContext, client: WebClient, user_id: str) -> Person:
    """The user behind the request (zone, locale); remembered in ``context`` for the error handler."""
    found = person(engine_of(context), client, user_id=user_id, now=now_of(context))
    context["person"] = found
    context["locale"] = found.locale
    return found


def learn(context: BoltContext, client: WebClient, user_ids: Iterable[str | None]) -> None:
    """Ask Slack about the users a request names (a new owner) before the unit of work opens, so
    that no Slack call runs inside a write transaction."""
    learn_users(engine_of(context), client, user_ids=[u for u in user_ids if u], now=now_of(context))


def user_of(body: dict[str, Any]) -> str:
    """The acting user of a command, interaction or shortcut."""
    return body.get("user_id") or (body.get("user") or {}).get("id") or ""


def channel_of(body: dict[str, Any]) -> str | None:
    return body.get("channel_id") or (body.get("channel") or {}).get("id")


def points_at_slack(url: Any, api_url: str | None) -> bool:
    """Whether a ``response_url`` may be followed: Slack's hooks host, or the host of a non-default
    ``SLACK_API_URL`` (a test's fake Slack, a proxy the operator chose). Anything else is never
    posted to, whatever a request names."""
    if not isinstance(url, str) or len(url) > 2000:
        return False
    if url.startswith(SLACK_HOOKS):
        return True
    if not api_url or api_url.startswith(SLACK_API):
        return False
    wanted, given = urlsplit(api_url), urlsplit(url)
    return bool(wanted.netloc) and (given.scheme, given.netloc) == (wanted.scheme, wanted.netloc)


def has_response_url(body: dict[str, Any], client: WebClient) -> bool:
    """The request carries a response URL the bot may post to (one on Slack's hosts, never another)."""
    return points_at_slack(body.get("response_url"), client.base_url)


def state_values(view: dict[str, Any]) -> dict[str, Any]:
    """A submitted modal's ``state.values`` ({} when it has none; bot.run.envelope checked its shape)."""
    return (view.get("state") or {}).get("values") or {}


def from_home(body: dict[str, Any]) -> bool:
    """An interaction in the App Home (no response_url, no channel: nowhere for an ephemeral)."""
    return (body.get("view") or {}).get("type") == "home"


def run_flow(
    flow: Callable[[Session, Person], Outcome],
    *,
    body: dict[str, Any],
    client: WebClient,
    context: BoltContext,
    respond: Respond | None = None,
) -> None:
    """What every button listener does after its ack: find who asks, run ``flow`` in one unit of
    work, then ``deliver`` its outcome (the Slack calls after the commit)."""
    person = who(context, client, user_of(body))
    with unit_of_work(engine_of(context)) as session:
        outcome = flow(session, person)
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
    and App Homes that show the action item or meeting it changed."""
    if outcome.modal is not None:
        client.views_open(trigger_id=body["trigger_id"], view=outcome.modal)
    if outcome.reply is not None:
        tell(outcome.reply, body=body, client=client, respond=respond, channel=channel or channel_of(body))
    if outcome.action_id is not None:
        after_action_committed(
            engine_of(context), client, action_id=outcome.action_id, now=now_of(context), users=outcome.users
        )
    if outcome.meeting_id is not None:
        after_meeting_committed(
            engine_of(context),
            client,
            meeting_id=outcome.meeting_id,
            now=now_of(context),
            users=outcome.users,
        )


def tell(
    reply: Reply, *, body: dict[str, Any], client: WebClient, respond: Respond | None, channel: str | None
) -> None:
    """An ephemeral answer to the acting user: through the response URL when Slack gave one, else
    ``chat.postEphemeral`` in ``channel``, else a DM. The App Home shows its own state instead."""
    user = user_of(body)
    if respond is not None and has_response_url(body, client):
        respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
        return
    if from_home(body):
        return
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=reply.text, blocks=reply.blocks)
            return
        except SlackApiError as error:  # the bot is not in that channel: say it in a DM instead
            log.info(
                "ephemeral in %s refused (%s): answering %s by DM", channel, error.response.get("error"), user
            )
    client.chat_postMessage(channel=user, text=reply.text, blocks=reply.blocks)
