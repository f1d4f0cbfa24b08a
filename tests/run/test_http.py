"""The HTTP routes, and requests whose Slack signature does not hold: refused with 401, nothing changed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import make_server

import pytest

from bot.run.http_server import create_server
from storage.db import make_engine
from tests.support.fakeslack import FakeSlack
from tests.support.slackapp import FEED_TOKEN, QuietHandler, SlackApp, ThreadingWSGIServer, app_settings
from tests.support.slackhttp import SIGNING_SECRET, command_body, get, post, sign


def test_healthz_answers_ok_when_the_database_does(slack_app: SlackApp) -> None:
    answer = get(slack_app.url + "/healthz")
    assert answer.status == 200 and answer.json() == {"ok": True}


@pytest.fixture
def broken_server(tmp_path: Path) -> Iterator[str]:
    """The app on a database it cannot open (a file in a directory that does not exist)."""
    engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/bot.db")
    with FakeSlack() as fake:
        wsgi = create_server(app_settings(fake, ("sqlite://", None)), engine)
        server = make_server(
            "127.0.0.1", 0, wsgi, server_class=ThreadingWSGIServer, handler_class=QuietHandler
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            wsgi.close()


def test_healthz_answers_503_when_the_database_does_not(broken_server: str) -> None:
    answer = get(broken_server + "/healthz")
    assert answer.status == 503 and answer.json()["ok"] is False


def test_calendar_feed_of_a_committee(slack_app: SlackApp) -> None:
    answer = get(f"{slack_app.url}/calendar/{FEED_TOKEN}.ics")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/calendar")
    assert answer.body.startswith("BEGIN:VCALENDAR") and "Comité de production" in answer.body


def test_unknown_feed_token_and_other_paths_are_404(slack_app: SlackApp) -> None:
    assert get(f"{slack_app.url}/calendar/no-such-token.ics").status == 404
    assert get(f"{slack_app.url}/calendar/../healthz.ics").status == 404
    assert get(f"{slack_app.url}/").status == 404
    assert get(f"{slack_app.url}/slack/events").status == 404
    assert post(f"{slack_app.url}/healthz", "", content_type="text/plain").status == 404


# -- signatures ------------------------------------------------------------------------------


def assert_refused_and_nothing_changed(app: SlackApp, headers: dict[str, str], body: str) -> None:
    answer = post(app.sender.url, body, content_type="application/x-www-form-urlencoded", headers=headers)
    assert answer.status == 401
    time.sleep(0.2)  # anything the app would do after an ack would have started by now
    assert app.actions() == []
    assert app.fake.calls == []


ADD = "add <@U123> Relancer le plan de renfort d'ici vendredi"


def test_unsigned_request_is_refused(slack_app: SlackApp) -> None:
    assert_refused_and_nothing_changed(slack_app, {}, command_body("/action", ADD))


def test_badly_signed_request_is_refused(slack_app: SlackApp) -> None:
    body = command_body("/action", ADD)
    assert_refused_and_nothing_changed(slack_app, sign(body, secret="not-the-secret"), body)


def test_tampered_body_is_refused(slack_app: SlackApp) -> None:
    headers = sign(command_body("/action", ADD))
    assert_refused_and_nothing_changed(slack_app, headers, command_body("/action", ADD + " !high"))


def test_stale_request_is_refused(slack_app: SlackApp) -> None:
    body = command_body("/action", ADD)
    assert_refused_and_nothing_changed(
        slack_app, sign(body, secret=SIGNING_SECRET, timestamp=int(time.time()) - 301), body
    )
