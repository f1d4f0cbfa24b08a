"""The Bolt app: one factory, the listeners from handlers/, and what every listener needs in ``context``.

Listeners find the database engine in ``context["engine"]`` and the request's instant in
``context["now"]`` (aware UTC), both set by one global middleware. The clock is injected: tests and
the benchmark pass a fixed one, production reads the wall clock here, at the edge, and nowhere else.

The ack path. Bolt's sync App (``process_before_response=False``) runs each listener on a thread pool
and the request thread polls, every 10 ms, for the listener's ``ack()``. Under load that ack waits for
a free pool thread, behind the slow work of earlier requests (bench/bench_ack.py measured p99 in
seconds). So the requests whose ack carries nothing (slash commands, buttons, shortcuts) are acked by
a global middleware, in the request thread, before their listener is scheduled: the answer leaves as
fast as a bare Bolt app's. Listeners still ``ack()`` first (a no-op then). Modal submissions are not
acked early: their ack carries the field errors, after validation.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse
from sqlalchemy.engine import Engine

from bot.run.ack_metrics import note_request_type
from bot.run.log_safety import BodylessApp, install_log_escaping
from bot.run.logs import quiet_bolt_token_warning
from bot.run.verification import check_signing_secret
from bot.slack.client import make_client
from bot.slack.settings import Settings

# This module and bot/server.py, bot/serve.py are the composition root, the one place of bot/ that
# knows the Slack listeners; the core modules never import handlers/.
from handlers import register_listeners

Clock = Callable[[], datetime]

# The listeners' work (database, Slack Web API calls) runs on this pool, after the ack, at a lower
# OS priority. More threads only add contention for the GIL, which the request threads need to ack,
# and for SQLite's single writer (bench/bench_ack.py); Slack calls mostly wait on the network.
LISTENER_THREADS = 4
LISTENER_NICE = 10
# Requests acked by the middleware (their ack has no content), by payload type; plus slash commands.
ACKED_AT_ONCE = ("block_actions", "message_action", "shortcut")


def utc_now() -> datetime:
    """The wall clock, aware UTC (the default clock)."""
    return datetime.now(UTC)


class KeptAck(Ack):
    """``ack()`` whose answer, once given, is kept.

    When a listener raises after acking, Bolt's sync runner sets the ack's response back to None (it
    assumes the answer has left). If the request thread has not picked the answer up yet, it then
    waits for the 3 s ack timeout and Slack reports a failure. Keeping the answer closes that race for
    every listener; the error itself still goes to the ``@app.error`` handler.
    """

    _kept: BoltResponse | None = None

    def __init__(self, previous: Ack | None = None) -> None:
        super().__init__()
        if previous is not None:
            self.response = previous.response

    @property
    def response(self) -> BoltResponse | None:
        return self._kept

    @response.setter
    def response(self, value: BoltResponse | None) -> None:
        if value is not None:
            self._kept = value


def listener_pool() -> ThreadPoolExecutor:
    """The pool the listeners run on (after their ack, their work goes on there)."""
    return ThreadPoolExecutor(
        max_workers=LISTENER_THREADS, thread_name_prefix="listener", initializer=_yield_to_acks
    )


def _yield_to_acks() -> None:
    """Run this pool thread below the request threads' priority (Linux: a thread has its own nice
    value), so that the CPU goes to acks first when the work after them piles up."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), LISTENER_NICE)


def create_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock | None = None,
    executor: Executor | None = None,
    socket_mode: bool = False,
) -> App:
    """The Bolt app with every listener registered.

    No ``auth.test`` at start-up (the app starts offline and in tests); Bolt calls it once, on the
    first request. ``process_before_response=False``: listeners run on the listener pool
    (``executor``, default: a new ``listener_pool()``); slash commands, buttons and shortcuts are
    acked before that, in the request thread, by the ``ack_at_once`` middleware.
    """
    if not socket_mode:
        check_signing_secret(settings.signing_secret)  # raises WeakSecret (missing, or too short)
    install_log_escaping()
    read_clock = clock or utc_now
    quiet_bolt_token_warning()
    app = BodylessApp(
        client=make_client(settings),
        signing_secret=settings.signing_secret or "",
        # Socket Mode envelopes come over the authenticated WebSocket: there is no signature.
        request_verification_enabled=not socket_mode,
        process_before_response=False,
        token_verification_enabled=False,
        listener_executor=executor or listener_pool(),
    )

    @app.middleware
    def inject_dependencies(context: BoltContext, next: Callable[[], None]) -> None:
        # Bolt's own checks (signature, authorization) run before any middleware of ours: the error
        # handler acts only on requests marked here (handlers/errors.py).
        context["verified"] = True
        context["engine"] = engine
        context["now"] = read_clock()
        context["ack"] = KeptAck(context.get("ack"))
        next()

    app.middleware(note_request_type)

    @app.middleware
    def ack_at_once(body: dict[str, Any], ack: Ack, next: Callable[[], None]) -> None:
        if body.get("command") or body.get("type") in ACKED_AT_ONCE:
            ack()
        next()

    register_listeners(app)
    return app
