"""Issue 7, deliver 9: generated requests against the real app over real HTTP, on each back end.

- Unverified (no, a wrong, a malformed or a stale signature; a tampered body): 401, an empty body, no
  Slack call, no row written.
- Verified (random commands, interactions and events, well-formed or not, fields of the wrong type,
  bodies up to Slack's sizes, retries): never a 5xx, and nothing logged at ERROR or with a traceback,
  the work after each ack included.

Bounded: ``FUZZ_UNVERIFIED`` and ``FUZZ_VERIFIED`` examples (default 1200 and 600). A failure prints
Hypothesis's reproduction blob and ``FUZZ_SEED``; run again with ``FUZZ_SEED=<seed>`` to replay it.
The seed is fixed by default (``DEFAULT_SEED``); ``FUZZ_SEED=random`` explores.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from wsgiref.simple_server import make_server

import pytest
from hypothesis import HealthCheck, given, note, seed, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from bot.run.app import create_app
from bot.run.http_server import BotServer
from bot.run.verification import signature_of
from bot.slack import ids
from tests.support.fakeslack import FakeSlack
from tests.support.serving import row_counts
from tests.support.slackapp import (
    ADMIN,
    CHAIR,
    MARIE,
    NOW,
    PAUL,
    PROD,
    QUAL,
    STRANGER,
    QuietHandler,
    ThreadingWSGIServer,
    add_people,
    app_settings,
)
from tests.support.slackapp import (
    seed as seed_database,
)
from tests.support.slackhttp import SIGNING_SECRET

# CI runs one fixed seed, so that a red build is the code's doing and replays as it is;
# FUZZ_SEED=random explores new requests (run it that way after changing a listener).
DEFAULT_SEED = 20261203
_chosen = os.environ.get("FUZZ_SEED") or str(DEFAULT_SEED)
FUZZ_SEED = random.randrange(2**32) if _chosen == "random" else int(_chosen)
UNVERIFIED = int(os.environ.get("FUZZ_UNVERIFIED", "1200"))
VERIFIED = int(os.environ.get("FUZZ_VERIFIED", "600"))
FORM = "application/x-www-form-urlencoded"


# -- the app, with a listener pool whose idleness can be awaited ---------------------------------


class CountingPool(ThreadPoolExecutor):
    """The listener pool, counting the work not finished yet (so a test can wait for quiet)."""

    def __init__(self) -> None:
        super().__init__(max_workers=4, thread_name_prefix="listener")
        self.pending = 0
        self._lock = threading.Lock()

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        with self._lock:
            self.pending += 1
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._done)
        return future

    def _done(self, _future: Future[Any]) -> None:
        with self._lock:
            self.pending -= 1

    def wait_idle(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while self.pending:
            assert time.monotonic() < deadline, "the listener pool did not go quiet"
            time.sleep(0.002)


@dataclass
class Served:
    host: str
    port: int
    fake: FakeSlack
    engine: Engine
    pool: CountingPool
    rows: dict[str, int] | None = None  # row counts before the first unverified request


@pytest.fixture
def served(engine: Engine, database: tuple[str, str | None]) -> Iterator[Served]:
    with FakeSlack() as fake:
        add_people(fake)
        seed_database(engine)
        pool = CountingPool()
        settings_ = app_settings(fake, database)
        app = create_app(settings_, engine, clock=lambda: NOW, executor=pool)
        wsgi = BotServer(app, engine, clock=lambda: NOW, executor=pool, signing_secret=SIGNING_SECRET)
        server = make_server(
            "127.0.0.1", 0, wsgi, server_class=ThreadingWSGIServer, handler_class=QuietHandler
        )
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            yield Served("127.0.0.1", server.server_address[1], fake, engine, pool)
        finally:
            server.shutdown()
            server.server_close()
            wsgi.close()


def send(served: Served, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST /slack/events over a plain socket (any header value, any bytes); (status, body)."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    request = (
        f"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        f"{head}\r\n"
    ).encode("latin-1") + body
    with socket.create_connection((served.host, served.port), timeout=20) as client:
        client.sendall(request)
        chunks = []
        while chunk := client.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload


# -- what is generated ----------------------------------------------------------------------------

USERS = st.sampled_from([CHAIR, MARIE, PAUL, STRANGER, ADMIN, "U0NOBODY", "W0ENT", ""])
CHANNELS = st.sampled_from([PROD, QUAL, "C0NONE", "D0DM", "G0PRIV", ""])
SHORT = st.text(max_size=40)
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | SHORT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


def odd(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly ``strategy``, now and then any JSON value at all (a field of the wrong type)."""
    return st.tuples(st.integers(0, 15), strategy, JSON).map(lambda t: t[2] if t[0] == 7 else t[1])


