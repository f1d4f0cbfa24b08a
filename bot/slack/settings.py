"""Process settings read from the environment (SPEC §8)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from storage.db import database_url

SLACK_DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class Settings:
    database_url: str
    bot_token: str | None
    signing_secret: str | None
    app_token: str | None
    slack_api_url: str
    port: int
    # The server's public base URL (PUBLIC_URL, optional): /committee calendar links the .ics feed under it.
    public_url: str | None = None


def from_env(environ: dict[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    api_url = env.get("SLACK_API_URL") or SLACK_DEFAULT_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    return Settings(
        database_url=env.get("DATABASE_URL") or database_url(),
        bot_token=env.get("SLACK_BOT_TOKEN"),
        signing_secret=env.get("SLACK_SIGNING_SECRET"),
        app_token=env.get("SLACK_APP_TOKEN"),
        slack_api_url=api_url,
        port=int(env.get("PORT") or 3000),
        public_url=(env.get("PUBLIC_URL") or "").rstrip("/") or None,
    )
