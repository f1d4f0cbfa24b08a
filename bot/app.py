"""The Bolt app: one factory, the listeners from handlers/, and what every listener needs in ``context``.

Listeners find the database engine in ``context["engine"]`` and the request's instant in
``context["now"]`` (aware UTC), both set by one global middleware. The clock is injected: tests and
the benchmark pass a fixed one, production reads the wall clock here, at the edge, and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime

from slack_bolt import App, BoltContext
from sqlalchemy.engine import Engine

from bot.settings import Settings
from bot.slack_api import make_client

# This module and bot/server.py, bot/serve.py are the composition root, the one place of bot/ that
# knows the Slack listeners; the core modules never import handlers/.
from handlers import register_listeners

Clock = Callable[[], datetime]

# Listeners ack first, then do their work on this pool. Bolt's default (5 threads) lets five slow
# listeners (a users.info, a views.publish) hold back the ack of every request behind them.
LISTENER_THREADS = 32

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The wall clock, aware UTC (the default clock)."""
    return datetime.now(UTC)


def listener_pool() -> ThreadPoolExecutor:
    """The pool the listeners run on (after their ack, their work goes on there)."""
    return ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")


def create_app(settings: Settings, engine: Engine, *, clock: Clock | None = None, executor: Executor | None = None) -> App:
    """The Bolt app with every listener registered.

    No ``auth.test`` at start-up (the app starts offline and in tests); Bolt calls it once, on the
    first request. ``process_before_response=False``: a listener's ``ack()`` answers Slack at once
    and its slow work goes on in the listener pool (``executor``, default: a new ``listener_pool()``).
    """
    if not settings.signing_secret:
        raise ValueError("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information page")
    read_clock = clock or utc_now
    app = App(
        client=make_client(settings),
        signing_secret=settings.signing_secret,
        process_before_response=False,
        token_verification_enabled=False,
        listener_executor=executor or listener_pool(),
    )

    @app.middleware
    def inject_dependencies(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 (Bolt's name)
        context["engine"] = engine
        context["now"] = read_clock()
        next()

    register_listeners(app)
    return app
