"""The Slack Web API client the bot uses, pointed at ``SLACK_API_URL``."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.slack.settings import Settings


def make_client(settings: Settings, *, timeout: int = 10) -> WebClient:
    """A WebClient on ``settings.slack_api_url``; retries connection errors only.

    429s and 5xx are handled by the caller (the dispatcher records them and retries with backoff,
    so a slow retry never blocks a whole tick).
    """
    return WebClient(
        token=settings.bot_token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=2)],
    )
