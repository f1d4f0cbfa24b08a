"""Issue 7, the HTTP side: nothing runs before a request is verified; malformed, oversized and replayed
requests change nothing; nothing user-controlled reaches the log as it came (SPEC §9)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import make_server

import pytest
from slack_bolt import BoltRequest
from sqlalchemy.engine import Engine

from bot.run.app import create_app
from bot.run.http_server import create_server
from bot.run.log_safety import EscapedLogRecord, escape_controls
from bot.run.verification import signature_of
from bot.slack import ids
from handlers.common import points_at_slack
from tests.support.fakeslack import FakeSlack
from tests.support.serving import row_counts
from tests.support.slackapp import (
    CHAIR,
    MARIE,
    NOW,
    PROD,
    QuietHandler,
    SlackApp,
    ThreadingWSGIServer,
    app_settings,
)
from tests.support.slackhttp import SIGNING_SECRET, command_body, event_body, interaction_body, post, sign

FORM = "application/x-www-form-urlencoded"
MARKER = "BODY-MARKER-7f3a"
ADD = f"add <@U123> Relancer le plan {MARKER} d'ici vendredi"


def settle() -> None:
    time.sleep(0.3)  # anything the app would do after an ack has started by now


def forged_command(app: SlackApp) -> str:
    """A command that, if acted on, would post to its response URL, DM a user and open a modal."""
    return command_body(
        "/action", ADD, user=MARIE, trigger_id="trig-forged", response_url=app.fake.response_url(PROD, MARIE)
    )


# -- finding 1: malformed signature headers are a failed verification ----------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "1.5e9", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": " 1800000000", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "NOW", "X-Slack-Signature": ""},
        {"X-Slack-Request-Timestamp": "NOW", "X-Slack-Signature": "v1=abc"},
        {"X-Slack-Request-Timestamp": "NOW"},
        {},
    ],
    ids=lambda headers: repr(headers)[:60],
)
def test_malformed_signature_headers_are_refused_with_401_and_nothing_runs(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    headers = {k: (str(int(time.time())) if v == "NOW" else v) for k, v in headers.items()}
    before = row_counts(slack_app.engine)
    answer = post(slack_app.sender.url, forged_command(slack_app), content_type=FORM, headers=headers)
    settle()
    assert (answer.status, answer.body) == (401, "")
    assert slack_app.fake.calls == []  # no response URL, no DM, no modal, not even auth.test
    assert row_counts(slack_app.engine) == before
    lines = [r for r in caplog.records if r.name.startswith(("bot", "handlers", "slack_bolt"))]
    assert len(lines) == 1 and "refused a Slack request" in lines[0].getMessage()
    assert all(MARKER not in record.getMessage() for record in caplog.records)


def test_bolt_behind_the_gate_never_lets_its_error_handler_act_on_an_unverified_request(
    engine: Engine, database: tuple[str, str | None]
) -> None:
    """Defence in depth: were a request to reach Bolt unverified (it cannot, over HTTP), Bolt's own
    check raising on a malformed timestamp no longer hands the body to the error handler."""
    with FakeSlack() as fake:
        app = create_app(app_settings(fake, database), engine)
        body = command_body("/action", ADD, response_url=fake.response_url(PROD, CHAIR))
        request = BoltRequest(
            body=body,
            headers={
                "content-type": FORM,
                "x-slack-request-timestamp": "abc",
                "x-slack-signature": "v0=" + "0" * 64,
            },
        )
        answer = app.dispatch(request)
        settle()
        assert answer.status in (401, 500)
        assert fake.calls == []


def test_a_response_url_off_slack_is_never_followed(slack_app: SlackApp) -> None:
    with FakeSlack() as elsewhere:
        body = command_body(
            "/action",
            "list",
            user=CHAIR,
            trigger_id="trig-off",
            response_url=elsewhere.response_url(PROD, CHAIR),
        )
        answer = post(slack_app.sender.url, body, content_type=FORM, headers=sign(body))
        assert answer.status == 200
        slack_app.wait(lambda: slack_app.fake.calls_to("chat.postEphemeral"), what="an ephemeral instead")
        settle()
        assert elsewhere.calls == []


@pytest.mark.parametrize(
    ("url", "api_url", "followed"),
    [
        ("https://hooks.slack.com/commands/T0/1/abc", "https://slack.com/api/", True),
        ("https://hooks.slack.com.evil.test/x", "https://slack.com/api/", False),
        ("http://hooks.slack.com/commands/T0/1/abc", "https://slack.com/api/", False),
        ("https://evil.test/hook", "https://slack.com/api/", False),
        ("http://127.0.0.1:9/response/C/U", "http://127.0.0.1:9/api/", True),
        ("http://127.0.0.1:10/response/C/U", "http://127.0.0.1:9/api/", False),
        ("", "http://127.0.0.1:9/api/", False),
        (None, "https://slack.com/api/", False),
        (12, "https://slack.com/api/", False),
    ],
)
def test_response_urls_are_followed_only_to_slack_or_the_configured_api_host(
    url: Any, api_url: str, followed: bool
) -> None:
    assert points_at_slack(url, api_url) is followed


# -- findings 4 and 8: bodies bounded, never logged, malformed ones refused -----------------------


def test_an_oversized_body_is_refused_with_413_before_it_is_read(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    host, port = slack_app.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as client:
        client.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 5000000\r\n\r\n" + MARKER.encode() * 10
        )  # 5 MB announced, a few bytes sent: the answer comes without waiting for the rest
        answer = client.recv(1024)
    assert answer.startswith((b"HTTP/1.0 413", b"HTTP/1.1 413"))
    logged = sum(len(record.getMessage()) for record in caplog.records)
    assert logged < 500 and MARKER not in caplog.text


def test_a_newline_in_a_body_cannot_forge_a_log_line(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = command_body("/action", "list\nINFO bot.app: admin granted to U0EVIL")
    answer = post(slack_app.sender.url, body, content_type=FORM, headers={"X-Slack-Signature": "v0=x"})
    assert answer.status == 401
    assert "admin granted" not in caplog.text


def test_log_messages_have_their_control_characters_escaped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert escape_controls("a\nb\r\x1b[31m\u202e\u200bc") == "a\\nb\\r\\x1b[31m\\u202e\\u200bc"
    factory = logging.getLogRecordFactory()
    logging.setLogRecordFactory(EscapedLogRecord)
    try:
        logging.getLogger("bot.test").info("refused: %s", "x\nINFO forged line")
    finally:
        logging.setLogRecordFactory(factory)
    assert caplog.records[-1].getMessage() == "refused: x\\nINFO forged line"
    logging.setLogRecordFactory(EscapedLogRecord)
    try:
        logging.getLogger("bot.test").info("refused: %s", "a" * 500_000)
    finally:
        logging.setLogRecordFactory(factory)
    assert len(caplog.records[-1].getMessage()) < 2100


UNSIGNED_MALFORMED = [
    ("payload=", FORM),
    ("payload=%7B", FORM),
    ("{bad", FORM),
    ("{bad", "application/json"),
    ("token=x&command=%2Faction", "application/json"),
    ("\udcff\udcfe", FORM),
    ("[1, 2]", "application/json"),
    ("", FORM),
]


@pytest.mark.parametrize(("body", "content_type"), UNSIGNED_MALFORMED)
def test_unsigned_malformed_bodies_are_401(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    caplog.set_level(logging.WARNING)
    raw = body.encode("utf-8", "surrogateescape")
    answer = _post_bytes(slack_app.sender.url, raw, content_type, {})
    assert (answer[0], answer[1]) == (401, b"")
    assert not [r for r in caplog.records if r.exc_info]


SIGNED_MALFORMED: list[tuple[str, str]] = [
    ("payload=", FORM),
    ("payload=%7B", FORM),
    ("payload=%5B%5D", FORM),
    ("{bad", FORM),
    ("{bad", "application/json"),
    ("token=x&command=%2Faction", "application/json"),
    ("\udcff\udcfe", FORM),
    ("[1, 2]", "application/json"),
    ("{}", "application/json"),
    ("", FORM),
    (interaction_body({"type": "block_actions", "user": {"id": "U123"}, "actions": []}), FORM),
    (interaction_body({"type": "block_actions", "user": {"id": "U123"}, "actions": [{}]}), FORM),
    (interaction_body({"type": "block_actions", "user": "U123", "actions": [{"action_id": "x"}]}), FORM),
    (
        interaction_body({"type": "view_submission", "user": {"id": "U123"}, "view": {"callback_id": "x"}}),
        FORM,
    ),
    (interaction_body({"type": "view_submission", "user": {"id": "U123"}, "view": []}), FORM),
    (
        interaction_body(
            {
                "type": "view_submission",
                "user": {"id": "U1"},
                "view": {"type": "modal", "state": {"values": 1}},
            }
        ),
        FORM,
    ),
    (interaction_body({"type": "shortcut", "user": {"id": "U123"}}), FORM),
    (interaction_body({"type": "message_action", "user": {"id": "U1"}, "callback_id": 10**30}), FORM),
    (
        json.dumps({"type": "event_callback", "event": {"type": "app_home_opened", "user": {}}}),
        "application/json",
    ),
    (json.dumps({"type": "event_callback", "event": []}), "application/json"),
    (json.dumps({"type": 10**30}), "application/json"),
    (urlencode({"command": "/action", "text": "list"}), FORM),
    ("[" * 100_000, "application/json"),
]


@pytest.mark.parametrize(("body", "content_type"), SIGNED_MALFORMED, ids=lambda v: repr(v)[:50])
def test_signed_malformed_bodies_are_refused_never_500(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, body: str, content_type: str
) -> None:
    caplog.set_level(logging.WARNING)
    raw = body.encode("utf-8", "surrogateescape")
    before = row_counts(slack_app.engine)
    status, _ = _post_bytes(slack_app.sender.url, raw, content_type, _sign_bytes(raw))
    settle()
    assert status in (400, 404)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    after = row_counts(slack_app.engine)
    assert {k: v for k, v in after.items() if k != "seen_request"} == {
        k: v for k, v in before.items() if k != "seen_request"
    }


BUTTONS = sorted({v for k, v in vars(ids).items() if k.startswith(("BTN_", "SELECT_"))})


@pytest.mark.parametrize("action_id", BUTTONS)
def test_a_button_without_its_value_is_refused_plainly(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture, action_id: str
) -> None:
    """A verified click whose value (or selected option) is missing: a plain refusal, never an
    unexpected error logged for the operators (the fuzz test found a KeyError here once)."""
    caplog.set_level(logging.WARNING)
    before = row_counts(slack_app.engine)
    body = interaction_body(
        {
            "type": "block_actions",
            "team": {"id": "T0TEAM"},
            "user": {"id": CHAIR, "team_id": "T0TEAM"},
            "trigger_id": "1.2.3",
            "actions": [{"type": "button", "action_id": action_id, "block_id": "b"}],
        }
    )
    status, _ = _post_bytes(slack_app.sender.url, body.encode(), FORM, _sign_bytes(body.encode()))
    settle()
    assert status < 500
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if "unexpected error" in r.getMessage()]
    # Only the request itself and the directory of Slack users (who asked) may be written.
    written = {"seen_request", "slack_user"}
    after = row_counts(slack_app.engine)
    assert {k: v for k, v in after.items() if k not in written} == {
        k: v for k, v in before.items() if k not in written
    }


# -- finding 9: replays and retries --------------------------------------------------------------


def test_a_replayed_command_gets_the_same_answer_and_writes_nothing(slack_app: SlackApp) -> None:
    body = command_body(
        "/action",
        "add <@U123> Relancer le plan d'ici vendredi",
        trigger_id="trig-replay",
        response_url=slack_app.fake.response_url(PROD, CHAIR),
    )
    headers = sign(body)
    first = post(slack_app.sender.url, body, content_type=FORM, headers=headers)
    slack_app.reply(CHAIR)
    again = post(slack_app.sender.url, body, content_type=FORM, headers=headers)
    settle()
    assert (again.status, again.body) == (first.status, first.body)
    assert len(slack_app.actions()) == 1
    assert len(slack_app.fake.ephemerals(CHAIR)) == 1


def test_a_slack_retry_of_an_event_runs_nothing_again(slack_app: SlackApp) -> None:
    body = event_body(
        {"type": "app_home_opened", "user": MARIE, "channel": "D0U123", "tab": "home", "event_ts": "1.1"}
    )
    first = post(slack_app.sender.url, body, content_type="application/json", headers=sign(body))
    slack_app.home(MARIE)
    retry_headers = {**sign(body, timestamp=int(time.time()) + 1), "X-Slack-Retry-Num": "1"}
    retry_headers["X-Slack-Retry-Reason"] = "http_timeout"
    again = post(slack_app.sender.url, body, content_type="application/json", headers=retry_headers)
    settle()
    assert again.status == first.status == 200
    assert len(slack_app.fake.calls_to("views.publish")) == 1


def test_a_slack_retry_of_a_command_runs_nothing_again(slack_app: SlackApp) -> None:
    body = command_body(
        "/action",
        "add <@U123> Relancer le plan d'ici vendredi",
        trigger_id="trig-retried",
        response_url=slack_app.fake.response_url(PROD, CHAIR),
    )
    post(slack_app.sender.url, body, content_type=FORM, headers=sign(body))
    slack_app.reply(CHAIR)
    retry = {**sign(body, timestamp=int(time.time()) + 1), "X-Slack-Retry-Num": "1"}
    again = post(slack_app.sender.url, body, content_type=FORM, headers=retry)
    settle()
    assert again.status == 200
    assert len(slack_app.actions()) == 1


def test_the_same_command_sent_twice_by_a_person_is_two_requests(slack_app: SlackApp) -> None:
    """Not a replay: Slack gives each invocation its own trigger id and timestamp."""
    slack_app.command("add <@U123> Relancer le plan d'ici vendredi")
    slack_app.wait(lambda: len(slack_app.actions()) == 1, what="one item")
    slack_app.command("add <@U123> Relancer le plan d'ici vendredi")
    slack_app.wait(lambda: len(slack_app.actions()) == 2, what="two items")


# -- helpers ---------------------------------------------------------------------------------------


def _sign_bytes(raw: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature_of(SIGNING_SECRET, ts, raw)}


def _post_bytes(url: str, raw: bytes, content_type: str, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=raw, method="POST", headers={"Content-Type": content_type, **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_a_replay_sent_to_another_process_or_after_a_restart_writes_nothing(slack_app: SlackApp) -> None:
    """Another server on the same database (another gunicorn process, or this one restarted) knows
    the request from the seen_request table."""
    other = create_server(
        app_settings(slack_app.fake, slack_app.database), slack_app.engine, clock=lambda: NOW
    )
    server = make_server("127.0.0.1", 0, other, server_class=ThreadingWSGIServer, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        body = command_body(
            "/action",
            "add <@U123> Relancer le plan d'ici vendredi",
            trigger_id="trig-elsewhere",
            response_url=slack_app.fake.response_url(PROD, CHAIR),
        )
        headers = sign(body)
        assert post(slack_app.sender.url, body, content_type=FORM, headers=headers).status == 200
        slack_app.reply(CHAIR)
        time.sleep(0.2)  # SQLite: the fingerprint is written off the ack's path
        url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
        assert post(url, body, content_type=FORM, headers=headers).status == 200
        settle()
        assert len(slack_app.actions()) == 1
        assert len(slack_app.fake.ephemerals(CHAIR)) == 1
    finally:
        server.shutdown()
        server.server_close()
        other.close()
