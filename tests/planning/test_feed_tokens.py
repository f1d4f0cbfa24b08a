"""Issue 7, finding 7: feed tokens could not be revoked or rotated, and a retired committee still
served its feed. ``committee-bot feeds rotate KEY`` issues a new token and the old URL answers 404;
a committee set ``active: false`` serves 404. Driven over real HTTP against the running app.
"""

from __future__ import annotations

import re

from click.testing import CliRunner
from sqlmodel import Session, select

from bot.cli.main import cli
from storage.models import Committee
from tests.conftest import database_env
from tests.support.slackapp import FEED_TOKEN, SlackApp
from tests.support.slackhttp import get

PUBLIC_URL = "https://bot.example.com"


def rotate(app: SlackApp, key: str, **env: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["feeds", "rotate", key], env={**database_env(app.database), **env})


def test_rotating_a_feed_revokes_the_old_url_and_prints_the_new_one(slack_app: SlackApp) -> None:
    assert get(f"{slack_app.url}/calendar/{FEED_TOKEN}.ics").status == 200

    result = rotate(slack_app, "production", PUBLIC_URL=PUBLIC_URL)

    assert result.exit_code == 0, result.stderr
    found = re.search(rf"{re.escape(PUBLIC_URL)}/calendar/([A-Za-z0-9_-]+)\.ics", result.stdout)
    assert found, result.stdout
    token = found.group(1)
    assert token != FEED_TOKEN and len(token) >= 32
    assert get(f"{slack_app.url}/calendar/{FEED_TOKEN}.ics").status == 404
    fresh = get(f"{slack_app.url}/calendar/{token}.ics")
    assert fresh.status == 200 and "BEGIN:VCALENDAR" in fresh.body
    # The other committee's feed is untouched.
    assert get(f"{slack_app.url}/calendar/feed-qual-0123456789.ics").status == 200


def test_rotate_without_public_url_prints_the_feed_path(slack_app: SlackApp) -> None:
    result = rotate(slack_app, "production")

    assert result.exit_code == 0, result.stderr
    assert re.search(r"production: new calendar feed /calendar/[A-Za-z0-9_-]+\.ics", result.stdout)


def test_rotate_of_an_unknown_committee_is_one_error_line(slack_app: SlackApp) -> None:
    result = rotate(slack_app, "nope")

    assert result.exit_code == 2
    assert result.stderr.splitlines() == ['Error: unknown committee "nope" (known: production, qualite)']


def test_an_inactive_committee_serves_no_feed(slack_app: SlackApp) -> None:
    with Session(slack_app.engine) as session:
        committee = session.exec(select(Committee).where(Committee.key == "production")).one()
        committee.active = False
        session.add(committee)
        session.commit()

    answer = get(f"{slack_app.url}/calendar/{FEED_TOKEN}.ics")

    assert answer.status == 404 and "VCALENDAR" not in answer.body
