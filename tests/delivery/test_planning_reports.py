"""SPEC §9: a stored value the planner cannot handle skips that subject only, reported to the admins.

A due date stored before the input bounds existed (year 9999) makes the planner skip that item; the
tick tells each workspace admin once, in a DM that names the committee and the item in plain words
and says how to fix it; a later tick sends nothing new; the rest of the committee is planned and
sent. ``committee-bot status`` and the admins' App Home list the problem.
"""

from __future__ import annotations

from datetime import date, timedelta

from click.testing import CliRunner
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.cli.main import cli
from bot.delivery import planning_problems
from bot.delivery.tick import tick
from bot.planning import plan_guard
from storage.db import write_session
from storage.models import ActionItem, Notification, SlackUser, WorkspaceSettings
from tests.conftest import database_env
from tests.support.fakeslack import FakeSlack, blocks_text
from tests.support.slackapp import ADMIN, CHAIR, MARIE, NOW, PROD, SlackApp, add_people, seed

FAR = date(9999, 12, 31)


def _store_action(engine: Engine, committee_id: int, *, title: str, due: date) -> int:
    """An item written straight to the database (as one stored before the bounds existed)."""
    with Session(engine, expire_on_commit=False) as session:
        item = ActionItem(
            title=title, owner=MARIE, creator=CHAIR, due=due, committee_id=committee_id, created_at=NOW
        )
        session.add(item)
        session.commit()
        assert item.id is not None
        return item.id


def _admin_text(fake: FakeSlack) -> list[str]:
    return [message.text + "\n" + blocks_text(message.blocks) for message in fake.messages(ADMIN)]


def test_a_year_9999_item_reaches_the_admins_once_and_the_rest_is_sent(
    engine: Engine, fake: FakeSlack, client: WebClient
) -> None:
    committees = seed(engine)
    add_people(fake)
    far = _store_action(engine, committees["production"], title="Revoir le plan de charge", due=FAR)
    normal = _store_action(engine, committees["production"], title="Relancer", due=date(2027, 3, 19))

    tick(engine, client, now=NOW)

    [report] = _admin_text(fake)
    assert "Problème de planification" in report
    assert f"A{far}" in report and "Revoir le plan de charge" in report
    assert "Comité de production" in report and "`production`" in report
    assert f"/action postpone A{far}" in report and f"/action edit A{far}" in report
    assert "Traceback" not in report
    assert fake.messages(PROD), "the committee's own notifications were sent"
    with Session(engine) as session:
        normal_rows = session.exec(select(Notification).where(Notification.action_id == normal)).all()
    assert normal_rows, "the other item of the committee is planned"

    posts_before = len(fake.calls_to("chat.postMessage"))
    updates_before = len(fake.calls_to("chat.update"))
    tick(engine, client, now=NOW + timedelta(minutes=1))
    tick(engine, client, now=NOW + timedelta(minutes=11))  # after a sweep re-planned the committee

    assert len(_admin_text(fake)) == 1
    admin_posts = [
        c for c in fake.calls_to("chat.postMessage")[posts_before:] if c.params.get("channel") == ADMIN
    ]
    assert admin_posts == []
    assert len(fake.calls_to("chat.update")) == updates_before
    with Session(engine) as session:
        failed = session.exec(
            select(Notification).where(Notification.kind == plan_guard.PLANNING_FAILED)
        ).all()
    assert [row.action_id for row in failed] == [far]


def test_the_report_is_in_english_for_an_english_speaking_admin(
    engine: Engine, fake: FakeSlack, client: WebClient
) -> None:
    committees = seed(engine)
    add_people(fake)
    fake.add_user(ADMIN, tz="Europe/Paris", locale="en-US", is_admin=True)
    with Session(engine) as session:
        session.add(SlackUser(user_id=ADMIN, tz="Europe/Paris", locale="en-US", is_admin=True))
        session.commit()
    far = _store_action(engine, committees["production"], title="Review the staffing plan", due=FAR)

    tick(engine, client, now=NOW)

    [report] = _admin_text(fake)
    assert "Planning problem" in report and "action item" in report
    assert f"A{far}" in report and "Review the staffing plan" in report
    assert "committee *Comité de production*" in report
    assert f"/action postpone A{far}" in report


