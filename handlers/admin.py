"""The workspace admins' buttons: Retry on a delivery problem (in their DM or their App Home)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.delivery import admin_reports
from bot.slack import ids
from bot.slack.outcome import Outcome, reply
from bot.slack.payloads import ProblemRef, load
from bot.surface.home import publish_home
from handlers.common import deliver, engine_of, from_home, now_of, unit_of_work, user_of


def register(app: App) -> None:
    app.action(ids.BTN_ADMIN_RETRY)(on_retry)


def on_retry(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    problem = load(ProblemRef, action.get("value"))
    user = user_of(body)
    with unit_of_work(engine_of(context)) as session:
        text = admin_reports.retry_as(
            session, user_id=user, to=problem.to, error=problem.error, now=now_of(context)
        )
    deliver(Outcome(reply=reply(text)), body=body, client=client, context=context, respond=respond)
    if from_home(body):
        publish_home(engine_of(context), client, user_id=user, now=now_of(context))
