"""Socket Mode against a fake Socket Mode server (WebSocket) and the fake Web API.

`apps.connections.open` on FakeSlack answers a ws:// URL of FakeSocketMode on localhost; the app's
client connects there, gets a hello, receives envelopes and sends its acks back.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.run.app import create_app, listener_pool
from bot.run.replays import ReplayGuard
from bot.run.socket_mode import SocketModeServer
from tests.conftest import database_env
from tests.support.fakeslack import FakeSlack
from tests.support.fakesocket import FakeSocketMode, slash_command
from tests.support.paths import COMMITTEE_BOT, ROOT
from tests.support.slackapp import CHAIR, PROD, add_people, app_settings, seed

ADD = "add <@U123|marie> Relancer le plan de renfort d'ici vendredi !high"


@pytest.fixture
def socket_server(
    engine: Engine, database: tuple[str, str | None]
) -> Iterator[tuple[FakeSocketMode, FakeSlack]]:
    """The app in this process behind ``SocketModeServer``, connected to the fake."""
    with FakeSlack() as fake, FakeSocketMode() as sockets:
        add_people(fake)
        seed(engine)
        fake.socket_url = sockets.url
        settings = dataclasses.replace(
            app_settings(fake, database), signing_secret=None, app_token="xapp-test"
        )
        executor = listener_pool()
        app = create_app(settings, engine, executor=executor, socket_mode=True)
        replays = ReplayGuard(engine)
        server = SocketModeServer(app, "xapp-test", web_client=app.client, executor=executor, replays=replays)
        server.start()
        try:
            sockets.wait_for_connection(1)
            yield sockets, fake
        finally:
            server.drain(timeout=5)
            replays.close()


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_an_envelope_right_after_a_refresh_is_acked_without_the_3s_stall(socket_server) -> None:
    sockets, fake = socket_server
    first = sockets.send(
        "slash_commands",
        slash_command("/action", ADD, user=CHAIR, channel=PROD, response_url=fake.response_url(PROD, CHAIR)),
    )
    assert sockets.wait_for_ack(first) is not None

    sockets.refresh()
    second_link = sockets.wait_for_connection(2)
    # The envelope goes out right after the new connection's hello, as Slack does.
    envelope = sockets.send(
        "slash_commands",
        slash_command(
            "/action", "list", user=CHAIR, channel=PROD, response_url=fake.response_url(PROD, CHAIR)
        ),
        link=second_link,
    )
    ack = sockets.wait_for_ack(envelope, timeout=5)

    assert ack is not None and ack.connection == 1
    latency = ack.at - second_link.hello_at
    assert latency < 1.0, (
        f"ack {latency:.2f}s after the new connection's hello (the built-in client stalls ~3 s)"
    )


def test_an_event_slack_delivers_again_is_acked_and_runs_once(socket_server) -> None:
    """Slack delivers an event again when it did not get the ack in time (or on another
    connection): the same event id, a new envelope, ``retry_attempt`` 1. Acked, nothing run twice;
    a new event of the same kind runs as usual."""
    sockets, fake = socket_server

    def home_opened(event_id: str) -> dict[str, object]:
        event = {"type": "app_home_opened", "user": CHAIR, "tab": "home", "channel": "D0CHAIR"}
        return {"type": "event_callback", "team_id": "T0TEAM", "event_id": event_id, "event": event}

    first = sockets.send("events_api", home_opened("Ev0001"))
    assert sockets.wait_for_ack(first) is not None
    wait_until(lambda: len(fake.calls_to("views.publish")) == 1)
    again = sockets.send("events_api", home_opened("Ev0001"), retry_attempt=1)
    assert sockets.wait_for_ack(again) is not None
    other = sockets.send("events_api", home_opened("Ev0002"))
    assert sockets.wait_for_ack(other) is not None
    wait_until(lambda: len(fake.calls_to("views.publish")) == 2)
    time.sleep(0.3)  # a second run of the first event would publish a third time by now
    assert len(fake.calls_to("views.publish")) == 2


def serve_socket_env(
    fake: FakeSlack, sockets: FakeSocketMode, database: tuple[str, str | None]
) -> dict[str, str]:
    """Socket Mode needs only the two tokens: no SLACK_SIGNING_SECRET."""
    env = {k: v for k, v in os.environ.items() if k != "SLACK_SIGNING_SECRET"}
    return {
        **env,
        **database_env(database),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_URL": fake.api_url,
    }


def test_sigterm_in_socket_mode_finishes_acked_work_and_exits_0(
    engine: Engine, database: tuple[str, str | None]
) -> None:
    with FakeSlack() as fake, FakeSocketMode() as sockets:
        add_people(fake)
        seed(engine)
        fake.socket_url = sockets.url
        fake.slow("response_url", 2.0)  # the listener's reply, after the ack, takes 2 s
        process = subprocess.Popen(
            [COMMITTEE_BOT, "serve", "--no-scheduler"],
            cwd=ROOT,
            env=serve_socket_env(fake, sockets, database),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            sockets.wait_for_connection(1, timeout=30)
            envelope = sockets.send(
                "slash_commands",
                slash_command(
                    "/action", ADD, user=CHAIR, channel=PROD, response_url=fake.response_url(PROD, CHAIR)
                ),
            )
            assert sockets.wait_for_ack(envelope) is not None
            process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            late = sockets.send(
                "slash_commands",
                slash_command(
                    "/action", "list", user=CHAIR, channel=PROD, response_url=fake.response_url(PROD, CHAIR)
                ),
            )
            output, _ = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

        assert process.returncode == 0, output
        # The work acked before the signal finished: the confirmation reached the user.
        assert any("A1" in m.text for m in fake.ephemerals(CHAIR)), output
        # An envelope after the signal is not acked (Slack delivers it again elsewhere).
        assert late not in sockets.acks
        assert "token` will be unused" not in output


def test_socket_mode_with_a_refused_app_token_is_one_line(
    engine: Engine, database: tuple[str, str | None]
) -> None:
    with FakeSlack() as fake, FakeSocketMode() as sockets:
        fake.socket_url = sockets.url
        fake.app_token = "xapp-the-real-one"
        done = subprocess.run(
            [COMMITTEE_BOT, "serve"],
            cwd=ROOT,
            env=serve_socket_env(fake, sockets, database),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Slack refused SLACK_APP_TOKEN (invalid_auth)"), (
        done.stderr
    )
    assert not sockets.links


def test_serve_refuses_a_bot_token_slack_refuses_in_one_line(
    engine: Engine, database: tuple[str, str | None]
) -> None:
    with FakeSlack() as fake, FakeSocketMode() as sockets:
        fake.socket_url = sockets.url
        fake.refused.add("xoxb-test")
        done = subprocess.run(
            [COMMITTEE_BOT, "serve"],
            cwd=ROOT,
            env=serve_socket_env(fake, sockets, database),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Error: Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token (xoxb-...) "
        "from the app's OAuth & Permissions page"
    ]
    assert not sockets.links
