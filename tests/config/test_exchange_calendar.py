"""Regional holidays, closure days, ICS escaping and cadence warnings (issue 11, items 5-7).

Holiday dates are checked by hand against the official calendars:
- Alsace-Moselle (FR-57) adds Good Friday (26 March 2027) and St Stephen's Day (26 December;
  Tuesday 26 December 2028) to France's holidays;
- England (GB-ENG): Easter Monday 29 March 2027, late summer bank holiday Monday 30 August 2027
  (last Monday of August), neither a holiday in France-wide terms (30 August).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from bot.cli.main import cli
from bot.config.cadence_warnings import cadence_warnings
from bot.config.document import ConfigError
from bot.config.validation import parse_config
from bot.core.calendar import BusinessCalendar
from storage.models import Committee
from tests.conftest import database_env

BASE = """\
timezone: Europe/Paris
locale: fr
holidays: {holidays}
{extra}committees:
  - key: production
    name: {name}
    kind: production
    channel: C0PROD
    cadence: {cadence}
    first: {first}
    chair: U0CHAIR
    secretary: U0SEC
    deck_owner: U0DECK
"""


def config_text(
    *,
    holidays: str = "FR",
    extra: str = "",
    name: str = "Comité de production",
    cadence: str = "weekly",
    first: str = "2027-01-05T10:00",
) -> str:
    return BASE.format(holidays=holidays, extra=extra, name=name, cadence=cadence, first=first)


@pytest.fixture
def run(database, engine):
    env = database_env(database)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, prog_name="committee-bot")

    return invoke


@pytest.fixture
def imported(run, tmp_path: Path):
    def write_and_import(text: str) -> Result:
        path = tmp_path / "committees.yaml"
        path.write_text(text, encoding="utf-8")
        result = run("config", "import", str(path))
        assert result.exit_code == 0, result.stderr
        return result

    return write_and_import


# --- regional holidays -------------------------------------------------------------------------


def test_alsace_moselle_adds_good_friday_and_st_stephens_day() -> None:
    moselle, france = BusinessCalendar(country="FR-57"), BusinessCalendar(country="FR")

    assert moselle.is_holiday(date(2027, 3, 26)) and not france.is_holiday(date(2027, 3, 26))
    assert moselle.is_holiday(date(2028, 12, 26)) and not france.is_holiday(date(2028, 12, 26))
    assert moselle.is_holiday(date(2027, 7, 14))  # France's own holidays still apply


def test_england_has_easter_monday_and_the_late_august_bank_holiday() -> None:
    england = BusinessCalendar(country="GB-ENG")

    assert england.is_holiday(date(2027, 3, 29))
    assert england.is_holiday(date(2027, 8, 30))
    assert not BusinessCalendar(country="FR").is_holiday(date(2027, 8, 30))
    assert not england.is_holiday(date(2027, 7, 14))


def test_config_accepts_a_subdivision_and_refuses_an_unknown_one_listing_the_accepted_form() -> None:
    doc = parse_config(config_text(holidays="fr-57"), source="c.yaml")
    assert doc.workspace.holidays == "FR-57"

    with pytest.raises(ConfigError) as caught:
        parse_config(config_text(holidays="FR-99"), source="c.yaml")
    message = str(caught.value)
    assert message.startswith("c.yaml: holidays: unknown holiday subdivision 'FR-99'")
    assert "FR-57" in message and "\n" not in message


def test_a_moselle_committee_on_good_friday_meets_the_next_business_day(run, imported) -> None:
    # Fridays at 10:00. Good Friday 26 March 2027 is a holiday in Moselle only, and Easter Monday
    # 29 March in all of France: the Moselle meeting goes to Tuesday 30 March.
    window = ("calendar", "--from", "2027-03-25", "--to", "2027-03-31", "--format", "json")
    imported(config_text(holidays="FR", first="2027-03-19T10:00"))
    assert [e["start"] for e in json.loads(run(*window).stdout)] == ["2027-03-26T10:00:00+01:00"]

    imported(config_text(holidays="FR-57", first="2027-03-19T10:00"))

    assert [e["start"] for e in json.loads(run(*window).stdout)] == ["2027-03-30T10:00:00+02:00"]


# --- closure days ----------------------------------------------------------------------------


def test_closure_days_are_not_business_days_in_calendar_plan_and_ics(run, imported) -> None:
    # Weekly on Fridays; Friday 24 December 2027 is a workspace closure day.
    imported(config_text(first="2027-12-03T10:00", extra="closures: [2027-12-24, 2027-12-31]\n"))

    calendar = json.loads(
        run("calendar", "--from", "2027-12-20", "--to", "2027-12-28", "--format", "json").stdout
    )
    assert [entry["start"][:10] for entry in calendar] == ["2027-12-27"]

    plan = json.loads(run("plan", "--from", "2027-12-20", "--to", "2027-12-31", "--format", "json").stdout)
    assert all(not item["at"].startswith(("2027-12-24", "2027-12-31")) for item in plan)

    ics = Calendar.from_ical(
        run("calendar", "--from", "2027-12-20", "--to", "2027-12-28", "--format", "ics").stdout_bytes
    )
    meetings = [
        c for c in ics.walk("VEVENT") if "deck" not in str(c["uid"]) and "minutes" not in str(c["uid"])
    ]
    assert [c.decoded("dtstart").date() for c in meetings] == [date(2027, 12, 27)]


def test_closures_export_and_import_back_unchanged(run, imported, tmp_path: Path) -> None:
    imported(config_text(holidays="GB-ENG", extra="closures: [2027-12-31, 2027-12-24]\n"))
    exported = run("config", "export").stdout
    assert "holidays: GB-ENG" in exported
    assert "closures: ['2027-12-24', '2027-12-31']" in exported

    again = imported(exported)

    assert "0 updated, 1 unchanged" in again.stdout and "workspace settings unchanged" in again.stdout


def test_a_closure_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(ConfigError, match=r'closures: "24/12" is not a date \(allowed: YYYY-MM-DD'):
        parse_config(config_text(extra="closures: [24/12]\n"), source="c.yaml")


# --- ICS -------------------------------------------------------------------------------------


def test_calendar_name_with_comma_semicolon_and_backslash_is_escaped(run, imported) -> None:
    name = "Comité A, B; C\\D"
    imported(config_text(name=json.dumps(name)))

    result = run(
        "calendar",
        "--from",
        "2027-01-01",
        "--to",
        "2027-01-31",
        "--committee",
        "production",
        "--format",
        "ics",
    )

    assert b"X-WR-CALNAME:Comit\xc3\xa9 A\\, B\\; C\\\\D\r\n" in result.stdout_bytes
    parsed = Calendar.from_ical(result.stdout_bytes)
    assert str(parsed["X-WR-CALNAME"]).replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\") == name


def test_vtimezone_blocks_come_first_sorted_by_tzid_and_output_is_stable(run, imported) -> None:
    text = config_text(first="2027-01-05T10:00") + (
        "  - key: london\n    name: London\n    kind: qualite\n    channel: C0LOND\n    cadence: monthly\n"
        "    first: 2027-01-07T14:00\n    timezone: Europe/London\n    chair: U0CHAIR\n    secretary: U0SEC\n"
        "    deck_owner: U0DECK\n"
        "  - key: newyork\n    name: NY\n    kind: qualite\n    channel: C0NYC1\n    cadence: monthly\n"
        "    first: 2027-01-07T09:00\n    timezone: America/New_York\n    chair: U0CHAIR\n    secretary: U0SEC\n"
        "    deck_owner: U0DECK\n"
    )
    imported(text)
    args = ("calendar", "--from", "2027-01-01", "--to", "2027-03-31", "--format", "ics")

    first, second = run(*args).stdout_bytes, run(*args).stdout_bytes

    parsed = Calendar.from_ical(first)
    names = [str(c.name) for c in parsed.subcomponents]
    zones = [str(c["tzid"]) for c in parsed.subcomponents if c.name == "VTIMEZONE"]
    assert zones == ["America/New_York", "Europe/London", "Europe/Paris"]
    assert names[:3] == ["VTIMEZONE"] * 3

    # Only DTSTAMP (the wall clock) may differ between two runs.
    def strip(raw: bytes) -> bytes:
        return b"\n".join(line for line in raw.splitlines() if not line.startswith(b"DTSTAMP"))

    assert strip(first) == strip(second)


# --- cadence warnings ------------------------------------------------------------------------


def _committee(cadence: str, first: datetime) -> Committee:
    return Committee(
        key="pilotage", name="P", kind="pilotage", channel="C0P", cadence=cadence, first=first,
        timezone="Europe/Paris", locale="fr", chair="U0C", secretary="U0S", deck_owner="U0D", feed_token="t",
    )  # fmt: skip


def test_monthly_business_day_20_warns_about_months_without_a_20th_business_day() -> None:
    # With French holidays: February 2027 has exactly 20 business days; May 2027 has 21 weekdays
    # less Ascension (Thursday 6) and Whit Monday (17): 19, so no 20th business day.
    committee = _committee("monthly-business-day:20", datetime(2027, 1, 29, 10, 0))
    warnings = cadence_warnings(committee, BusinessCalendar(country="FR"), today=date(2027, 1, 1))

    assert len(warnings) == 1
    assert warnings[0].startswith('committee "pilotage": monthly-business-day:20 has no meeting in ')
    assert "2027-05" in warnings[0] and "2027-03" not in warnings[0]


def test_first_off_the_rrule_is_reported_with_the_real_first_meeting() -> None:
    # Last Friday of each month, but first is Tuesday 5 January 2027: the series starts 29 January.
    committee = _committee("RRULE:FREQ=MONTHLY;BYDAY=-1FR", datetime(2027, 1, 5, 10, 0))
    warnings = cadence_warnings(committee, BusinessCalendar(country="FR"), today=date(2027, 1, 1))

    assert warnings == [
        'committee "pilotage": first 2027-01-05 10:00 is not on the cadence RRULE:FREQ=MONTHLY;BYDAY=-1FR '
        "(it will not be held; the first meeting is 2027-01-29 10:00; set first to a date the cadence gives)"
    ]
    assert (
        cadence_warnings(
            _committee("weekly", datetime(2027, 1, 5, 10, 0)), BusinessCalendar(), today=date(2027, 1, 1)
        )
        == []
    )


def test_config_import_prints_each_warning_on_one_stderr_line(run, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        config_text(cadence="monthly-business-day:20", first="2027-01-05T10:00"), encoding="utf-8"
    )

    result = run("config", "import", str(path))

    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert len(lines) == 2, lines
    assert lines[0].startswith(
        f'Warning: {path}: committee "production": monthly-business-day:20 has no meeting in'
    )
    assert lines[1].startswith(
        f'Warning: {path}: committee "production": first 2027-01-05 10:00 is not on the cadence'
    )
