"""Issue 7, finding 2: one far due date silenced a committee.

Dates typed into Slack are kept within the planning range (five years ahead), refused with the reason;
and a value stored before that bound existed (a due date in year 9999, a meeting moved there) skips
only its own subject: the rest of the committee is planned, ``plan`` exits 0, ``tick`` prints no
traceback, and the skip is recorded where the admins look (a ``planning_failed`` row).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime

from click.testing import CliRunner
from sqlmodel import Session, select

from bot.action_items import flows as action_rules
from bot.cli.main import cli
from bot.delivery.status import read_status
from bot.planning import plan_guard
from bot.planning.horizon import plan_horizon
from storage.db import write_session
from storage.models import ActionItem, Meeting, Notification
from tests.conftest import database_env
from tests.support.fakeslack import FakeSlack
from tests.support.slackapp import CHAIR, MARIE, NOW, SlackApp, add_people, seed

FAR = date(9999, 12, 31)


# --- refused where they enter -------------------------------------------------------------------


def test_a_due_date_in_year_9999_is_refused_with_the_reason(slack_app: SlackApp) -> None:
    response = slack_app.command("add <@U123> Relancer le plan de renfort d'ici 31/12/9999")

    assert response.status == 200
    text = slack_app.reply_text()
    assert "9999-12-31 est trop lointaine" in text and "5 ans" in text and "2032-03-16" in text
    assert slack_app.actions() == []


def test_a_due_date_within_five_years_is_accepted(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> Relancer le plan de renfort d'ici 2032-03-16")

    slack_app.wait(slack_app.actions, what="the item")
    assert slack_app.actions()[0].due == date(2032, 3, 16)


def test_snooze_to_year_9999_is_refused_and_changes_nothing(slack_app: SlackApp) -> None:
    action_id = slack_app.make_action()

    slack_app.command(f"snooze A{action_id} 9999-12-31")

    assert "trop lointaine" in slack_app.reply_text()
    assert slack_app.action(action_id).snoozed_until is None


def test_moving_a_meeting_to_year_9999_is_refused_with_the_reason(slack_app: SlackApp) -> None:
    slack_app.command("move 9999-12-31 10:00", command="/committee")

    text = slack_app.reply_text()
    assert "trop lointaine" in text and "unexpected" not in text.lower()
    with Session(slack_app.engine) as session:
        assert session.exec(select(Meeting).where(Meeting.status == "moved")).all() == []


def test_cancelling_a_meeting_in_year_9999_is_refused_with_the_reason(slack_app: SlackApp) -> None:
    slack_app.command("cancel 9999-12-31", command="/committee")

    text = slack_app.reply_text()
    assert "trop lointaine" in text and "inattendue" not in text


# --- the planner survives what is already stored -----------------------------------------------


def _store_far_action(engine, committee_id: int) -> int:  # type: ignore[no-untyped-def]
    """An item stored before the bound existed: due on 31 December 9999."""
    with Session(engine, expire_on_commit=False) as session:
        item = ActionItem(
            title="Un jour",
            owner=MARIE,
            creator=CHAIR,
            due=FAR,
            committee_id=committee_id,
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(item)
        session.commit()
        return item.id  # type: ignore[return-value]


def _store_action(engine, committee_id: int, due: date) -> int:  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as session:
        item = ActionItem(
            title="Relancer", owner=MARIE, creator=CHAIR, due=due, committee_id=committee_id, created_at=NOW
        )
        session.add(item)
        session.commit()
        return item.id  # type: ignore[return-value]


def test_plan_skips_the_far_item_and_lists_the_rest_of_its_committee(engine, database) -> None:
    committees = seed(engine)
    _store_far_action(engine, committees["production"])
    normal = _store_action(engine, committees["production"], date(2027, 3, 19))

    result = CliRunner().invoke(
        cli,
        ["plan", "--from", "2027-03-15", "--to", "2027-03-26", "--format", "json"],
        env=database_env(database),
    )

    assert result.exit_code == 0, result.stderr
    planned = json.loads(result.stdout)
    kinds = {item["kind"] for item in planned if item["committee"] == "production"}
    assert {"agenda_request", "meeting_reminder", "minutes_request"} <= kinds
    assert any(item["action"] == f"A{normal}" for item in planned)
    assert "Traceback" not in result.stderr


def test_a_meeting_stored_in_year_9999_skips_that_meeting_only(engine, database) -> None:
    committees = seed(engine)
    with Session(engine) as session:
        # The 23 March occurrence, moved to 9999 before moves were bounded.
        series = datetime(2027, 3, 23, 9, 0, tzinfo=UTC)
        session.add(
            Meeting(
                committee_id=committees["production"],
                series_start=series,
                start=datetime(9999, 12, 30, 9, 0, tzinfo=UTC),
                end=datetime(9999, 12, 30, 10, 0, tzinfo=UTC),
                status="moved",
            )
        )
        session.commit()

    result = CliRunner().invoke(
        cli,
        ["plan", "--from", "2027-03-15", "--to", "2027-04-02", "--format", "json"],
        env=database_env(database),
    )

    assert result.exit_code == 0, result.stderr
    meetings = {item["meeting"][:10] for item in json.loads(result.stdout) if item["meeting"]}
    assert {"2027-03-16", "2027-03-30"} <= meetings
    assert not any(m.startswith("9999") for m in meetings)


def test_tick_plans_the_rest_records_the_skip_and_prints_no_traceback(engine, caplog) -> None:
    committees = seed(engine)
    far = _store_far_action(engine, committees["production"])
    normal = _store_action(engine, committees["production"], date(2027, 3, 19))
    with caplog.at_level(logging.WARNING), write_session(engine) as session:
        added = plan_horizon(session, now=NOW)

    assert added > 0
    with Session(engine) as session:
        rows = list(session.exec(select(Notification)))
    assert any(row.action_id == normal and row.state == "pending" for row in rows)
    assert any(row.kind == "agenda_request" for row in rows)
    failed = [row for row in rows if row.kind == plan_guard.PLANNING_FAILED]
    assert len(failed) == 1
    assert failed[0].state == "failed" and failed[0].action_id == far and "OverflowError" in failed[0].error
    assert failed[0].committee_id == committees["production"]
    assert failed[0].data["subject"] == f"action:{far}"
    skipped_lines = [r for r in caplog.records if "cannot plan" in r.getMessage()]
    assert skipped_lines and all(r.exc_info is None for r in caplog.records)

    # The next pass records nothing new: one row per subject.
    with write_session(engine) as session:
        plan_horizon(session, now=NOW)
    with Session(engine) as session:
        assert (
            len(session.exec(select(Notification).where(Notification.kind == "planning_failed")).all()) == 1
        )


def test_correcting_the_far_due_date_settles_the_recorded_failure(engine) -> None:
    """The admins were told to correct the item (``/action edit``): once it plans again, its
    recorded failure leaves ``status`` and the admins' views; a failure planned again is not."""
    committees = seed(engine)
    far = _store_far_action(engine, committees["production"])
    with write_session(engine) as session:
        plan_horizon(session, now=NOW)
    with write_session(engine) as session:
        action_rules.edit_action(
            session, action_id=far, actor=CHAIR, now=NOW, due=date(2027, 3, 26), today=NOW.date()
        )
    with Session(engine) as session:
        (failure,) = session.exec(select(Notification).where(Notification.kind == "planning_failed")).all()
        assert failure.state == "skipped" and "resolved_at" in failure.data
        assert failure.key not in [row["key"] for row in read_status(session, now=NOW).failed]
        chases = session.exec(select(Notification).where(Notification.action_id == far)).all()
        assert any(row.kind == "action_due_soon" and row.state == "pending" for row in chases)


def test_the_tick_command_exits_0_without_a_traceback(engine, database) -> None:
    committees = seed(engine)
    _store_far_action(engine, committees["production"])
    with FakeSlack() as fake:
        add_people(fake)
        env = {**database_env(database), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.api_url}
        result = CliRunner().invoke(cli, ["tick", "--now", "2027-03-16T09:00+01:00"], env=env)
        posted = fake.messages()

    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr and "OverflowError" not in result.stdout
    assert posted, "the rest of the committee was sent"
