"""A change of schedule by ``config import`` (SPEC §4 "Changes and their invariant"): it applies from
the import on. Meetings held before it stay as they took place (no minutes chase for a phantom
meeting at the new hour); the occurrences to come follow the new series; a cancellation or move of
an old occurrence to come is void, and the import says so. Real flows, the real dispatcher and the
fake Slack over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from slack_sdk import WebClient
from sqlmodel import Session, col, select

from bot.cli.main import cli
from bot.config.transfer import import_config
from bot.config.validation import parse_config
from bot.delivery import tick as delivery
from bot.meetings import flows as meeting_flows
from bot.meetings import state as meeting_state
from bot.meetings.changes import restore_meeting
from bot.planning import outbox
from bot.planning.window import plan_window
from bot.text.errors import InvalidInput
from storage.db import session_scope, write_session
from storage.models import Committee, Meeting, Notification, SlackUser
from tests.conftest import database_env
from tests.support.config_examples import WEEKLY
from tests.support.fakeslack import FakeSlack

PARIS = ZoneInfo("Europe/Paris")
PEOPLE = ("U0CHAIR", "U0SEC", "U0DECK")
AT_TWO = WEEKLY.replace("first: 2026-12-01T10:00", "first: 2026-12-01T14:00")
INSTALL = datetime(2027, 1, 4, 8, 0, tzinfo=PARIS)
CHANGE = datetime(2027, 1, 13, 9, 0, tzinfo=PARIS)  # the day after the meeting of Tuesday the 12th


@pytest.fixture
def fake():
    with FakeSlack() as running:
        for user in PEOPLE:
            running.add_user(user, tz="Europe/Paris", locale="fr-FR")
        yield running


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)


def declare(engine, text: str, *, now: datetime) -> None:
    with session_scope(engine) as session:
        import_config(session, parse_config(text), now=now)
        for user in PEOPLE:
            if session.get(SlackUser, user) is None:
                session.add(SlackUser(user_id=user, tz="Europe/Paris", locale="fr-FR"))


def tick(engine, client, now: datetime) -> None:
    delivery.tick(engine, client, now=now, worker="test", sleep=lambda _s: None, concurrency=1)


def keys(engine, *states: str) -> list[str]:
    with Session(engine) as session:
        rows = session.exec(select(Notification).where(col(Notification.state).in_(states))).all()
        return sorted(row.key for row in rows)


def test_a_new_hour_does_not_rewrite_the_meeting_held_the_day_before(engine, fake, client) -> None:
    """The committee met on Tuesday the 12th at 10:00; on Wednesday it moves to 14:00. Its minutes are
    chased for the 10:00 meeting as before, never for a 14:00 meeting that did not take place; the
    meetings to come are at 14:00; the history keeps the 10:00 meeting."""
    declare(engine, WEEKLY, now=INSTALL)
    tick(engine, client, INSTALL)
    tick(engine, client, datetime(2027, 1, 12, 12, 0, tzinfo=PARIS))
    declare(engine, AT_TWO, now=CHANGE)
    with write_session(engine) as session:
        committee = session.exec(select(Committee)).one()
        outbox.replan_committee(session, committee_id=committee.id, now=CHANGE)
    for day in (13, 14, 15, 18):
        tick(engine, client, datetime(2027, 1, day, 16, 0, tzinfo=PARIS))
    everything = keys(engine, "pending", "sent", "claimed")
    assert [k for k in everything if k.startswith("m:production:20270112T1300Z")] == []
    assert "m:production:20270112T0900Z:minutes_overdue:1:channel" in keys(engine, "sent")
    assert "m:production:20270119T1300Z:agenda_request" in keys(engine, "sent")
    with Session(engine) as session:
        committee = session.exec(select(Committee)).one()
        assert committee.schedule_from == CHANGE.astimezone(UTC)
        week = meeting_state.stored_occurrences(
            session,
            committee=committee,
            workspace=meeting_state.get_workspace(session),
            start=datetime(2027, 1, 11, tzinfo=PARIS),
            end=datetime(2027, 1, 21, tzinfo=PARIS),
        )
    assert [o.start for o in week] == [
        datetime(2027, 1, 12, 10, 0, tzinfo=PARIS),
        datetime(2027, 1, 19, 14, 0, tzinfo=PARIS),
    ]
    # A fresh plan of the final state agrees with the outbox (nothing at 14:00 on the 12th).
    with Session(engine) as session:
        planned = plan_window(
            session, start=CHANGE, end=datetime(2027, 2, 1, tzinfo=PARIS), committee_key="production"
        )
    assert [p.key for p in planned if "20270112T1300Z" in p.key] == []


def test_an_import_that_makes_a_cancellation_void_says_so(database, engine, tmp_path) -> None:
    """The chair cancelled the meeting of the 19th at 10:00; the committee then moves to 14:00 by
    ``config import``: the cancellation was of the old slot, so the import names it, and restoring
    it is refused; the 19th at 14:00 is planned as any new occurrence."""
    declare(engine, WEEKLY, now=INSTALL)
    with write_session(engine) as session:
        committee = session.exec(select(Committee)).one()
        meeting = meeting_state.resolve_meeting(
            session, committee=committee, when=datetime(2027, 1, 19, 10, 0, tzinfo=PARIS), now=INSTALL
        )
        meeting_flows.cancel_meeting(session, meeting_id=meeting.id, actor="U0CHAIR", now=INSTALL)
    path = tmp_path / "at-two.yaml"
    path.write_text(AT_TWO, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["config", "import", str(path), "--now", CHANGE.isoformat()], env=database_env(database)
    )
    assert result.exit_code == 0, result.output
    assert (
        'committee "production": the meeting of 2027-01-19 10:00 (cancelled) is no longer in the calendar'
        in result.stderr
    )
    assert "m:production:20270119T1300Z:agenda_request" in keys(engine, "pending")
    with Session(engine) as session:
        cancelled = session.exec(select(Meeting).where(Meeting.status == "cancelled")).one()
        assert cancelled.start == datetime(2027, 1, 19, 10, 0, tzinfo=PARIS).astimezone(UTC)
        cancelled_id = cancelled.id
    with write_session(engine) as session, pytest.raises(InvalidInput) as error:
        restore_meeting(session, meeting_id=cancelled_id, actor="U0CHAIR", now=CHANGE)
    assert error.value.key == "meeting_left_series"


def test_messages_posted_about_a_slot_that_left_the_calendar_say_so(database, engine, fake, client, tmp_path):
    """The agenda request of Tuesday the 19th at 10:00 is posted on Thursday the 14th; on Friday the
    committee moves to 14:00. The next tick edits the posted request: the slot left the calendar,
    no more buttons; the 14:00 meeting gets its own request at once; a click on the old message's
    Add a topic is refused in plain words."""
    declare(engine, WEEKLY, now=INSTALL)
    tick(engine, client, datetime(2027, 1, 14, 10, 0, tzinfo=PARIS))
    old = "m:production:20270119T0900Z:agenda_request"
    assert old in keys(engine, "sent")
    friday = datetime(2027, 1, 15, 9, 0, tzinfo=PARIS)
    path = tmp_path / "at-two.yaml"
    path.write_text(AT_TWO, encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["config", "import", str(path), "--now", friday.isoformat()], env=database_env(database)
    )
    assert result.exit_code == 0, result.output
    tick(engine, client, friday)
    (posted,) = [m for m in fake.messages("C0PROD") if m.metadata["event_payload"]["key"] == old]
    assert "n'est plus à son calendrier" in posted.text
    assert not [block for block in posted.blocks if block["type"] == "actions"]
    assert "m:production:20270119T1300Z:agenda_request" in keys(engine, "sent")
    with Session(engine) as session:
        meeting_id = session.exec(select(Notification).where(Notification.key == old)).one().meeting_id
    with write_session(engine) as session, pytest.raises(InvalidInput) as error:
        meeting_flows.add_topic(session, meeting_id=meeting_id, title="Plan", proposer="U0SEC", now=friday)
    assert error.value.key == "meeting_not_in_calendar"
