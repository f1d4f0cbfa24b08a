"""A local fake of Slack's Socket Mode WebSocket server, for the test suite.

``FakeSlack.apps.connections.open`` answers with ``FakeSocketMode.url`` (a ``ws://`` URL on
localhost). Each connection gets a ``hello``; the test sends envelopes (slash commands, interactions,
events) to the newest connection, asks for a ``refresh_requested`` disconnect, and reads the acks
the app sends back, with the instant each arrived.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


@dataclass
class Ack:
    envelope_id: str
    at: float  # time.monotonic() when it arrived
    connection: int  # index of the connection it came on
    payload: dict[str, Any] | None


@dataclass
class Link:
    index: int
    socket: ServerConnection
    hello_at: float = 0.0
    closed_at: float | None = None
    sent: list[str] = field(default_factory=list)


class FakeSocketMode:
    """The WebSocket side of Socket Mode; use as a context manager."""

    def __init__(self) -> None:
        self.links: list[Link] = []
        self.acks: dict[str, Ack] = {}
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeSocketMode:
        self._server = serve(self._serve, "127.0.0.1", 0, ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=fake"

    # -- the server ------------------------------------------------------------------------

    def _serve(self, socket: ServerConnection) -> None:
        with self._changed:
            link = Link(len(self.links), socket)
            self.links.append(link)
        socket.send(json.dumps({"type": "hello", "num_connections": len(self.links), "debug_info": {}}))
        with self._changed:
            link.hello_at = time.monotonic()
            self._changed.notify_all()
        try:
            for raw in socket:
                message = json.loads(raw)
                if "envelope_id" in message:
                    with self._changed:
                        self.acks[message["envelope_id"]] = Ack(
                            message["envelope_id"], time.monotonic(), link.index, message.get("payload")
                        )
                        self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.closed_at = time.monotonic()
                self._changed.notify_all()

    # -- what a test does ------------------------------------------------------------------

    def wait_for_connection(self, count: int = 1, timeout: float = 10) -> Link:
        """The ``count``-th connection, once its hello was sent."""
        with self._changed:
            ok = self._changed.wait_for(
                lambda: len(self.links) >= count and self.links[count - 1].hello_at > 0, timeout=timeout
            )
            assert ok, f"no connection #{count} within {timeout}s"
            return self.links[count - 1]

    def send(
        self, envelope_type: str, payload: dict[str, Any], *, link: Link | None = None, retry_attempt: int = 0
    ) -> str:
        """Send an envelope (``slash_commands``, ``interactive``, ``events_api``); its envelope id.
        ``retry_attempt``: Slack delivering it again (the same payload, a new envelope id)."""
        target = link or self.links[-1]
        envelope_id = f"env-{next(self._ids)}"
        target.socket.send(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": envelope_type,
                    "payload": payload,
                    "accepts_response_payload": envelope_type != "events_api",
                    "retry_attempt": retry_attempt,
                    "retry_reason": "timeout" if retry_attempt else "",
                }
            )
        )
        target.sent.append(envelope_id)
        return envelope_id

    def refresh(self) -> None:
        """What Slack does every few hours: ask the client to reconnect."""
        self.links[-1].socket.send(
            json.dumps({"type": "disconnect", "reason": "refresh_requested", "debug_info": {}})
        )

    def wait_for_ack(self, envelope_id: str, timeout: float = 10) -> Ack | None:
        with self._changed:
            self._changed.wait_for(lambda: envelope_id in self.acks, timeout=timeout)
            return self.acks.get(envelope_id)


def slash_command(command: str, text: str, *, user: str, channel: str, response_url: str) -> dict[str, Any]:
    """A slash command's Socket Mode payload (the fields Slack sends over HTTP, as a dict)."""
    return {
        "token": "legacy",
        "team_id": "T0TEAM",
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
        "trigger_id": "trig-1",
    }
