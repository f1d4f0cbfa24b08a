"""Operations: start-up errors, exit statuses, failures told to the admins, status, metrics, logs.

Through the command line (click's runner on the real entry point, or the installed script) and
through signed HTTP requests to the running app; Slack is the fake Web API.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from slack_sdk import WebClient
from sqlmodel import Session, select

from bench.bench_storage import load_committees
from bot.cli.main import cli
from bot.delivery import tick as dispatch
from bot.planning import horizon
from storage.db import DatabaseUrlError, normalise_url, write_session
from storage.models import Notification
from tests.conftest import PG_URL, database_env
from tests.support.config_examples import SPEC_EXAMPLE
from tests.support.fakeslack import FakeSlack, blocks_text
from tests.support.paths import COMMITTEE_BOT, ROOT
from tests.support.slackapp import ADMIN, CHAIR, NOW, PROD, SlackApp, find_element
from tests.support.slackhttp import get

ADMIN_YAML = SPEC_EXAMPLE.replace("locale: fr\n", "locale: fr\nadmins: [U0ADMIN]\n")
# Thursday 31 December 2026, 09:00 in Paris: the week's digest and the agenda request are due in C0PROD.
CHANNEL_DAY = "2026-12-31T09:00+01:00"


def one_error_line(result: Result, status: int) -> str:
    assert result.exit_code == status, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        for user in ("U0CHAIR", "U0SEC", "U0DECK", "U0ADMIN"):
            fake.add_user(user, locale="en-US")
        yield fake


@pytest.fixture
def run(database, engine, slack: FakeSlack):
    """``committee-bot ARGS`` on the migrated test database, Slack being the fake."""
    env = {**database_env(database), "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": slack.api_url}

    def invoke(*args: str, **extra: str) -> Result:
        return CliRunner().invoke(cli, list(args), env={**env, **extra}, prog_name="committee-bot")

    return invoke


@pytest.fixture
def declared(run, tmp_path: Path) -> Path:
    path = tmp_path / "committees.yaml"
    path.write_text(ADMIN_YAML, encoding="utf-8")
    assert run("config", "import", str(path)).exit_code == 0
    return path


# --- 1. start-up -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://bot:pw@db.example:5432/committees",
            "postgresql+psycopg://bot:pw@db.example:5432/committees",
        ),
        ("postgresql://bot@db/committees", "postgresql+psycopg://bot@db/committees"),
        ("postgresql+psycopg://bot@db/committees", "postgresql+psycopg://bot@db/committees"),
        ("sqlite:///committee-bot.db", "sqlite:///committee-bot.db"),
    ],
)
def test_hosting_platform_database_urls_use_the_psycopg_driver(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_a_postgres_url_as_hosting_platforms_set_it_works(database, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only")
    url, schema = database
    plain = "postgres://" + url.split("://", 1)[1]
    result = CliRunner().invoke(
        cli, ["db", "upgrade"], env={"DATABASE_URL": plain, "DATABASE_SCHEMA": schema or ""}
    )
    assert result.exit_code == 0, result.stderr
    assert "postgresql+psycopg://" in result.stdout


def test_a_bare_file_name_is_refused_with_the_sqlite_url_to_write(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["db", "upgrade"], env={"DATABASE_URL": "committees.db"})
    line = one_error_line(result, 2)
    assert "sqlite:///committees.db" in line
    with pytest.raises(DatabaseUrlError):
        normalise_url("mysql://bot@db/committees")
    unknown = CliRunner().invoke(cli, ["db", "upgrade"], env={"DATABASE_URL": "mysql://bot@db/committees"})
    assert '"mysql://"' in one_error_line(unknown, 2)


def test_an_unreachable_database_is_one_line_with_exit_status_1(tmp_path: Path) -> None:
    missing_dir = CliRunner().invoke(
        cli, ["status"], env={"DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/bot.db"}
    )
    assert "does not exist (create it, or fix DATABASE_URL)" in one_error_line(missing_dir, 1)
    no_server = CliRunner().invoke(
        cli, ["status"], env={"DATABASE_URL": "postgres://bot@127.0.0.1:1/committees"}
    )
    assert "cannot use the database postgresql+psycopg://bot@127.0.0.1:1/committees" in one_error_line(
        no_server, 1
    )
    with_trace = CliRunner().invoke(
        cli, ["--debug", "status"], env={"DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/bot.db"}
    )
    assert with_trace.exit_code == 1 and with_trace.exception is not None  # --debug lets it through


@pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL is not set")
def test_a_wrong_role_or_a_missing_database_on_postgres_is_one_line() -> None:
    assert PG_URL is not None
    server = PG_URL.split("://", 1)[1].split("@", 1)[1].rsplit("/", 1)[0]
    wrong_role = CliRunner().invoke(
        cli, ["status"], env={"DATABASE_URL": f"postgres://no_such_role@{server}/test"}
    )
    assert 'role "no_such_role" does not exist' in one_error_line(wrong_role, 1)
    no_database = CliRunner().invoke(
        cli, ["status"], env={"DATABASE_URL": f"postgres://postgres@{server}/no_such_database"}
    )
    line = one_error_line(no_database, 1)
    assert 'database "no_such_database" does not exist' in line and "createdb" in line


def test_an_out_of_date_schema_exits_2_and_names_the_command(database) -> None:
    result = CliRunner().invoke(cli, ["status"], env=database_env(database))  # never migrated
    assert "committee-bot db upgrade" in one_error_line(result, 2)


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("committee-bot ")


def test_help_points_only_at_what_the_repository_ships(run) -> None:
    for args in (
        ["--help"],
        ["config", "--help"],
        ["serve", "--help"],
        ["status", "--help"],
        ["tick", "--help"],
    ):
        text = run(*args).stdout
        assert "SPEC" not in text, args
    assert Path(ROOT / "docs" / "configuration.md").is_file()


def test_the_scheduler_refuses_a_bot_token_slack_refuses(database, engine) -> None:
    with FakeSlack() as fake:
        fake.refused.add("xoxb-revoked")
        done = subprocess.run(
            [COMMITTEE_BOT, "scheduler"],
            cwd=ROOT,
            env={
                **os.environ,
                **database_env(database),
                "SLACK_BOT_TOKEN": "xoxb-revoked",
                "SLACK_API_URL": fake.api_url,
            },
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


# --- 2. exit statuses of tick ------------------------------------------------------------------


def test_tick_refused_by_slack_exits_1_and_says_it_once(run, declared, slack: FakeSlack) -> None:
    slack.refused.add("xoxb-test")
    result = run("tick", "--now", CHANNEL_DAY)
    line = one_error_line(result, 1)
    assert line == "Error: Slack refused the bot's token (invalid_auth): check SLACK_BOT_TOKEN"
    assert "stopped: Slack refused the token" in result.stdout


def test_tick_whose_every_send_failed_for_one_reason_exits_1(run, declared, slack: FakeSlack) -> None:
    slack.server_error("chat.postMessage", status=503, times=100)  # Slack is down
    result = run("tick", "--now", CHANNEL_DAY)
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: every send failed: fatal_error (HTTP 503) (3 notifications)"]
    assert "retried 3" in result.stdout


def test_tick_with_failures_of_single_messages_exits_0_and_logs_them_as_json(
    run, declared, slack: FakeSlack
) -> None:
    slack.archive("C0PROD")  # the channel messages fail; the deck owner's DM goes out
    result = run("tick", "--now", CHANNEL_DAY, LOG_FORMAT="json")
    assert result.exit_code == 0, result.stderr
    logged = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    failures = [entry for entry in logged if entry.get("outcome") == "failed"]
    assert len(failures) == 2 and {entry["committee"] for entry in failures} == {"production"}
    assert all(entry["notification"] and entry["error"] == "is_archived" for entry in failures)


def test_tick_that_sent_what_was_due_exits_0(run, declared) -> None:
    result = run("tick", "--now", CHANNEL_DAY)
    assert result.exit_code == 0, result.stderr
    assert "sent 3" in result.stdout and "failed 0" in result.stdout and result.stderr == ""


# --- 3. failures reach the admins; status ------------------------------------------------------


def test_a_delivery_problem_reaches_each_admin_once_and_is_edited_when_it_recurs(
    run, declared, slack: FakeSlack
) -> None:
    slack.archive("C0PROD")
    run("tick", "--now", CHANNEL_DAY)
    run("tick", "--now", "2027-01-04T09:00+01:00")  # the agenda and the next digest fail the same way
    run("tick", "--now", "2027-01-04T09:01+01:00")  # the edit of the admin's message

    [report] = slack.messages(ADMIN)
    text = report.text + "\n" + blocks_text(report.blocks)
    assert "archivé" in text and "<#C0PROD>" in text and "4 messages n'ont pas pu être envoyés" in text
    assert report.edits, "the recurrence edits the message rather than posting another"
    retry = [e for b in report.blocks for e in b.get("elements", []) if e.get("action_id") == "admin_retry"]
    assert retry and retry[0]["text"]["text"] == "Réessayer"
    # The chair gets plain words, not configuration jargon.
    chair_notes = [m.text + blocks_text(m.blocks) for m in slack.messages(CHAIR)]
    assert chair_notes and all("setting" not in note and "réglage" not in note for note in chair_notes)
    assert any("archivé" in note or "archived" in note for note in chair_notes)


def test_status_lists_last_tick_failures_and_unreachable_channels(run, declared, slack: FakeSlack) -> None:
    never = json.loads(run("status", "--format", "json").stdout)
    assert never["last_tick"] is None and never["lag_seconds"] is None and never["failed"] == []

    slack.archive("C0PROD")
    run("tick", "--now", CHANNEL_DAY)
    result = run("status", "--format", "json")

    assert result.exit_code == 0
    status = json.loads(result.stdout)
    assert set(status) >= {
        "last_tick",
        "lag_seconds",
        "next",
        "failed",
        "stale_edits",
        "unreachable_channels",
    }
    assert datetime.fromisoformat(status["last_tick"]) == datetime.fromisoformat(CHANNEL_DAY)
    assert status["lag_seconds"] is not None
    assert {(f["kind"], f["committee"], f["to"], f["error"]) for f in status["failed"]} == {
        ("agenda_request", "production", "C0PROD", "is_archived"),
        ("weekly_digest", "production", "C0PROD", "is_archived"),
    }
    assert all(set(f) >= {"key", "kind", "committee", "to", "error", "at"} for f in status["failed"])
    assert status["unreachable_channels"] == [
        {"committee": "production", "channel": "C0PROD", "error": "is_archived"}
    ]
    assert status["next"] and set(status["next"][0]) >= {"kind", "at", "committee", "to"}
    text = run("status")
    assert (
        text.exit_code == 0
        and "unreachable channels (1):" in text.stdout
        and "C0PROD: is_archived" in text.stdout
    )


def _fail_in_prod(app: SlackApp) -> WebClient:
    app.fake.archive(PROD)
    client = WebClient(token="xoxb-test", base_url=app.fake.api_url)
    dispatch.tick(app.engine, client, now=NOW)
    dispatch.tick(app.engine, client, now=NOW + timedelta(seconds=1))  # the reports
    return client


def test_an_admin_retries_failed_deliveries_with_the_button(slack_app: SlackApp) -> None:
    client = _fail_in_prod(slack_app)
    with Session(slack_app.engine) as session:
        failed = session.exec(select(Notification).where(Notification.state == "failed")).all()
    assert failed and {row.recipient for row in failed} == {PROD}
    [report] = slack_app.fake.messages(ADMIN)
    block, button = find_element(report.blocks, "admin_retry")

    refused = slack_app.click(block, button, user=CHAIR, channel=ADMIN)
    assert refused.status == 200
    assert "admins" in slack_app.reply_text(CHAIR)

    slack_app.fake.archived.discard(PROD)  # an admin unarchived the channel
    assert slack_app.click(block, button, user=ADMIN, channel=ADMIN).status == 200
    assert f"{len(failed)} messages" in slack_app.reply_text(ADMIN)
    summary = dispatch.tick(slack_app.engine, client, now=NOW + timedelta(minutes=1))
    assert summary.sent >= len(failed)
    with Session(slack_app.engine) as session:
        assert not session.exec(select(Notification).where(Notification.state == "failed")).all()


def test_the_app_home_of_an_admin_lists_delivery_problems(slack_app: SlackApp) -> None:
    _fail_in_prod(slack_app)
    slack_app.home_opened(ADMIN)
    home = slack_app.home(ADMIN)
    text = blocks_text(home["blocks"])
    assert "Problèmes d'envoi" in text and "<#C0PROD>" in text
    find_element(home["blocks"], "admin_retry")
    slack_app.home_opened(CHAIR)
    assert "Problèmes d'envoi" not in blocks_text(slack_app.home(CHAIR)["blocks"])


# --- 4. observability --------------------------------------------------------------------------


def test_metrics_expose_acks_notifications_ticks_and_the_oldest_due(slack_app: SlackApp) -> None:
    assert slack_app.command("list").status == 200
    slack_app.reply(CHAIR)
    _fail_in_prod(slack_app)
    answer = get(slack_app.url + "/metrics")
    body = answer.body.decode() if isinstance(answer.body, bytes) else answer.body

    assert answer.status == 200
    for name in (
        'committee_bot_ack_seconds_bucket{le="0.1",type="command"}',
        'committee_bot_notifications_total{kind="meeting_reminder",outcome="failed"}',
        "committee_bot_slack_ratelimited_total",
        "committee_bot_tick_seconds_count",
        "committee_bot_planning_seconds_count",
        "committee_bot_oldest_due_seconds",
    ):
        assert name in body, name


def test_the_scheduler_logs_json_without_the_periodic_noise_and_stops_on_sigterm(database, engine) -> None:
    with FakeSlack() as fake:
        process = subprocess.Popen(
            [COMMITTEE_BOT, "scheduler"],
            cwd=ROOT,
            env={
                **os.environ,
                **database_env(database),
                "SLACK_BOT_TOKEN": "xoxb-test",
                "SLACK_API_URL": fake.api_url,
                "LOG_FORMAT": "json",
            },
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            deadline = time.monotonic() + 20
            while not fake.calls_to("auth.test") and time.monotonic() < deadline:
                time.sleep(0.1)
            time.sleep(1.5)  # the first tick runs at once
            process.send_signal(signal.SIGTERM)
            _, errors = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
    assert process.returncode == 0, errors
    lines = [line for line in errors.splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines)
    assert not any("Running job" in line or "executed successfully" in line for line in lines)
    assert not any("will be unused" in line for line in lines)


# --- 6. planning is linear; config import stays readable ---------------------------------------


def test_notification_committee_id_is_indexed(engine) -> None:
    indexes = sa.inspect(engine).get_indexes("notification")
    assert any(index["column_names"] == ["committee_id"] for index in indexes)


def test_config_import_of_many_committees_names_at_most_ten(run, tmp_path: Path) -> None:
    committee = SPEC_EXAMPLE.split("committees:\n", 1)[1]
    many = "".join(
        committee.replace("key: production", f"key: c{i:03d}").replace("C0PROD", f"C{i:06d}")
        for i in range(30)
    )
    path = tmp_path / "many.yaml"
    path.write_text(SPEC_EXAMPLE.split("committees:\n", 1)[0] + "committees:\n" + many, encoding="utf-8")
    result = run("config", "import", str(path))
    assert result.exit_code == 0, result.stderr
    line = result.stdout.strip()
    assert "30 created (c000, c001" in line and "and 20 more" in line
    assert sum(f"c{i:03d}" in line for i in range(30)) == 10


def test_first_plan_costs_the_same_per_committee_at_any_size(engine) -> None:
    """Statements per committee stay flat as the number of committees grows (no per-committee scan)."""

    now = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    counts = []
    for size in (10, 40):
        with engine.begin() as connection:
            for table in ("notification", "plan_mark", "meeting", "committee"):
                connection.execute(sa.text(f"delete from {table}"))
        load_committees(engine, size, now=now)
        statements: list[int] = []

        def listener(*args: Any, statements: list[int] = statements) -> None:
            statements.append(1)

        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            with write_session(engine) as session:
                horizon.plan_horizon(session, now=now, budget=None)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        counts.append(len(statements) / size)
    assert counts[1] <= counts[0] * 1.2, counts