ACTION_IDS = st.sampled_from(
    [value for name, value in vars(ids).items() if name.startswith(("BTN_", "SELECT_"))] + ["unknown"]
)
CALLBACKS = st.sampled_from([value for name, value in vars(ids).items() if name.startswith("VIEW_")] + ["x"])
BLOCKS = st.sampled_from([value for name, value in vars(ids).items() if name.startswith("BLOCK_")] + ["b"])
ROW_IDS = st.integers(min_value=-2, max_value=6) | st.integers(min_value=-(10**30), max_value=10**30)
TAGGED = st.builds(
    lambda tag, fields: json.dumps({"t": tag, **fields}),
    st.sampled_from(["a", "s", "m", "c", "p", "d", "mt", "mf", "mv", "o", "zz"]),
    st.dictionaries(
        st.sampled_from(["action_id", "meeting_id", "committee_id", "channel", "choice", "text", "series"]),
        odd(ROW_IDS | SHORT | st.sampled_from(["1w", "1bd", "20270323T0900Z"])),
        max_size=3,
    ),
)
VALUES = TAGGED | SHORT
COMMAND_TEXTS = st.sampled_from(
    [
        "",
        "help",
        "list",
        "list mine",
        "list overdue",
        "list all",
        "list <@U123>",
        "add <@U123> Relancer le plan d'ici vendredi !high",
        "add <@U123|marie> Chiffrer le renfort by 2027-03-26",
        "add Relancer",
        "done 1",
        "done A1",
        "postpone 1 2027-04-02",
        "snooze 1 2027-03-30",
        "assign 1 <@U0PAUL>",
        "edit 1",
        "away until 2027-03-30",
        "away off",
        "next",
        "calendar",
        "agenda Point sur les effectifs",
        "minutes",
        "next qualite",
    ]
)


@st.composite
def padded(draw: st.DrawFn, strategy: st.SearchStrategy[str]) -> str:
    """Text, sometimes grown towards Slack's sizes (a modal's state, a long message)."""
    text = draw(strategy)
    size = draw(st.sampled_from([0] * 30 + [4_000, 40_000, 400_000, 900_000]))
    return text + "a" * size


def command_bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    fields = st.fixed_dictionaries(
        {
            "command": odd(st.sampled_from(["/action", "/action", "/committee", "/other"])),
            "text": odd(padded(COMMAND_TEXTS | SHORT | st.builds("{} {}".format, COMMAND_TEXTS, SHORT))),
            "user_id": USERS,
            "channel_id": CHANNELS,
            "team_id": st.just("T0TEAM"),
            "trigger_id": st.uuids().map(str),
            "response_url": st.sampled_from(["", "https://evil.test/hook", "RESPONSE"]),
        },
        optional={"api_app_id": SHORT, "is_enterprise_install": st.sampled_from(["false", "true", "x"])},
    )
    return st.tuples(
        fields.map(lambda f: urlencode({k: str(v) for k, v in f.items()}).encode()), st.just(FORM)
    )


