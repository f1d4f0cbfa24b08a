"""Checks a long-running process makes before it starts: the settings, the tokens, the database.

Each problem is a ``StartupError`` whose message is one line saying what to fix, and whose
``exit_code`` follows the command line's convention: 2 for configuration (a missing or malformed
setting), 1 for a runtime refusal (Slack refused the token, Slack or the database cannot be reached).
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

CONFIGURATION = 2
RUNTIME = 1

BOT_TOKEN_HELP = "copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page"
APP_TOKEN_HELP = (
    "create an app-level token with the connections:write scope on the app's Basic Information page"
)


class StartupError(Exception):
    """A reason not to start; ``str()`` is the one line to print, ``exit_code`` the status."""

    def __init__(self, message: str, exit_code: int = CONFIGURATION) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def require_bot_token(token: str | None) -> str:
    """The bot token, or a configuration error naming where to find it."""
    if not token:
        raise StartupError(f"SLACK_BOT_TOKEN is not set: {BOT_TOKEN_HELP}")
    if not token.startswith("xoxb-"):
        raise StartupError(
            f"SLACK_BOT_TOKEN does not start with xoxb- (is it another kind of token?): {BOT_TOKEN_HELP}"
        )
    return token


def require_app_token(token: str) -> str:
    """An app-level token's form (``xapp-``), or a configuration error."""
    if not token.startswith("xapp-"):
        raise StartupError(f"SLACK_APP_TOKEN does not start with xapp-: {APP_TOKEN_HELP}")
    return token


def check_bot_token(client: WebClient) -> dict[str, Any]:
    """``auth.test`` with the bot token: Slack's answer, or a ``StartupError`` (exit 1) saying why not."""
    try:
        return dict(client.auth_test().data)  # type: ignore[arg-type]
    except SlackApiError as error:
        code = _code(error)
        raise StartupError(f"Slack refused SLACK_BOT_TOKEN ({code}): {BOT_TOKEN_HELP}", RUNTIME) from error
    except Exception as error:
        raise StartupError(
            f"cannot reach Slack at {client.base_url} ({type(error).__name__}: {_first_line(error)}): "
            "check the network (and SLACK_API_URL if it is set)",
            RUNTIME,
        ) from error


def check_app_token(client: WebClient, app_token: str) -> str:
    """``apps.connections.open`` with the app-level token: a WebSocket URL, or a ``StartupError``."""
    require_app_token(app_token)
    try:
        return str(client.apps_connections_open(app_token=app_token)["url"])
    except SlackApiError as error:
        code = _code(error)
        raise StartupError(f"Slack refused SLACK_APP_TOKEN ({code}): {APP_TOKEN_HELP}", RUNTIME) from error
    except Exception as error:
        raise StartupError(
            f"cannot reach Slack at {client.base_url} to open Socket Mode ({type(error).__name__}: "
            f"{_first_line(error)})",
            RUNTIME,
        ) from error


def _code(error: SlackApiError) -> str:
    response = error.response
    return str((response.get("error") if hasattr(response, "get") else None) or "unknown_error")


def _first_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]
