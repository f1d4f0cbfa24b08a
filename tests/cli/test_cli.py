"""The ``committee-bot`` command line: config import/export, calendar, plan, actions list, db upgrade.

Most runs go through click's CliRunner on the real entry point; one runs the installed console script.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from icalendar import Calendar
from sqlmodel import select

from bot.cli.main import cli
from bot.core.calendar import Occurrence
from bot.planning import horizon
from storage.committees import get_committee, get_or_create_meeting
from storage.db import session_scope
from storage.models import ActionItem, Notification
from tests.conftest import database_env
from tests.support.cli import refused
from tests.support.config_examples import BAD_INPUT, DELEGATED_CHECKS, NOW, SPEC_EXAMPLE, snapshot

TIMELINE_KINDS = {
    "agenda_request",
    "deck_reminder",
    "agenda_published",
    "meeting_reminder",
    "minutes_request",
    "minutes_reminder",
    "minutes_overdue",
}


# --- config ----------------------------------------------------------------------------------


def test_help_reads_like_documentation(run) -> None:
    result = run("--help")

    assert result.exit_code == 0
    for command in ("calendar", "plan", "config", "actions", "db"):
        assert command in result.stdout
    assert "DATABASE_URL" in result.stdout
    config_help = run("config", "--help").stdout
    assert "holiday_policy: next_business_day" in config_help


def test_config_import_of_the_spec_example_is_idempotent(run, engine, spec_file: Path) -> None:
    first = run("config", "import", str(spec_file))
    assert first.exit_code == 0, first.stderr
    assert "1 created (production)" in first.stdout
    before = snapshot(engine)

    again = run("config", "import", str(spec_file))

    assert again.exit_code == 0
    assert "0 created, 0 updated, 1 unchanged (production); workspace settings unchanged" in again.stdout
    assert snapshot(engine) == before


def test_config_export_imports_back_unchanged(run, engine, spec_file: Path, tmp_path: Path) -> None:
    run("config", "import", "--preset", "contact-centre-en")
    run("config", "import", str(spec_file.parent / spec_file.name))  # production now from the SPEC example
    exported = run("config", "export")
    assert exported.exit_code == 0
    before = snapshot(engine)
    path = tmp_path / "export.yaml"
    path.write_text(exported.stdout, encoding="utf-8")

    result = run("config", "import", str(path))

    assert result.exit_code == 0, result.stderr
    assert "0 created, 0 updated, 4 unchanged" in result.stdout
    assert snapshot(engine) == before
    assert run("config", "export").stdout == exported.stdout


def test_every_bad_config_is_refused_in_one_line_and_changes_nothing(
    run, engine, spec_file: Path, tmp_path: Path
) -> None:
    assert run("config", "import", str(spec_file)).exit_code == 0
    before = snapshot(engine)
    path = tmp_path / "committees.yaml"

    for case in BAD_INPUT:
        text, message = case.values
        path.write_text(text, encoding="utf-8")
        line = refused(run("config", "import", str(path)))
        assert line.startswith(f"Error: {path}: {message.removeprefix('committees.yaml: ')}"), (case.id, line)
        assert snapshot(engine) == before, case.id
    for case in DELEGATED_CHECKS:
        text, what = case.values
        path.write_text(text, encoding="utf-8")
        line = refused(run("config", "import", str(path)))
        assert line.startswith(f'Error: {path}: committee "production": {what}'), (case.id, line)
        assert snapshot(engine) == before, case.id


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["config", "import"], "give either FILE.yaml or --preset NAME"),
        (
            ["config", "import", "x.yaml", "--preset", "contact-centre"],
            "give either FILE.yaml or --preset NAME",
        ),
        (
            ["config", "import", "--preset", "call-centre"],
            'unknown preset "call-centre" (allowed: contact-centre',
        ),
        (["config", "import", "missing.yaml"], "missing.yaml: no such file"),
        (
            ["calendar", "--from", "2027-02-30", "--to", "2027-03-01"],
            '"2027-02-30" is not a date (write YYYY-MM-DD',
        ),
        (
            ["plan", "--from", "01/01/2027", "--to", "2027-03-01"],
            '"01/01/2027" is not a date (write YYYY-MM-DD',
        ),
        (
            ["plan", "--from", "2027-03-01", "--to", "2027-01-01"],
            "--to 2027-01-01 is before --from 2027-03-01",
        ),
        (["plan", "--from", "2027-01-01"], "Missing option '--to'"),
        (
            ["calendar", "--from", "2027-01-01", "--to", "2027-01-31", "--committee", "quality"],
            'unknown committee "quality" (known: production)',
        ),
        (
            ["plan", "--from", "2027-01-01", "--to", "2027-01-31", "--committee", "quality"],
            'unknown committee "quality" (known: production)',
        ),
        (
            ["calendar", "--from", "2027-01-01", "--to", "2027-01-31", "--format", "csv"],
            "'csv' is not one of 'text', 'json', 'ics'",
        ),
        (
            ["actions", "list", "--status", "closed"],
            "'closed' is not one of 'open', 'in_progress', 'done', 'cancelled'",
        ),
        (["no-such-command"], "No such command 'no-such-command'"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(
    run, engine, spec_file: Path, args: list[str], message: str
) -> None:
    run("config", "import", str(spec_file))
    before = snapshot(engine)

    line = refused(run(*args))

    assert message in line
    assert snapshot(engine) == before


def test_preset_is_imported_by_name(run) -> None:
    result = run("config", "import", "--preset", "contact-centre")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(
        "contact-centre-fr.yaml: committees 4 created (production, qualite, pilotage, strategique)"
    )


def test_dry_run_writes_nothing(run, engine, spec_file: Path) -> None:
    before = snapshot(engine)

    result = run("config", "import", "--dry-run", str(spec_file))

    assert result.exit_code == 0 and result.stdout.startswith("dry run, nothing written: ")
    assert "1 created (production)" in result.stdout
    assert snapshot(engine) == before


# --- calendar and plan -----------------------------------------------------------------------


def test_calendar_json_lists_the_52_tuesdays_of_2027(run, spec_file: Path) -> None:
    run("config", "import", str(spec_file))

    result = run("calendar", "--from", "2027-01-01", "--to", "2027-12-31", "--format", "json")

    assert result.exit_code == 0, result.stderr
    meetings = json.loads(result.stdout)
    assert len(meetings) == 52
    assert meetings[0] == {
        **meetings[0],
        "committee": "production",
        "start": "2027-01-05T10:00:00+01:00",
        "end": "2027-01-05T11:00:00+01:00",
        "status": "scheduled",
    }
    assert {
        "committee": "production",
        "start": "2027-03-30T10:00:00+02:00",
        "end": "2027-03-30T11:00:00+02:00",
        "status": "scheduled",
    }.items() <= next(m for m in meetings if m["start"].startswith("2027-03-30")).items()


def test_calendar_window_includes_both_days(run, spec_file: Path) -> None:
    run("config", "import", str(spec_file))

    one_day = json.loads(
        run("calendar", "--from", "2027-03-30", "--to", "2027-03-30", "--format", "json").stdout
    )
    text = run("calendar", "--from", "2027-03-30", "--to", "2027-03-30").stdout

    assert [m["start"] for m in one_day] == ["2027-03-30T10:00:00+02:00"]
    assert "2027-03-30 Tue 10:00–11:00 Europe/Paris" in text and "1 meeting." in text


def test_plan_json_holds_every_timeline_kind_of_a_weekly_committee(run, spec_file: Path, engine) -> None:
    run("config", "import", str(spec_file))
    with session_scope(engine) as session:
        session.add(
            ActionItem(
                title="Plan de renfort",
                owner="U0A",
                creator="U0CHAIR",
                committee_id=1,
                due=date(2027, 3, 19),
                created_at=NOW,
            )
        )

    result = run("plan", "--from", "2027-01-01", "--to", "2027-12-31", "--format", "json")

    assert result.exit_code == 0, result.stderr
    planned = json.loads(result.stdout)
    assert all({"kind", "at", "committee", "meeting", "to"} <= set(item) for item in planned)
    kinds = {item["kind"] for item in planned}
    assert TIMELINE_KINDS | {"weekly_digest", "action_due_soon", "action_overdue"} <= kinds
    assert "save_the_date" not in kinds
    assert {
        "kind": "meeting_reminder",
        "at": "2027-03-30T09:00:00+02:00",
        "committee": "production",
        "meeting": "2027-03-30T10:00:00+02:00",
        "to": "C0PROD",
    }.items() <= next(
        i for i in planned if i["kind"] == "meeting_reminder" and i["at"].startswith("2027-03-30")
    ).items()
    digest = next(i for i in planned if i["kind"] == "weekly_digest")
    assert digest["meeting"] is None and digest["to"] == "C0PROD"
    chase = next(i for i in planned if i["kind"] == "action_due_soon")
    assert (chase["at"], chase["to"], chase["meeting"], chase["action"]) == (
        "2027-03-18T09:00:00+01:00",
        "U0A",
        None,
        "A1",
    )
    instants = [datetime.fromisoformat(i["at"]) for i in planned]
    assert instants == sorted(instants)


def test_plan_text_lists_one_line_per_notification(run, spec_file: Path) -> None:
    run("config", "import", str(spec_file))

    result = run("plan", "--from", "2027-03-31", "--to", "2027-03-31", "--committee", "production")

    assert result.exit_code == 0
    assert (
        "2027-03-31 Wed 11:00 +0200  minutes_reminder   production     → U0SEC  meeting 2027-03-30 10:00"
        in result.stdout
    )


def test_calendar_ics_parses_back_with_stable_uids(run, spec_file: Path, engine) -> None:
    run("config", "import", str(spec_file))

    start = datetime(2027, 3, 30, 10, tzinfo=ZoneInfo("Europe/Paris"))
    with session_scope(engine) as session:
        committee = get_committee(session, key="production")
        slot = Occurrence("production", start.astimezone(UTC), start, start.replace(hour=11), "scheduled")
        get_or_create_meeting(session, committee=committee, occurrence=slot, now=NOW).status = "cancelled"

    args = ("calendar", "--from", "2027-03-01", "--to", "2027-04-30", "--format", "ics")
    first, second = run(*args), run(*args)

    assert first.exit_code == 0, first.stderr
    calendar = Calendar.from_ical(first.stdout_bytes)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    uids = [str(e["UID"]) for e in calendar.walk("VEVENT")]
    assert uids == [str(e["UID"]) for e in Calendar.from_ical(second.stdout_bytes).walk("VEVENT")]
    assert "production-20270302T0900Z@committee-bot" in uids
    assert "production-20270302T0900Z-deck@committee-bot" in uids
    cancelled = next(
        e for e in calendar.walk("VEVENT") if str(e["UID"]) == "production-20270330T0800Z@committee-bot"
    )
    assert str(cancelled["STATUS"]) == "CANCELLED"


# --- actions list ----------------------------------------------------------------------------


def test_actions_list_json_shape(run, spec_file: Path, engine) -> None:
    run("config", "import", str(spec_file))
    with session_scope(engine) as session:
        session.add(
            ActionItem(
                title="Plan de renfort",
                owner="U0A",
                creator="U0CHAIR",
                committee_id=1,
                due=date(2027, 3, 19),
                priority="high",
                created_at=NOW,
            )
        )
        session.add(
            ActionItem(
                title="Sans comité",
                owner="U0B",
                creator="U0B",
                due=date(2027, 3, 12),
                status="done",
                created_at=NOW,
            )
        )

    everything = json.loads(run("actions", "list", "--format", "json").stdout)
    open_only = json.loads(run("actions", "list", "--status", "open", "--format", "json").stdout)
    text = run("actions", "list").stdout

    assert [(a["id"], a["due"]) for a in everything] == [("A2", "2027-03-12"), ("A1", "2027-03-19")]
    assert open_only == [
        {
            **open_only[0],
            "id": "A1",
            "title": "Plan de renfort",
            "owner": "U0A",
            "due": "2027-03-19",
            "status": "open",
            "priority": "high",
            "committee": "production",
        }
    ]
    assert everything[0]["committee"] is None
    assert "A1     2027-03-19  open        high   U0A          production     Plan de renfort" in text


# --- schema version and the real console script ----------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["config", "export"],
        ["config", "import", "--preset", "contact-centre"],
        ["calendar", "--from", "2027-01-01", "--to", "2027-01-31"],
        ["plan", "--from", "2027-01-01", "--to", "2027-01-31"],
        ["actions", "list"],
    ],
)
def test_out_of_date_schema_is_refused_with_the_upgrade_command(database, args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, env=database_env(database), prog_name="committee-bot")

    assert "run `committee-bot db upgrade`" in refused(result)


def committee_bot(database, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "committee-bot"
    env = {**os.environ, **database_env(database)}
    return subprocess.run(
        [str(script), *args], check=False, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.slow
def test_installed_console_script_upgrades_imports_and_lists(database, spec_file: Path) -> None:
    refused_first = committee_bot(database, "config", "import", str(spec_file))
    assert refused_first.returncode == 2 and "committee-bot db upgrade" in refused_first.stderr

    assert committee_bot(database, "db", "upgrade").returncode == 0
    imported = committee_bot(database, "config", "import", str(spec_file))
    assert imported.returncode == 0, imported.stderr
    listed = committee_bot(
        database, "calendar", "--from", "2027-01-01", "--to", "2027-12-31", "--format", "json"
    )

    assert listed.returncode == 0, listed.stderr
    meetings = json.loads(listed.stdout)
    assert len(meetings) == 52
    assert any(m["start"] == "2027-03-30T10:00:00+02:00" for m in meetings)


def test_reimport_with_a_new_meeting_time_moves_pending_notifications_at_once(
    run, engine, tmp_path: Path
) -> None:

    # `config import` runs on the real clock, so the committee starts a few days from today.
    first = (datetime.now(UTC) + timedelta(days=3)).date()
    path = tmp_path / "c.yaml"
    path.write_text(SPEC_EXAMPLE.replace("2027-01-05T10:00", f"{first.isoformat()}T10:00"), encoding="utf-8")
    assert run("config", "import", str(path)).exit_code == 0
    with session_scope(engine) as session:
        horizon.plan_horizon(session, now=datetime.now(UTC))

    def reminder_time() -> str:
        with session_scope(engine) as session:
            rows = session.exec(
                select(Notification).where(
                    Notification.kind == "meeting_reminder", Notification.state == "pending"
                )
            ).all()
            first_row = min(rows, key=lambda row: row.due_at)
            return first_row.due_at.astimezone(ZoneInfo("Europe/Paris")).strftime("%H:%M")

    assert reminder_time() == "09:00"
    path.write_text(path.read_text(encoding="utf-8").replace("T10:00", "T11:00"), encoding="utf-8")
    assert run("config", "import", str(path)).exit_code == 0
    assert reminder_time() == "10:00"