def interaction_bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    action = st.fixed_dictionaries(
        {
            "action_id": odd(ACTION_IDS),
            "block_id": odd(SHORT | BLOCKS),
            "type": st.sampled_from(["button", "static_select", "overflow"]),
        },
        optional={
            "value": odd(VALUES),
            "selected_option": odd(st.fixed_dictionaries({"value": odd(VALUES)})),
        },
    )
    element = st.dictionaries(
        st.sampled_from(
            [
                "type",
                "value",
                "selected_date",
                "selected_time",
                "selected_user",
                "selected_option",
                "selected_users",
            ]
        ),
        odd(
            SHORT | st.sampled_from(["2027-03-26", "10:00", MARIE]) | st.fixed_dictionaries({"value": VALUES})
        ),
        max_size=3,
    )
    view = st.fixed_dictionaries(
        {
            "id": st.just("V0001"),
            "type": odd(st.sampled_from(["modal", "modal", "home"])),
            "callback_id": odd(CALLBACKS),
            "private_metadata": odd(VALUES),
            "hash": st.just("h"),
            "blocks": st.just([]),
            "state": odd(
                st.fixed_dictionaries(
                    {
                        "values": st.dictionaries(
                            BLOCKS, st.dictionaries(st.just("value"), element), max_size=6
                        )
                    }
                )
            ),
        }
    )
    base = {
        "user": odd(st.fixed_dictionaries({"id": odd(USERS), "team_id": st.just("T0TEAM")})),
        "team": st.just({"id": "T0TEAM", "domain": "fake"}),
        "api_app_id": st.just("A0APP"),
        "trigger_id": st.uuids().map(str),
    }
    extra = {
        "channel": odd(st.fixed_dictionaries({"id": CHANNELS})),
        "container": odd(st.fixed_dictionaries({"type": st.just("message"), "channel_id": CHANNELS})),
        "response_url": st.sampled_from(["https://evil.test/hook", "RESPONSE", "RESPONSE"]),
    }
    payload = st.one_of(
        st.fixed_dictionaries(
            {
                **base,
                "type": st.just("block_actions"),
                "actions": odd(st.lists(action, min_size=1, max_size=2)),
            },
            optional={**extra, "view": odd(view)},
        ),
        st.fixed_dictionaries(
            {**base, "type": st.sampled_from(["view_submission", "view_closed"]), "view": odd(view)},
            optional=extra,
        ),
        st.fixed_dictionaries(
            {
                **base,
                "type": st.sampled_from(["shortcut", "message_action"]),
                "callback_id": odd(st.sampled_from([ids.SHORTCUT_CREATE_ACTION, "x"])),
                "message": odd(
                    st.fixed_dictionaries({"text": padded(SHORT), "ts": st.just("1.2"), "user": USERS})
                ),
            },
            optional=extra,
        ),
        st.fixed_dictionaries(
            {**base, "type": odd(SHORT)}, optional={**extra, "actions": JSON, "view": JSON}
        ),
    )
    return st.tuples(payload.map(lambda p: urlencode({"payload": json.dumps(p)}).encode()), st.just(FORM))


def event_bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    event = st.fixed_dictionaries(
        {"type": odd(st.sampled_from(["app_home_opened", "message", "x"])), "user": odd(USERS)},
        optional={"tab": odd(st.sampled_from(["home", "messages"])), "channel": odd(CHANNELS)},
    )
    body = st.fixed_dictionaries(
        {
            "type": odd(st.just("event_callback")),
            "team_id": st.just("T0TEAM"),
            "api_app_id": st.just("A0APP"),
            "event_id": odd(st.uuids().map(lambda u: f"Ev{u.hex}")),
            "event": odd(event),
        }
    )
    return st.tuples(body.map(lambda b: json.dumps(b).encode()), st.sampled_from(["application/json", FORM]))


def raw_bodies() -> st.SearchStrategy[tuple[bytes, str]]:
    content_types = st.sampled_from(
        [FORM, "application/json", "application/json; charset=utf-8", "text/plain", ""]
    )
    return st.tuples(
        st.one_of(
            st.binary(max_size=300),
            st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
            st.dictionaries(SHORT, SHORT, max_size=5).map(lambda d: urlencode(d).encode()),
            JSON.map(lambda v: json.dumps(v).encode()),
            st.sampled_from(
                [b"payload=", b"payload=%7B", b"{bad", b"{}", b"[]", b"payload=%5B%5D", b"\xff\xfe"]
            ),
        ),
        content_types,
    )


BODIES = st.one_of(command_bodies(), interaction_bodies(), event_bodies(), raw_bodies())


def finish(served: Served, body: bytes) -> bytes:
    """Point the generated "RESPONSE" URLs at the fake's response endpoint (Slack's, in tests)."""
    url = served.fake.response_url(PROD, MARIE).encode()
    return body.replace(b"RESPONSE", url.replace(b":", b"%3A").replace(b"/", b"%2F"))


