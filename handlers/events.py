"""Events: ``app_home_opened`` publishes the user's App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.surface.home import publish_home
from handlers.common import engine_of, now_of


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)


def on_home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab", "home") != "home":
        return  # the Messages tab
    publish_home(engine_of(context), client, user_id=event["user"], now=now_of(context))
