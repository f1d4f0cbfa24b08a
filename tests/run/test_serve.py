"""``committee-bot serve --http`` as a real process (gunicorn), and its refusals to start."""

from __future__ import annotations

import subprocess
import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.models import ActionItem
from tests.support.fakeslack import FakeSlack
from tests.support.paths import COMMITTEE_BOT, ROOT
from tests.support.serving import free_port, serve_env
from tests.support.slackapp import MARIE, PROD
from tests.support.slackhttp import SlackSender, command_body, get, post

pytestmark = pytest.mark.slow  # subprocesses and real servers: outside the quick loop


def test_serve_http_answers_health_signed_and_unsigned_requests(
    served: tuple[str, FakeSlack, Engine],
) -> None:
    url, fake, engine = served
    assert get(url + "/healthz").json() == {"ok": True}

    body = command_body(
        "/action",
        "add <@U123|marie> Relancer le plan de renfort d'ici vendredi !high",
        response_url=fake.response_url(PROD, "U0CHAIR"),
    )
    unsigned = post(url + "/slack/events", body, content_type="application/x-www-form-urlencoded")
    assert unsigned.status == 401

    started = time.monotonic()
    signed = SlackSender(url).command(
        "/action",
        "add <@U123|marie> Relancer le plan de renfort d'ici vendredi !high",
        response_url=fake.response_url(PROD, "U0CHAIR"),
    )
    assert signed.status == 200 and time.monotonic() - started < 3

    deadline = time.monotonic() + 10
    while not fake.ephemerals("U0CHAIR"):
        assert time.monotonic() < deadline, "no confirmation"
        time.sleep(0.05)
    assert "A1" in fake.ephemerals("U0CHAIR")[0].text

    with Session(engine) as session:
        [item] = session.exec(select(ActionItem)).all()
    assert (item.owner, item.priority) == (MARIE, "high")


def test_serve_refuses_an_out_of_date_schema(database: tuple[str, str | None]) -> None:
    with FakeSlack() as fake:
        done = subprocess.run(
            [COMMITTEE_BOT, "serve", "--http", "--port", str(free_port())],
            check=False,
            cwd=ROOT,
            env=serve_env(fake, database),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert "committee-bot db upgrade" in done.stderr


def test_serve_refuses_to_start_without_a_signing_secret(
    engine: Engine, database: tuple[str, str | None]
) -> None:
    with FakeSlack() as fake:
        env = {**serve_env(fake, database), "SLACK_SIGNING_SECRET": ""}
        done = subprocess.run(
            [COMMITTEE_BOT, "serve", "--http", "--port", str(free_port())],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2 and "SLACK_SIGNING_SECRET" in done.stderr