@st.composite
def unverified(draw: st.DrawFn) -> tuple[bytes, str, dict[str, str]]:
    body, content_type = draw(BODIES)
    now = int(time.time())
    mode = draw(st.sampled_from(["none", "wrong_secret", "stale", "future", "bad_ts", "bad_sig", "tampered"]))
    ts = str(now)
    if mode == "stale":
        ts = str(now - draw(st.integers(min_value=310, max_value=10**6)))
    elif mode == "future":
        ts = str(now + draw(st.integers(min_value=310, max_value=10**6)))
    elif mode == "bad_ts":
        ts = draw(
            st.sampled_from(["abc", "1.5e9", "", " ", f"{now}.0", f"+{now}", f"{now} ", "0x10", "\u00b3"])
        )
    signature = (
        signature_of("not-" + SIGNING_SECRET if mode == "wrong_secret" else SIGNING_SECRET, ts, body)
        if ts.isascii()
        else "v0=0"
    )
    if mode == "bad_sig":
        signature = draw(
            st.sampled_from(["", "v0=", "v0=" + "g" * 64, "v1=" + "0" * 64, signature.upper(), "x"])
        )
    if mode == "tampered":
        body = body + b"&x=1" if body else b"x"
    headers = {"Content-Type": content_type} if content_type else {}
    if mode != "none":
        headers.update({"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature})
        if draw(st.booleans()):
            del headers[draw(st.sampled_from(["X-Slack-Request-Timestamp", "X-Slack-Signature"]))]
    return body, content_type, headers


@st.composite
def verified(draw: st.DrawFn) -> tuple[bytes, str, dict[str, str]]:
    body, content_type = draw(BODIES)
    return body, content_type, {"Content-Type": content_type} if content_type else {}


def signed_headers(body: bytes, headers: dict[str, str], retry: bool) -> dict[str, str]:
    ts = str(int(time.time()))
    signed = {
        **headers,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature_of(SIGNING_SECRET, ts, body),
    }
    if retry:
        signed.update({"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    return signed


def fuzz_settings(examples: int) -> settings:
    """Bounded, no example database, the reproduction blob printed on failure."""
    return settings(
        max_examples=examples,
        deadline=None,
        print_blob=True,
        database=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )


@seed(FUZZ_SEED)
@fuzz_settings(UNVERIFIED)
@given(request=unverified())
def test_fuzz_unverified_requests_are_401_with_no_slack_call_and_no_row(
    served: Served, request: tuple[bytes, str, dict[str, str]]
) -> None:
    body, _, headers = request
    body = finish(served, body)
    if served.rows is None:
        served.rows = row_counts(served.engine)
    status, answer = send(served, body, headers)
    note(f"FUZZ_SEED={FUZZ_SEED}")
    assert (status, answer) in ((401, b""), (413, b"")), f"{status} {answer[:200]!r} (FUZZ_SEED={FUZZ_SEED})"
    assert served.fake.calls == [], f"a Slack call for an unverified request (FUZZ_SEED={FUZZ_SEED})"
    assert row_counts(served.engine) == served.rows, f"a row written (FUZZ_SEED={FUZZ_SEED})"


class ErrorLog(logging.Handler):
    """Every record at ERROR or with a traceback, from any thread."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture
def error_log() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@seed(FUZZ_SEED)
@fuzz_settings(VERIFIED)
@given(request=verified(), retry=st.booleans())
def test_fuzz_verified_requests_never_fail_with_5xx_or_a_traceback(
    served: Served, error_log: ErrorLog, request: tuple[bytes, str, dict[str, str]], retry: bool
) -> None:
    body, _, headers = request
    body = finish(served, body)
    error_log.records.clear()
    status, answer = send(served, body, signed_headers(body, headers, retry))
    served.pool.wait_idle()
    note(f"FUZZ_SEED={FUZZ_SEED}")
    assert status < 500, f"{status} {answer[:200]!r} (FUZZ_SEED={FUZZ_SEED})"
    problems = [
        f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else f"{r.name}: {r.getMessage()}"
        for r in error_log.records
    ]
    assert not problems, f"{problems} (FUZZ_SEED={FUZZ_SEED})"
