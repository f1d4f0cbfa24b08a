"""Start-up of ``committee-bot serve``: Socket Mode or HTTP (gunicorn), with or without the scheduler.

- Socket Mode when ``SLACK_APP_TOKEN`` is set and ``--http`` is not given: no public URL needed.
- HTTP otherwise: gunicorn, one process, the ``gthread`` worker (``bot.run.http_worker``: requests are
  read whole, with a deadline, before a thread takes them). Bolt's sync App acks from its
  listener pool while the request thread polls for the ack; with a thread per request that polling
  never holds back another request (under an ASGI server it would block the event loop, SPEC §7).
  ``bench/bench_ack.py`` measures the ack latency of this set-up against a bare Bolt app.

The process refuses to start on an out-of-date schema (``storage.db.check_schema``).
"""

from __future__ import annotations

import gc
import logging
import os
from typing import Any

from gunicorn.app.base import BaseApplication
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.delivery.scheduler import start_background_scheduler
from bot.run import logs
from bot.run.app import Clock
from bot.run.http_server import BotServer, create_server
from bot.run.socket_mode import run_socket_mode
from bot.run.startup import StartupError, check_bot_token, require_app_token, require_bot_token
from bot.run.verification import WeakSecret, check_signing_secret
from bot.slack.client import make_client
from bot.slack.settings import Settings
from storage.db import check_schema, make_engine

# One process, a thread per concurrent request: 16 threads keep p99 at the floor with 20 concurrent
# clients (bench/bench_ack.py), and one process means one scheduler and one SQLite writer.
HTTP_WORKERS = 1
HTTP_THREADS = 16
DEFAULT_HOST = "0.0.0.0"
# gc thresholds (young, middle, old generations): Python's defaults are (700, 10, 10).
GC_THRESHOLDS = (20_000, 50, 50)

log = logging.getLogger(__name__)


class SettingsError(StartupError):
    """A setting the chosen mode needs is missing; the message names it (exit status 2)."""


def open_checked_engine(settings: Settings) -> Engine:
    """An engine on ``settings.database_url``, after checking the schema is current (raises SchemaOutOfDate)."""
    engine = make_engine(settings.database_url)
    try:
        check_schema(engine)
    except Exception:
        engine.dispose()
        raise
    return engine


def start_scheduler(engine: Engine, client: WebClient) -> Any:
    """The in-process scheduler of ``serve`` (the dispatcher's background ticker)."""
    return start_background_scheduler(engine, client)


def serve(
    settings: Settings,
    *,
    http: bool = False,
    port: int | None = None,
    scheduler: bool = True,
    host: str | None = None,
    debug: bool = False,
) -> None:
    """Run the Slack app until stopped (what ``committee-bot serve`` does).

    Before anything starts: the settings the mode needs (Socket Mode: the bot and app tokens;
    HTTP: the bot token and the signing secret), the database schema, and the bot token with
    Slack (``auth.test``). Each problem is a ``StartupError`` (one line, its exit status).
    """
    logs.configure(debug=debug)
    require_bot_token(settings.bot_token)
    socket_mode = bool(settings.app_token) and not http
    if socket_mode:
        require_app_token(settings.app_token or "")
    elif not settings.signing_secret:
        raise SettingsError(
            "SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information page "
            "(or set SLACK_APP_TOKEN to use Socket Mode, which does not need it)"
        )
    if not socket_mode:
        try:
            check_signing_secret(settings.signing_secret)
        except WeakSecret as error:
            raise SettingsError(str(error)) from None
    engine = open_checked_engine(settings)
    try:
        check_bot_token(make_client(settings))
    except StartupError:
        engine.dispose()
        raise
    if socket_mode:
        serve_socket_mode(settings, engine, scheduler=scheduler)
    else:
        # gunicorn forks its worker: the worker opens its own engine.
        engine.dispose()
        serve_http(
            settings,
            port=port or settings.port,
            host=host or os.environ.get("HOST") or DEFAULT_HOST,
            scheduler=scheduler,
        )


def serve_socket_mode(settings: Settings, engine: Engine, *, scheduler: bool) -> None:
    """Socket Mode: a websocket from this process to Slack; no HTTP server (bot/run/socket_mode.py)."""
    run_socket_mode(settings, engine, scheduler=scheduler)


class GunicornServer(BaseApplication):
    """gunicorn run from Python: the WSGI app is built inside the worker (after the fork)."""

    def __init__(
        self, settings: Settings, options: dict[str, Any], *, scheduler: bool, clock: Clock | None = None
    ) -> None:
        self.settings = settings
        self.options = options
        self.scheduler = scheduler
        self.clock = clock
        self.server: BotServer | None = None
        self.ticker: Any = None
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_exit", self.worker_exit)

    def load(self) -> BotServer:
        engine = open_checked_engine(self.settings)
        self.server = create_server(self.settings, engine, clock=self.clock)
        if self.scheduler:
            self.ticker = start_scheduler(engine, self.server.app.client)
        tune_gc()
        return self.server

    def worker_exit(self, _arbiter: Any, _worker: Any) -> None:
        """Stop ticking, let the work begun after acks finish, close the database."""
        if self.ticker is not None:
            self.ticker.shutdown()
        if self.server is not None:
            self.server.close()


def tune_gc() -> None:
    """Keep the garbage collector's pauses off the ack path.

    Its full passes stop every thread, and last longer as the heap grows (work queued after acks
    under a burst): they made the p99 ack latency 5-10x the bare app's in bench/bench_ack.py. What
    start-up allocated is frozen out of the passes, and collections run less often.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def gunicorn_options(*, host: str, port: int, threads: int = HTTP_THREADS) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": HTTP_WORKERS,
        # gthread, but a request is read whole before a thread takes it (bot/run/http_worker.py): slow or
        # stalled uploads never hold a thread. Connections are not kept alive, for the same reason.
        "worker_class": "bot.run.http_worker.BufferingThreadWorker",
        "threads": threads,
        "timeout": 30,
        "graceful_timeout": 25,  # SIGTERM: acked work gets up to 25 s to finish
        "keepalive": 0,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "committee-bot",
        # gunicorn 23+ opens a control socket in the home directory: not needed, and two instances
        # on one machine would fight over it.
        "control_socket_disable": True,
    }


def serve_http(
    settings: Settings,
    *,
    port: int,
    host: str = DEFAULT_HOST,
    scheduler: bool = True,
    threads: int = HTTP_THREADS,
) -> None:
    """HTTP on ``host:port`` with gunicorn (blocks until stopped)."""
    log.info("committee-bot: HTTP on %s:%s", host, port)
    GunicornServer(
        settings, gunicorn_options(host=host, port=port, threads=threads), scheduler=scheduler
    ).run()
