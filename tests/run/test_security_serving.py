"""Issue 7, serving: slow or stalled uploads never hold the server (finding 5), and a signing secret too
short to be Slack's is refused at start (finding 12, the secret). ``committee-bot serve --http`` as a
real process (gunicorn with bot.run.http_worker)."""

from __future__ import annotations

import socket
import subprocess
import time
from contextlib import ExitStack

from sqlalchemy.engine import Engine

from bot.run.http_worker import MAX_READING, REQUEST_READ_SECONDS
from tests.support.fakeslack import FakeSlack
from tests.support.paths import COMMITTEE_BOT, ROOT
from tests.support.serving import free_port, serve_env
from tests.support.slackapp import PROD
from tests.support.slackhttp import SlackSender, get

STALLED_BODY = (
    b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 4000\r\n\r\ntoken=abc&text="
)
STALLED_HEADERS = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Len"


def stall(url: str, stack: ExitStack, count: int, first_bytes: bytes) -> list[socket.socket]:
    host, port = url.removeprefix("http://").split(":")
    clients = []
    for _ in range(count):
        client = stack.enter_context(socket.create_connection((host, int(port)), timeout=10))
        if first_bytes:
            client.sendall(first_bytes)
        clients.append(client)
    return clients


def test_twenty_stalled_uploads_do_not_keep_health_checks_or_slack_waiting(
    served: tuple[str, FakeSlack, Engine],
) -> None:
    url, fake, _ = served
    with ExitStack() as stack:
        stalled = stall(url, stack, 20, STALLED_BODY)
        stall(url, stack, 20, STALLED_HEADERS)
        stall(url, stack, 10, b"")  # connected, silent
        time.sleep(0.5)

        started = time.monotonic()
        assert get(url + "/healthz", timeout=3).json() == {"ok": True}
        answer = SlackSender(url).command(
            "/action",
            "add <@U123|marie> Relancer le plan de renfort d'ici vendredi",
            response_url=fake.response_url(PROD, "U0CHAIR"),
        )
        assert answer.status == 200
        assert time.monotonic() - started < 2

        # The stalled ones are answered 408 and closed once their time is up.
        stalled[0].settimeout(REQUEST_READ_SECONDS + 3)
        assert stalled[0].recv(200).startswith(b"HTTP/1.1 408")


def test_more_slow_clients_than_the_bound_still_leave_room_for_a_real_request(
    served: tuple[str, FakeSlack, Engine],
) -> None:
    url, _, _ = served
    with ExitStack() as stack:
        stall(url, stack, MAX_READING + 40, STALLED_BODY)
        time.sleep(0.5)
        started = time.monotonic()
        assert get(url + "/healthz", timeout=3).status == 200
        assert time.monotonic() - started < 2


def test_an_oversized_upload_is_refused_before_it_is_read(served: tuple[str, FakeSlack, Engine]) -> None:
    url, _, _ = served
    with ExitStack() as stack:
        [client] = stall(
            url, stack, 1, b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 50000000\r\n\r\n"
        )
        assert client.recv(200).startswith(b"HTTP/1.1 413")


def test_serve_refuses_a_signing_secret_too_short_to_be_slacks(
    engine: Engine, database: tuple[str, str | None]
) -> None:
    with FakeSlack() as fake:
        env = {**serve_env(fake, database), "SLACK_SIGNING_SECRET": "x"}
        done = subprocess.run(
            [COMMITTEE_BOT, "serve", "--http", "--port", str(free_port())],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: SLACK_SIGNING_SECRET is too short (1 character")
