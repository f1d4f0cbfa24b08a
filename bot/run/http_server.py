"""The HTTP face of the bot: one WSGI application with three routes (SPEC §8).

- ``POST /slack/events``: commands, interactions and events. ``bot.run.verification.SlackGate`` verifies
  the signature and the 5-minute timestamp window on the raw body first (anything else: 401, and
  nothing runs), bounds and checks the body, drops replays (``bot.run.replays``); then Bolt's WSGI
  adapter (which checks the signature again).
- ``GET /healthz``: 200 ``{"ok": true}`` once the database answers ``select 1``, else 503.
- ``GET /metrics``: Prometheus text format (bot/metrics.py).
- ``GET /calendar/<feed-token>.ics``: the committee's meetings and deadlines (404 for an unknown token).

Anything else is 404. A threaded WSGI server runs it (gunicorn's gthread worker in production, see
bot/serve.py): Bolt's sync listeners ack from the listener pool while the request thread waits, and
no request ever blocks another.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy.engine import Engine

from bot.delivery import metrics
from bot.planning.ics import calendar_feed
from bot.run import ack_metrics
from bot.run.app import Clock, create_app, listener_pool, utc_now
from bot.run.replays import ReplayGuard
from bot.run.verification import SlackGate
from bot.slack.settings import Settings
from storage.db import session_scope

SLACK_PATH = "/slack/events"
CALENDAR_PATH = re.compile(r"/calendar/(?P<token>[A-Za-z0-9_-]{1,64})\.ics")

StartResponse = Callable[..., Any]

log = logging.getLogger(__name__)


class BotServer:
    """The WSGI application (``server(environ, start_response)``)."""

    def __init__(
        self,
        app: App,
        engine: Engine,
        *,
        clock: Clock | None = None,
        executor: ThreadPoolExecutor | None = None,
        signing_secret: str | None = None,
    ) -> None:
        self.app = app
        self.engine = engine
        self.clock = clock or utc_now
        self.executor = executor
        self.replays = ReplayGuard(engine)
        # Timed from the first byte: a request the gate refuses counts as "unverified".
        self.slack = ack_metrics.timed(
            SlackGate(
                SlackRequestHandler(app, path=SLACK_PATH),
                signing_secret=signing_secret or app._signing_secret,
                replays=self.replays,
            )
        )

    def close(self) -> None:
        """Let the work begun after acks finish (replies, App Home), then release the database."""
        if self.executor is not None:
            self.executor.shutdown(wait=True)
        self.replays.close()
        self.engine.dispose()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path == SLACK_PATH and method == "POST":
            return self.slack(environ, start_response)
        if method in ("GET", "HEAD"):
            if path == "/healthz":
                return self.healthz(start_response)
            if path == "/metrics":
                body, content_type = metrics.exposition(self.engine, now=self.clock())
                return _answer(start_response, "200 OK", body, content_type)
            match = CALENDAR_PATH.fullmatch(path)
            if match:
                return self.calendar(match["token"], start_response)
        return _answer(start_response, "404 Not Found", b"Not Found", "text/plain; charset=utf-8")

    def healthz(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("select 1"))
        except Exception as error:  # any failure of the database means "not healthy"
            log.warning("health check failed: %s", error)
            body = {"ok": False, "error": "database unreachable"}
            return _answer(
                start_response, "503 Service Unavailable", json.dumps(body).encode(), "application/json"
            )
        return _answer(start_response, "200 OK", b'{"ok": true}', "application/json")

    def calendar(self, token: str, start_response: StartResponse) -> Iterable[bytes]:
        with session_scope(self.engine) as session:
            feed = calendar_feed(session, token=token, now=self.clock())
        if feed is None:
            return _answer(start_response, "404 Not Found", b"Not Found", "text/plain; charset=utf-8")
        return _answer(start_response, "200 OK", feed, "text/calendar; charset=utf-8")


def _answer(start_response: StartResponse, status: str, body: bytes, content_type: str) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def create_server(settings: Settings, engine: Engine, *, clock: Clock | None = None) -> BotServer:
    """The WSGI application serving the Bolt app of ``create_app(settings, engine, clock=clock)``."""
    executor = listener_pool()
    return BotServer(
        create_app(settings, engine, clock=clock, executor=executor),
        engine,
        clock=clock,
        executor=executor,
        signing_secret=settings.signing_secret,
    )
