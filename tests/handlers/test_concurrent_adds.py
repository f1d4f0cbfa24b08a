"""Issue 7, finding 3: concurrent ``/action add`` lost items.

On PostgreSQL, two requests meeting the same new user both inserted its ``slack_user`` row (one failed
on the primary key, and its item was lost); on SQLite, a slow ``users.info`` inside the write
transaction held the write lock ("database is locked"). Users are now upserted and Slack is asked
before the unit of work opens. Fifty signed requests at once, through the real app over HTTP, store
fifty items, on both back ends.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from storage import users
from storage.db import write_session
from storage.models import SlackUser
from tests.support.slackapp import PROD, SlackApp

ADDS = 50
GROUPS = 10
NEW_OWNER = "U0NEWOWNER"


def slow_users_info(app: SlackApp, seconds: float) -> None:
    """Make ``users.info`` answer late, as Slack does under load (several at once)."""
    original = app.fake._answer

    def slow(method, params, token):  # type: ignore[no-untyped-def]
        if method == "users.info":
            time.sleep(seconds)
        return original(method, params, token)

    app.fake._answer = slow  # type: ignore[method-assign]


def test_fifty_concurrent_adds_by_new_users_store_fifty_items(slack_app: SlackApp) -> None:
    # The people typing and the owners are all new to the bot: concurrent requests meet each of
    # them for the first time together.
    creators = [f"U0NEWC{n}" for n in range(GROUPS)]
    owners = [f"U0NEWO{n}" for n in range(GROUPS)]
    for user in creators + owners:
        slack_app.fake.add_user(user)
    slow_users_info(slack_app, 0.05)

    def add(n: int) -> int:
        creator, owner = creators[n % GROUPS], owners[n % GROUPS]
        return slack_app.command(
            f"add <@{owner}> Relancer le plan numéro {n} d'ici vendredi", user=creator, channel=PROD
        ).status

    with ThreadPoolExecutor(max_workers=ADDS) as pool:
        statuses = list(pool.map(add, range(ADDS)))

    assert statuses == [200] * ADDS
    replies = slack_app.wait(
        lambda: (
            sum(len(slack_app.fake.ephemerals(user)) for user in creators) >= ADDS
            and [m for user in creators for m in slack_app.fake.ephemerals(user)]
        ),
        timeout=60,
        what="an answer to every request",
    )
    assert [m.text for m in replies if "inattendue" in m.text or "unexpected" in m.text] == []
    titles = sorted(action.title for action in slack_app.actions())
    assert titles == sorted(f"Relancer le plan numéro {n}" for n in range(ADDS))
    for owner in owners:
        stored = slack_app.user(owner)
        assert stored is not None and stored.tz == "Europe/Paris"


def test_two_transactions_meeting_the_same_new_user_both_succeed(engine) -> None:
    """The race itself: a second unit of work upserts a user the first has inserted but not yet
    committed; it waits, then updates the row (before: UniqueViolation on slack_user_pkey)."""
    now = datetime(2027, 3, 16, 8, 0, tzinfo=UTC)
    inserted, release = threading.Event(), threading.Event()

    def first() -> None:
        with write_session(engine) as session:
            users.upsert_user(session, user_id="U0RACE", now=now, tz="Europe/Paris")
            inserted.set()
            release.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    assert inserted.wait(5)
    threading.Timer(0.3, release.set).start()
    with write_session(engine) as session:
        users.upsert_user(session, user_id="U0RACE", now=now, locale="fr-FR")
    thread.join(5)
    with Session(engine) as session:
        row = session.get(SlackUser, "U0RACE")
    assert row is not None and (row.tz, row.locale) == ("Europe/Paris", "fr-FR")


def test_no_slack_call_runs_inside_a_write_transaction(slack_app: SlackApp) -> None:
    """While Slack answers users.info, another connection can take SQLite's write lock at once: no
    write transaction of the app is open (before, the owner was looked up inside one)."""
    engine = slack_app.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's; PostgreSQL is covered by the concurrent adds")
    slack_app.fake.add_user(NEW_OWNER)
    locked_during: list[str] = []
    original = slack_app.fake._dispatch

    def watch(method, params):  # type: ignore[no-untyped-def]
        if method == "users.info":
            probe = sqlite3.connect(engine.url.database, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError:
                locked_during.append(params.get("user", ""))
            finally:
                probe.close()
        return original(method, params)

    slack_app.fake._dispatch = watch  # type: ignore[method-assign]
    slack_app.command(f"add <@{NEW_OWNER}> Relancer le plan d'ici vendredi")
    slack_app.wait(slack_app.actions, what="the item")

    asked = [call.params.get("user") for call in slack_app.fake.calls_to("users.info")]
    assert NEW_OWNER in asked
    assert locked_during == []


def test_upsert_of_a_user_seen_twice_keeps_one_row_and_the_latest_values(engine) -> None:
    now = datetime(2027, 3, 16, 8, 0, tzinfo=UTC)
    with write_session(engine) as session:
        users.upsert_user(session, user_id="U0TWICE", now=now, tz="Europe/Paris", locale="fr-FR")
    with write_session(engine) as session:
        users.set_away(session, user_id="U0TWICE", until=None, now=now)
        again = users.upsert_user(session, user_id="U0TWICE", now=now, locale="en-US", deleted=True)
        assert (again.tz, again.locale, again.deleted) == ("Europe/Paris", "en-US", True)
    with Session(engine) as session:
        rows = session.exec(select(SlackUser).where(SlackUser.user_id == "U0TWICE")).all()
    assert len(rows) == 1 and rows[0].tz == "Europe/Paris" and rows[0].deleted
