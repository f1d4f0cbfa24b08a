"""Issue 7, findings 6, 10 and 12: runaway or oversized configuration is refused at ``config import``.

Each case was accepted before (then ``plan`` and ``tick`` ran for minutes on gigabytes, or the import
failed on PostgreSQL with a 91-line traceback, or ``/dev/zero`` was read until memory ran out); now it is
one ``Error:`` line naming what is wrong and what is allowed, exit status 2, and nothing is written.
Every case runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.models import Committee
from tests.support.cli import refused
from tests.support.config_examples import SPEC_EXAMPLE

ID40 = "U" + "A" * 39
CHANNEL40 = "C" + "A" * 39

REFUSED = {
    "one-meeting-a-minute": (
        (
            "cadence: weekly",
            "cadence: RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=0",
        ),
        "cadence has 24 values in BYHOUR, so several meetings a day (allowed: at most one meeting a day",
    ),
    "freq-minutely": (
        ("cadence: weekly", "cadence: RRULE:FREQ=MINUTELY"),
        "cadence repeats minutely (allowed: at most one meeting a day",
    ),
    "freq-secondly": (
        ("cadence: weekly", "cadence: FREQ=SECONDLY;INTERVAL=1"),
        "cadence repeats secondly (allowed: at most one meeting a day",
    ),
    "interval-zero": (
        ("cadence: weekly", "cadence: RRULE:FREQ=WEEKLY;INTERVAL=0"),
        "cadence has INTERVAL=0 (allowed with FREQ=WEEKLY: 1 to 265)",
    ),
    "interval-huge": (
        ("cadence: weekly", "cadence: RRULE:FREQ=YEARLY;INTERVAL=1000"),
        "cadence has INTERVAL=1000 (allowed with FREQ=YEARLY: 1 to 5)",
    ),
    "rrule-600-characters": (
        ("cadence: weekly", "cadence: RRULE:FREQ=WEEKLY;BYDAY=TU" + ";WKST=MO" * 70),
        "characters long (allowed: at most 500)",
    ),
    "business-days-overflow": (
        (
            "holiday_policy: next_business_day",
            "holiday_policy: next_business_day\n    timeline: {deck_due: {business_days: 100000000}}",
        ),
        "timeline deck_due.business_days=100000000 is out of range: write a whole number up to 20",
    ),
    "minutes-overdue-max": (
        (
            "holiday_policy: next_business_day",
            "holiday_policy: next_business_day\n    timeline: {minutes_overdue: {max: 1000000000}}",
        ),
        "timeline minutes_overdue.max=1000000000 is out of range: write a whole number up to 10",
    ),
    "meeting-reminder-a-year-ahead": (
        (
            "holiday_policy: next_business_day",
            "holiday_policy: next_business_day\n    timeline: {meeting_reminder: {minutes: 525600}}",
        ),
        "timeline meeting_reminder.minutes=525600 is out of range: write a whole number up to 10080",
    ),
    "channel-id-40-characters": (
        ("channel: C0PROD", f"channel: {CHANNEL40}"),
        "is 40 characters long, too long for a Slack id (allowed: at most 20 characters",
    ),
    "user-id-40-characters": (
        ("chair: U0CHAIR", f"chair: {ID40}"),
        "is 40 characters long, too long for a Slack id (allowed: at most 20 characters",
    ),
    "member-id-40-characters": (
        ("members: [U0A, U0B]", f"members: [U0A, {ID40}]"),
        'members "UAAAAAAAAA',
    ),
    "nul-in-name": (
        ("name: Comité de production", 'name: "Comité\\0 de production"'),
        "name holds a NUL character",
    ),
    "first-in-year-9999": (
        ("first: 2027-01-05T10:00", "first: 9999-12-25T10:00"),
        "first 9999-12-25T10:00 is more than 5 years ahead (allowed: up to",
    ),
    "first-in-year-1": (
        ("first: 2027-01-05T10:00", "first: 0001-01-02T10:00"),
        "first 0001-01-02T10:00 is before 2000-01-01",
    ),
}


def committees(engine) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return list(session.exec(select(Committee.key)))


@pytest.mark.parametrize("case", list(REFUSED))
def test_runaway_or_oversized_configuration_is_refused_in_one_line(
    case: str, run, engine, tmp_path: Path
) -> None:
    (old, new), message = REFUSED[case]
    assert old in SPEC_EXAMPLE
    path = tmp_path / "committees.yaml"
    path.write_text(SPEC_EXAMPLE.replace(old, new), encoding="utf-8")

    line = refused(run("config", "import", str(path)))

    assert line.startswith("Error: "), line
    assert message in line, line
    assert "\x00" not in line
    assert committees(engine) == []


def test_a_yaml_alias_bomb_is_refused_at_once(run, engine, tmp_path: Path) -> None:
    bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        bomb.append(f"{level}: &{level} [" + ",".join([f"*{previous}"] * 9) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(bomb) + "\ncommittees: []\n", encoding="utf-8")
    assert path.stat().st_size < 700

    started = time.monotonic()
    line = refused(run("config", "import", str(path)))

    assert time.monotonic() - started < 5
    assert "line 2" in line and "alias *a is not allowed" in line


def test_a_duplicate_key_is_refused_naming_the_key_and_its_line(run, engine, tmp_path: Path) -> None:
    path = tmp_path / "committees.yaml"
    path.write_text(SPEC_EXAMPLE + "committees: []\n", encoding="utf-8")

    line = refused(run("config", "import", str(path)))

    assert 'duplicate key "committees" on line 17 (first on line 4' in line
    assert committees(engine) == []


def test_a_duplicate_key_inside_a_committee_is_refused(run, engine, tmp_path: Path) -> None:
    path = tmp_path / "committees.yaml"
    path.write_text(
        SPEC_EXAMPLE.replace("    duration: 60\n", "    duration: 60\n    chair: U0OTHER\n"), encoding="utf-8"
    )

    line = refused(run("config", "import", str(path)))

    assert 'duplicate key "chair" on line 13 (first on line 12' in line


def test_config_import_of_dev_zero_is_one_error_line(run, engine) -> None:
    started = time.monotonic()
    line = refused(run("config", "import", "/dev/zero"))

    assert time.monotonic() - started < 5
    assert line == "Error: /dev/zero: the file is larger than 1000 KB (allowed: up to 1000 KB)"


def test_a_file_just_under_the_limit_is_read(run, engine, tmp_path: Path) -> None:
    path = tmp_path / "committees.yaml"
    path.write_text(SPEC_EXAMPLE + "#" * 900_000 + "\n", encoding="utf-8")

    result = run("config", "import", str(path))

    assert result.exit_code == 0, result.stderr
    assert committees(engine) == ["production"]


def test_daily_and_weekday_cadences_within_once_a_day_import(run, engine, tmp_path: Path) -> None:
    path = tmp_path / "committees.yaml"
    path.write_text(
        SPEC_EXAMPLE.replace("cadence: weekly", "cadence: RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=10"),
        encoding="utf-8",
    )

    result = run("config", "import", str(path))

    assert result.exit_code == 0, result.stderr
