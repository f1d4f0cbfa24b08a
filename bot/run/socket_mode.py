"""``committee-bot serve`` in Socket Mode: a WebSocket from this process to Slack, no public URL.

Built on slack_sdk's built-in client, with two changes that Slack's 3-second ack limit needs:

- **Refresh without a stall.** Slack sends ``{"type": "disconnect", "reason": "refresh_requested"}``
  every few hours; the client must open a new connection. The built-in client closes the old one
  before it reads from the new one, and that close waits for the old reader's receive timeout
  (3 s): envelopes on the new connection wait that long for their ack. ``PromptSocketModeClient``
  connects the new connection first, makes it current at once with a reader thread of its own,
  and closes the old one in the background.
- **A drain on SIGTERM, as in HTTP mode.** New envelopes are no longer acked (Slack delivers
  them again, on another connection or after the restart); envelopes being acked finish; the
  listeners' work after the ack (replies, App Home) gets up to 25 s; the process exits 0.

A refused app token is a ``StartupError`` (one line, exit status 1), found before the scheduler starts.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.builtin.connection import Connection, ConnectionState
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from sqlalchemy.engine import Engine

from bot.delivery import metrics
from bot.delivery.scheduler import start_background_scheduler
from bot.run.ack_metrics import request_type
from bot.run.app import create_app, listener_pool
from bot.run.replays import ReplayGuard
from bot.run.startup import check_app_token
from bot.slack.client import make_client
from bot.slack.settings import Settings

log = logging.getLogger(__name__)

# SIGTERM: how long the work already acked may take before the process exits anyway.
DRAIN_SECONDS = 25.0


class PromptSocketModeClient(SocketModeClient):
    """The built-in client, but a new connection takes over at once (see the module's docstring).

    Each connection has its own reader thread, so the client's single session runner, which the
    built-in client blocks on the old connection's reader, is not used.
    """

    def _run_current_session(self) -> None:
        """Unused: each connection is read by its own thread (``_read``)."""

    def connect(self) -> None:
        old_session, old_state = self.current_session, self.current_session_state
        if self.wss_uri is None:
            self.wss_uri = self.issue_new_wss_url()
        session = Connection(
            url=self.wss_uri,
            logger=self.logger,
            ping_interval=self.ping_interval,
            trace_enabled=self.trace_enabled,
            all_message_trace_enabled=self.all_message_trace_enabled,
            ping_pong_trace_enabled=self.ping_pong_trace_enabled,
            receive_buffer_size=self.receive_buffer_size,
            proxy=self.proxy,
            proxy_headers=self.proxy_headers,
            on_message_listener=self._on_message,
            on_error_listener=self._on_error,
            on_close_listener=self._on_close,
            ssl_context=self.web_client.ssl,
        )
        session.connect()
        state = ConnectionState()
        # The new connection is current (acks go out on it) before the old one is let go.
        self.current_session, self.current_session_state = session, state
        threading.Thread(
            target=self._read, args=(session, state), name="socket-mode-reader", daemon=True
        ).start()
        self.auto_reconnect_enabled = self.default_auto_reconnect_enabled
        if not self.current_app_monitor_started:
            self.current_app_monitor_started = True
            self.current_app_monitor.start()
        if old_state is not None:
            old_state.terminated = True
        if old_session is not None:
            # Its close waits for its reader's receive timeout: not on this thread.
            threading.Thread(target=old_session.close, name="socket-mode-close", daemon=True).start()
        self.logger.info("Socket Mode connection established (session id: %s)", session.session_id)

    def _read(self, session: Connection, state: ConnectionState) -> None:
        try:
            session.run_until_completion(state)
        except Exception as error:
            self.logger.error("Socket Mode connection %s stopped: %s", session.session_id, error)


class SocketModeServer:
    """The Bolt app behind a ``PromptSocketModeClient``, with a drain for SIGTERM."""

    def __init__(
        self,
        app: App,
        app_token: str,
        *,
        web_client: WebClient,
        executor: ThreadPoolExecutor,
        replays: ReplayGuard | None = None,
    ) -> None:
        self.app = app
        self.executor = executor
        self.replays = replays
        self.client = PromptSocketModeClient(
            app_token=app_token, logger=logging.getLogger("slack_sdk.socket_mode"), web_client=web_client
        )
        self.client.socket_mode_request_listeners.append(self.handle)  # type: ignore[arg-type]
        self.draining = threading.Event()
        self._busy = 0
        self._lock = threading.Condition()

    def start(self, wss_url: str | None = None) -> None:
        """Connect (to ``wss_url`` when the caller already opened one with the app token)."""
        self.client.wss_uri = wss_url
        self.client.connect()

    def handle(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        """Ack one envelope (Bolt dispatches it; the listener's work goes on on the listener pool)."""
        with self._lock:
            if self.draining.is_set():
                return  # not acked: Slack delivers it again elsewhere
            self._busy += 1
        started = time.perf_counter()
        try:
            retried = bool(request.retry_attempt)
            if self.replays is not None and not self.replays.first_envelope(
                request.payload or {}, retried=retried
            ):
                # Delivered again (an ack Slack did not get, a retry): acked, nothing run twice.
                log.info(
                    "a Socket Mode envelope seen before%s: acked, nothing run", " (retry)" if retried else ""
                )
                client.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id))
                return
            response = run_bolt_app(self.app, request)
            send_response(client, request, response, started)
        finally:
            metrics.observe_ack(request_type(request.payload or {}), time.perf_counter() - started)
            with self._lock:
                self._busy -= 1
                self._lock.notify_all()

    def drain(self, timeout: float = DRAIN_SECONDS) -> bool:
        """Stop taking envelopes, finish the acks under way and the work after them (``timeout``
        seconds in all), close the connection. True when everything finished in time."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self.draining.set()
            while self._busy and time.monotonic() < deadline:
                self._lock.wait(timeout=max(0.0, deadline - time.monotonic()))
        finished = threading.Event()

        def wait_for_listeners() -> None:
            self.executor.shutdown(wait=True)
            finished.set()

        threading.Thread(target=wait_for_listeners, name="socket-mode-drain", daemon=True).start()
        done = finished.wait(timeout=max(0.0, deadline - time.monotonic()))
        if not done:
            log.warning("SIGTERM: work acked before the signal still running after %gs; exiting", timeout)
        self.client.auto_reconnect_enabled = False
        threading.Thread(target=self.client.close, name="socket-mode-close", daemon=True).start()
        return done


def run_socket_mode(
    settings: Settings, engine: Engine, *, scheduler: bool, stop: threading.Event | None = None
) -> None:
    """Serve Socket Mode until SIGTERM or SIGINT (or ``stop``), then drain and return.

    The app token is tried first (``apps.connections.open``): a refused token is a StartupError.
    """
    web_client = make_client(settings)
    wss_url = check_app_token(web_client, settings.app_token or "")
    executor = listener_pool()
    app = create_app(settings, engine, executor=executor, socket_mode=True)
    replays = ReplayGuard(engine)
    server = SocketModeServer(
        app, settings.app_token or "", web_client=web_client, executor=executor, replays=replays
    )
    server.start(wss_url)
    ticker: Any = start_background_scheduler(engine, app.client) if scheduler else None
    log.info("committee-bot: Socket Mode")
    stopping = stop or threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: draining (no new envelopes, finishing acked work)", signum)
        stopping.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping.wait(timeout=1.0):
            pass
    finally:
        server.draining.set()  # from now on, no new envelope is acked
        if ticker is not None:
            ticker.shutdown(wait=True)  # the tick finishes the row it is sending, releases the rest
        server.drain()
        replays.close()
        engine.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
