"""Ack latency of an envelope sent right after a Socket Mode refresh, built-in client vs ours.

Slack sends ``disconnect`` (``refresh_requested``) every few hours; the client opens a new
connection. This sends an envelope on the new connection right after its ``hello`` and measures
how long the ack takes, with slack_sdk's built-in client and with ``bot.socket_mode``'s
``PromptSocketModeClient``, against the fake Socket Mode server of the test suite.

Run from the repository root::

    python -m bench.bench_socket_refresh [--rounds 3]
"""

from __future__ import annotations

import argparse
import logging
import statistics
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin import SocketModeClient

from bot.run import socket_mode
from tests.support.fakeslack import FakeSlack
from tests.support.fakesocket import FakeSocketMode


def measure(client_class: type, rounds: int) -> list[float]:
    """Seconds from the new connection's hello to the ack of an envelope sent right then."""
    latencies = []
    with FakeSlack() as fake, FakeSocketMode() as sockets:
        fake.socket_url = sockets.url
        app = App(
            client=WebClient(token="xoxb-bench", base_url=fake.api_url),
            signing_secret="",
            request_verification_enabled=False,
            token_verification_enabled=False,
        )
        app.command("/ping")(lambda ack: ack())
        original = socket_mode.PromptSocketModeClient
        socket_mode.PromptSocketModeClient = client_class  # type: ignore[misc,assignment]
        try:
            server = socket_mode.SocketModeServer(
                app, "xapp-test", web_client=app.client, executor=ThreadPoolExecutor(2)
            )
        finally:
            socket_mode.PromptSocketModeClient = original  # type: ignore[misc]
        server.start()
        sockets.wait_for_connection(1)
        for round_ in range(rounds):
            sockets.refresh()
            link = sockets.wait_for_connection(round_ + 2)
            envelope = sockets.send(
                "slash_commands",
                {"command": "/ping", "text": "", "user_id": "U1", "channel_id": "C1"},
                link=link,
            )
            ack = sockets.wait_for_ack(envelope, timeout=15)
            assert ack is not None
            latencies.append(ack.at - link.hello_at)
        server.drain(timeout=5)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for name, client_class in (
        ("slack_sdk built-in", SocketModeClient),
        ("PromptSocketModeClient", socket_mode.PromptSocketModeClient),
    ):
        latencies = measure(client_class, args.rounds)
        print(
            f"{name:<24} ack after refresh: median {statistics.median(latencies) * 1000:7.0f} ms, "
            f"max {max(latencies) * 1000:7.0f} ms ({args.rounds} refreshes)",
            flush=True,
        )


if __name__ == "__main__":
    main()
