"""Correctly signed requests to the running Slack app, as Slack sends them (real HTTP)."""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret"
# Slack gives every event its own id (a retry of one keeps it): the app drops an id seen before.
_EVENT_IDS = itertools.count(1)


@dataclass
class Response:
    status: int
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def sign(body: str, *, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The X-Slack-Signature and X-Slack-Request-Timestamp headers for ``body``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def post(
    url: str, body: str, *, content_type: str, headers: dict[str, str] | None = None, timeout: float = 10
) -> Response:
    request = urllib.request.Request(
        url, data=body.encode(), method="POST", headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return Response(answer.status, answer.read().decode(), dict(answer.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode(), dict(error.headers))


def get(url: str, *, timeout: float = 10) -> Response:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return Response(answer.status, answer.read().decode(), dict(answer.headers))
    except urllib.error.HTTPError as error:
        return Response(error.code, error.read().decode(), dict(error.headers))


def command_body(
    command: str,
    text: str,
    *,
    user: str = "U0CHAIR",
    channel: str = "C0PROD",
    team: str = "T0TEAM",
    trigger_id: str = "trig-1",
    response_url: str = "",
) -> str:
    return urlencode(
        {
            "token": "legacy",
            "team_id": team,
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "x",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": "A0APP",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
    )


def interaction_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def event_body(event: dict[str, Any], *, team: str = "T0TEAM") -> str:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": team,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}{next(_EVENT_IDS)}",
            "event_time": int(time.time()),
            "event": event,
        }
    )


class SlackSender:
    """Sends signed commands, interactions and events to ``base_url`` + /slack/events."""

    def __init__(self, base_url: str, secret: str = SIGNING_SECRET) -> None:
        self.url = base_url.rstrip("/") + "/slack/events"
        self.secret = secret

    def command(self, command: str, text: str = "", **fields: Any) -> Response:
        body = command_body(command, text, **fields)
        return post(
            self.url,
            body,
            content_type="application/x-www-form-urlencoded",
            headers=sign(body, secret=self.secret),
        )

    def interaction(self, payload: dict[str, Any]) -> Response:
        body = interaction_body(payload)
        return post(
            self.url,
            body,
            content_type="application/x-www-form-urlencoded",
            headers=sign(body, secret=self.secret),
        )

    def event(self, event: dict[str, Any]) -> Response:
        body = event_body(event)
        return post(self.url, body, content_type="application/json", headers=sign(body, secret=self.secret))