def test_a_new_error_about_the_same_subject_is_reported_again(engine: Engine) -> None:
    committees = seed(engine)
    far = _store_action(engine, committees["production"], title="Un jour", due=FAR)
    first = plan_guard.Unplannable(f"action:{far}", "production", "OverflowError: date out of range", far)
    other = plan_guard.Unplannable(f"action:{far}", "production", "ValueError: year is out of range", far)

    with write_session(engine) as session:
        assert plan_guard.record_unplannable(session, [first], now=NOW) == 1
        [row] = plan_guard.unreported(session)
        plan_guard.mark_reported(session, row, now=NOW)
    with write_session(engine) as session:
        plan_guard.record_unplannable(session, [first], now=NOW)
        assert plan_guard.unreported(session) == []
        plan_guard.record_unplannable(session, [other], now=NOW)
        [again] = plan_guard.unreported(session)
        assert again.error == "ValueError: year is out of range"


def test_status_lists_the_skipped_subject(
    engine: Engine, database: tuple[str, str | None], fake: FakeSlack, client: WebClient
) -> None:
    committees = seed(engine)
    add_people(fake)
    far = _store_action(engine, committees["production"], title="Un jour", due=FAR)
    tick(engine, client, now=NOW)

    result = CliRunner().invoke(cli, ["status"], env=database_env(database))

    failed = result.stdout.split("failed (")[1].split("stale edits")[0]
    assert "planning_failed" in failed and "production" in failed and f"action:{far}" in failed
    assert "OverflowError" in failed


def test_the_app_home_of_an_admin_lists_the_planning_problem(slack_app: SlackApp) -> None:
    far = _store_action(slack_app.engine, slack_app.committees["production"], title="Un jour", due=FAR)
    tick(slack_app.engine, WebClient(token="xoxb-test", base_url=slack_app.fake.api_url), now=NOW)

    slack_app.home_opened(ADMIN)
    text = blocks_text(slack_app.home(ADMIN)["blocks"])
    assert "Problème de planification" in text and f"A{far}" in text and "Comité de production" in text
    slack_app.home_opened(CHAIR)
    assert "Problème de planification" not in blocks_text(slack_app.home(CHAIR)["blocks"])


def test_a_meeting_or_a_series_is_named_in_plain_words_with_the_configuration_fix(engine: Engine) -> None:
    seed(engine)
    with Session(engine) as session:
        meeting_fr, fix_fr = planning_problems.subject_words(
            session, "fr", "meeting:production:2027-03-23T08:00:00+00:00", tz="Europe/Paris"
        )
        series_en, fix_en = planning_problems.subject_words(
            session, "en", "committee:production", tz="Europe/Paris"
        )
        digest_fr, _ = planning_problems.subject_words(session, "fr", "digest:production", tz="Europe/Paris")

    assert meeting_fr.startswith("la réunion du <!date^") and "2027-03-23 09:00" in meeting_fr
    assert "committee-bot config import" in fix_fr and "YAML" in fix_fr
    assert series_en == "the meeting series" and "committee-bot config import" in fix_en
    assert digest_fr == "le récapitulatif hebdomadaire"


def test_a_problem_found_before_any_admin_is_declared_is_told_to_the_first_admin(
    engine: Engine, fake: FakeSlack, client: WebClient
) -> None:
    committees = seed(engine)
    add_people(fake)
    with Session(engine) as session:
        workspace = session.exec(select(WorkspaceSettings)).one()
        workspace.admins = []
        session.add(workspace)
        session.commit()
    far = _store_action(engine, committees["production"], title="Un jour", due=FAR)
    tick(engine, client, now=NOW)
    assert fake.messages(ADMIN) == []

    with Session(engine) as session:
        workspace = session.exec(select(WorkspaceSettings)).one()
        workspace.admins = [ADMIN]
        session.add(workspace)
        session.commit()
    tick(engine, client, now=NOW + timedelta(minutes=1))

    [report] = _admin_text(fake)
    assert f"A{far}" in report
