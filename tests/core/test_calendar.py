"""Committee calendars (SPEC §3): cadences, DST, holiday policies, moved and cancelled occurrences.

Every expected date below is computed by hand in a comment, against the French public holidays of
the ``holidays`` package: 2027 has Easter Monday 03-29, Ascension Thursday 05-06, Whit Monday 05-17,
14 July (Wed), All Saints 11-01 (Mon), Armistice 11-11 (Thu); 2026 has Easter Monday 04-06.
Europe/Paris is UTC+1 in winter and UTC+2 in summer; in 2027 summer time runs 03-28 to 10-31.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from bot.core.calendar import (
    BusinessCalendar,
    business_calendar,
    cadence_class,
    check_cadence,
    localize,
    occurrences,
)
from storage.models import Committee, WorkspaceSettings

PARIS = ZoneInfo("Europe/Paris")


def committee(**fields) -> Committee:
    """An unsaved weekly committee (Thursdays 10:00 Europe/Paris, 60 min) with ``fields`` changed."""
    values = {
        "key": "prod",
        "name": "Comité de production",
        "kind": "production",
        "channel": "C0PROD",
        "cadence": "weekly",
        "first": datetime(2027, 1, 7, 10, 0),  # a Thursday
        "duration": 60,
        "timezone": "Europe/Paris",
        "locale": "fr",
        "chair": "U0CHAIR",
        "secretary": "U0SEC",
        "deck_owner": "U0DECK",
        "feed_token": "feed-prod",
    }
    values.update(fields)
    return Committee(**values)


WORKSPACE = WorkspaceSettings(timezone="Europe/Paris", locale="fr", holidays="FR")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def starts(found) -> list[datetime]:
    """Occurrence starts as naive local wall-clock times, easy to compare with hand computations."""
    return [o.start.replace(tzinfo=None) for o in found]


def between(c: Committee, first_day: date, last_day: date, meetings=()) -> list:
    """Occurrences from ``first_day`` 00:00 UTC to ``last_day`` 00:00 UTC (exclusive)."""
    return occurrences(
        c,
        WORKSPACE,
        utc(first_day.year, first_day.month, first_day.day),
        utc(last_day.year, last_day.month, last_day.day),
        meetings,
    )


# --- DST ------------------------------------------------------------------------------------


def test_weekly_meeting_keeps_local_time_across_spring_dst_change() -> None:
    # Thursdays 03-18, 03-25 (winter, UTC+1: 09:00Z), then 04-01 after the 03-28 change (UTC+2: 08:00Z).
    found = between(committee(first=datetime(2027, 3, 18, 10)), date(2027, 3, 15), date(2027, 4, 5))
    assert [o.start.astimezone(UTC) for o in found] == [
        utc(2027, 3, 18, 9),
        utc(2027, 3, 25, 9),
        utc(2027, 4, 1, 8),
    ]
    assert all(o.start.hour == 10 and o.start.tzinfo == PARIS for o in found)


def test_weekly_meeting_keeps_local_time_across_autumn_dst_change() -> None:
    # Thursdays 10-21, 10-28 (summer: 08:00Z), then 11-04 after the 10-31 change (winter: 09:00Z).
    found = between(committee(first=datetime(2027, 10, 21, 10)), date(2027, 10, 18), date(2027, 11, 8))
    assert [o.start.astimezone(UTC) for o in found] == [
        utc(2027, 10, 21, 8),
        utc(2027, 10, 28, 8),
        utc(2027, 11, 4, 9),
    ]


def test_end_is_start_plus_duration_and_series_start_is_utc() -> None:
    (found,) = between(committee(duration=90), date(2027, 6, 7), date(2027, 6, 14))
    # Thursday 06-10 10:00 CEST = 08:00Z, ends 11:30 local.
    assert found.start == datetime(2027, 6, 10, 10, tzinfo=PARIS)
    assert found.end == datetime(2027, 6, 10, 11, 30, tzinfo=PARIS)
    assert found.series_start == utc(2027, 6, 10, 8) and found.series_start.tzinfo == UTC
    assert found.status == "scheduled" and found.committee_key == "prod"


def test_time_in_the_spring_forward_gap_is_normalized_through_utc() -> None:
    # 2027-03-28 02:30 does not exist in Paris (02:00 -> 03:00): read as 02:30+01:00 = 01:30Z = 03:30 CEST.
    moment = localize(datetime(2027, 3, 28, 2, 30), PARIS)
    assert moment.astimezone(UTC) == utc(2027, 3, 28, 1, 30)
    assert (moment.hour, moment.minute) == (3, 30)


def test_ambiguous_autumn_time_takes_the_first_one() -> None:
    # 2027-10-31 02:30 happens twice; fold=0 is the summer one: 02:30+02:00 = 00:30Z.
    assert localize(datetime(2027, 10, 31, 2, 30), PARIS).astimezone(UTC) == utc(2027, 10, 31, 0, 30)


def test_daily_rule_in_the_gap_lands_after_it() -> None:
    c = committee(cadence="FREQ=DAILY", first=datetime(2027, 3, 27, 2, 30), holiday_policy="keep")
    found = between(c, date(2027, 3, 27), date(2027, 3, 30))
    # 03-27 02:30 CET; 03-28 02:30 missing -> 03:30 CEST; 03-29 02:30 CEST.
    assert starts(found) == [
        datetime(2027, 3, 27, 2, 30),
        datetime(2027, 3, 28, 3, 30),
        datetime(2027, 3, 29, 2, 30),
    ]


# --- holiday policies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy, held_on",
    [
        # Thursday 2027-05-06 is Ascension.
        ("next_business_day", datetime(2027, 5, 7, 10)),  # Friday 05-07 (Saturday 05-08 does not matter)
        ("previous_business_day", datetime(2027, 5, 5, 10)),  # Wednesday 05-05
        ("skip", None),
        ("keep", datetime(2027, 5, 6, 10)),
    ],
)
def test_weekly_meeting_on_ascension_follows_the_holiday_policy(
    policy: str, held_on: datetime | None
) -> None:
    found = between(committee(holiday_policy=policy), date(2027, 5, 3), date(2027, 5, 10))
    assert starts(found) == ([held_on] if held_on else [])
    if held_on:
        # The identity stays the raw Thursday instant: 10:00 CEST = 08:00Z.
        assert found[0].series_start == utc(2027, 5, 6, 8)


@pytest.mark.parametrize(
    "policy, held_on",
    [
        # Thursday 2027-11-11 is Armistice day (winter time).
        ("next_business_day", [datetime(2027, 11, 12, 10)]),
        ("previous_business_day", [datetime(2027, 11, 10, 10)]),
        ("skip", []),
        ("keep", [datetime(2027, 11, 11, 10)]),
    ],
)
def test_weekly_meeting_on_armistice_follows_the_holiday_policy(policy: str, held_on: list[datetime]) -> None:
    assert starts(between(committee(holiday_policy=policy), date(2027, 11, 8), date(2027, 11, 15))) == held_on


def test_holiday_move_never_lands_on_another_occurrence() -> None:
    # Daily at 10:00 from Friday 2027-06-11: Saturday and Sunday would move onto Monday 06-14, which
    # already has its own occurrence, so they are dropped.
    c = committee(cadence="FREQ=DAILY", first=datetime(2027, 6, 11, 10))
    assert starts(between(c, date(2027, 6, 11), date(2027, 6, 15))) == [
        datetime(2027, 6, 11, 10),
        datetime(2027, 6, 14, 10),
    ]
    # Saturday and Sunday only: both would land on Monday 06-14; the first (Saturday's) keeps it.
    c = committee(cadence="FREQ=WEEKLY;BYDAY=SA,SU", first=datetime(2027, 6, 12, 10))
    found = between(c, date(2027, 6, 11), date(2027, 6, 18))
    assert starts(found) == [datetime(2027, 6, 14, 10)] and found[0].series_start == utc(2027, 6, 12, 8)


def test_holiday_move_can_bring_an_occurrence_into_the_window() -> None:
    # Raw Thursday 05-06 is held Friday 05-07: a window starting Friday still sees it.
    assert starts(between(committee(), date(2027, 5, 7), date(2027, 5, 8))) == [datetime(2027, 5, 7, 10)]


def test_committee_workdays_and_holidays_override_the_workspace() -> None:
    c = committee(holidays="none", workdays="mon,tue,wed,thu,fri")
    # No holiday country: Ascension Thursday is a plain business day.
    assert starts(between(c, date(2027, 5, 3), date(2027, 5, 10))) == [datetime(2027, 5, 6, 10)]
    assert business_calendar(c, WORKSPACE) == BusinessCalendar(frozenset(range(5)), None)


# --- cadences -------------------------------------------------------------------------------


def test_monthly_repeats_on_the_first_thursday() -> None:
    # First Thursdays: 02-04, 03-04, 04-01, and 05-06 (Ascension) held Friday 05-07.
    c = committee(cadence="monthly", first=datetime(2027, 1, 7, 10))
    assert starts(between(c, date(2027, 2, 1), date(2027, 6, 1))) == [
        datetime(2027, 2, 4, 10),
        datetime(2027, 3, 4, 10),
        datetime(2027, 4, 1, 10),
        datetime(2027, 5, 7, 10),
    ]


def test_monthly_on_a_fifth_weekday_repeats_on_the_last_one() -> None:
    # 2027-01-29 is the 5th Friday of January, so "last Friday": 02-26 and 03-26 (months with only
    # four Fridays), then 04-30.
    c = committee(cadence="monthly", first=datetime(2027, 1, 29, 14))
    assert starts(between(c, date(2027, 1, 1), date(2027, 5, 1))) == [
        datetime(2027, 1, 29, 14),
        datetime(2027, 2, 26, 14),
        datetime(2027, 3, 26, 14),
        datetime(2027, 4, 30, 14),
    ]


def test_biweekly_skips_every_other_week() -> None:
    c = committee(cadence="biweekly", first=datetime(2027, 1, 7, 10))
    # 01-07, 01-21, 02-04.
    assert starts(between(c, date(2027, 1, 1), date(2027, 2, 10))) == [
        datetime(2027, 1, 7, 10),
        datetime(2027, 1, 21, 10),
        datetime(2027, 2, 4, 10),
    ]


def test_quarterly_repeats_on_the_first_thursday_every_three_months() -> None:
    # 1st Thursdays of 04-2027 (04-01), 07-2027 (07-01), 10-2027 (10-01 is a Friday -> 10-07).
    c = committee(cadence="quarterly", first=datetime(2027, 1, 7, 10))
    assert starts(between(c, date(2027, 2, 1), date(2027, 12, 31))) == [
        datetime(2027, 4, 1, 10),
        datetime(2027, 7, 1, 10),
        datetime(2027, 10, 7, 10),
    ]


def test_semiannual_repeats_on_the_second_thursday_every_six_months() -> None:
    # 2027-03-11 is the 2nd Thursday of March; September 2027: Thursdays 2, 9 -> 09-09;
    # March 2028: Thursdays 2, 9 -> 03-09.
    c = committee(cadence="semiannual", first=datetime(2027, 3, 11, 14))
    assert starts(between(c, date(2027, 3, 1), date(2028, 4, 1))) == [
        datetime(2027, 3, 11, 14),
        datetime(2027, 9, 9, 14),
        datetime(2028, 3, 9, 14),
    ]


def test_annual_repeats_on_the_same_weekday_position_of_the_month() -> None:
    # 2027-06-15 is the 3rd Tuesday of June; June 2028 starts on a Thursday -> 6, 13, 20: 06-20;
    # June 2029 starts on a Friday -> 5, 12, 19: 06-19.
    c = committee(cadence="annual", first=datetime(2027, 6, 15, 9))
    assert starts(between(c, date(2027, 1, 1), date(2030, 1, 1))) == [
        datetime(2027, 6, 15, 9),
        datetime(2028, 6, 20, 9),
        datetime(2029, 6, 19, 9),
    ]


def test_monthly_business_day_skips_a_holiday_at_the_start_of_the_month() -> None:
    # October 2027: 1 (Fri), 4, 5, 6, 7 -> 5th business day 10-07.
    # November 2027: 1 is All Saints (holiday) -> 2, 3, 4, 5, 8 -> 11-08.
    # December 2027: 1, 2, 3, 6, 7 -> 12-07. Always at the first occurrence's 09:00.
    c = committee(cadence="monthly-business-day:5", first=datetime(2027, 1, 8, 9))
    assert starts(between(c, date(2027, 10, 1), date(2028, 1, 1))) == [
        datetime(2027, 10, 7, 9),
        datetime(2027, 11, 8, 9),
        datetime(2027, 12, 7, 9),
    ]


def test_monthly_business_day_minus_one_is_the_last_business_day() -> None:
    # Last business days: April 2027 -> Friday 04-30; July 2027 -> Friday 07-30 (31 is a Saturday).
    c = committee(cadence="monthly-business-day:-1", first=datetime(2027, 1, 29, 16))
    found = starts(between(c, date(2027, 4, 1), date(2027, 8, 1)))
    assert found[0] == datetime(2027, 4, 30, 16) and found[-1] == datetime(2027, 7, 30, 16)


def test_monthly_business_day_starts_at_the_first_occurrence() -> None:
    # January 2027: 1 is a holiday -> 4, 5, 6, 7, 8 -> 01-08; the first occurrence is 01-08 itself,
    # so a window from 2026-12 finds nothing before it.
    c = committee(cadence="monthly-business-day:5", first=datetime(2027, 1, 8, 9))
    assert starts(between(c, date(2026, 11, 1), date(2027, 1, 31))) == [datetime(2027, 1, 8, 9)]


@pytest.mark.parametrize(
    "cadence", ["RRULE:FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;BYDAY=-1FR", "rrule:freq=monthly;byday=-1fr"]
)
def test_raw_rrule_is_accepted_with_or_without_prefix(cadence: str) -> None:
    # Last Fridays: 02-26, 03-26 at the first occurrence's 14:00.
    c = committee(cadence=cadence, first=datetime(2027, 1, 29, 14))
    assert starts(between(c, date(2027, 2, 1), date(2027, 4, 1))) == [
        datetime(2027, 2, 26, 14),
        datetime(2027, 3, 26, 14),
    ]


def test_raw_rrule_with_several_days_and_utc_until() -> None:
    # Every other week on Tuesday and Thursday from Tuesday 01-05, until 01-20 00:00Z (01:00 Paris):
    # 01-05, 01-07, then the week of 01-18: 01-19 (01-21 is after UNTIL).
    c = committee(
        cadence="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;UNTIL=20270120T000000Z", first=datetime(2027, 1, 5, 10)
    )
    assert starts(between(c, date(2027, 1, 1), date(2027, 3, 1))) == [
        datetime(2027, 1, 5, 10),
        datetime(2027, 1, 7, 10),
        datetime(2027, 1, 19, 10),
    ]


def test_window_is_half_open_and_sorted() -> None:
    # Thursday 06-10 10:00 CEST = 08:00Z: included when the window starts there, excluded when it ends there.
    c = committee()
    assert starts(occurrences(c, WORKSPACE, utc(2027, 6, 10, 8), utc(2027, 6, 10, 9))) == [
        datetime(2027, 6, 10, 10)
    ]
    assert occurrences(c, WORKSPACE, utc(2027, 6, 9), utc(2027, 6, 10, 8)) == []
    found = between(c, date(2027, 6, 1), date(2027, 7, 1))
    assert starts(found) == sorted(starts(found)) and len(found) == 4  # 06-03, 10, 17, 24


# --- check_cadence --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cadence",
    [
        "weekly",
        "biweekly",
        "monthly",
        "quarterly",
        "semiannual",
        "annual",
        "monthly-business-day:5",
        "RRULE:FREQ=WEEKLY;BYDAY=TU",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    ],
)
def test_valid_cadences_pass_the_check(cadence: str) -> None:
    check_cadence(cadence, datetime(2027, 1, 7, 10), "Europe/Paris")


def test_rrule_that_never_occurs_is_rejected() -> None:
    with pytest.raises(ValueError, match="never occurs"):
        check_cadence("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", datetime(2027, 1, 7, 10), "Europe/Paris")


def test_rrule_ending_before_its_first_occurrence_is_rejected() -> None:
    with pytest.raises(ValueError, match="never occurs"):
        check_cadence("FREQ=WEEKLY;UNTIL=20260101T000000Z", datetime(2027, 1, 7, 10), "Europe/Paris")


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"unknown time zone 'Europe/Pariss'.*Europe/Paris"):
        check_cadence("weekly", datetime(2027, 1, 7, 10), "Europe/Pariss")


@pytest.mark.parametrize(
    "cadence, says",
    [
        ("daily", "unknown cadence 'daily'"),
        ("", "empty"),
        ("FREQ=HOURLY", "FREQ must be one of DAILY, WEEKLY, MONTHLY, YEARLY"),
        ("RRULE:FREQ=WEEKLY;BYDAY=XX", "invalid 'BYDAY'"),
        ("FREQ=WEEKLY;COLOUR=RED", "unknown parameter 'COLOUR'"),
        ("monthly-business-day:0", "N from 1 to 23"),
        ("monthly-business-day:x", "N from 1 to 23"),
    ],
)
def test_bad_cadence_is_rejected_with_what_is_allowed(cadence: str, says: str) -> None:
    with pytest.raises(ValueError) as error:
        check_cadence(cadence, datetime(2027, 1, 7, 10), "Europe/Paris")
    assert says in str(error.value)
    assert "weekly, biweekly, monthly, quarterly, semiannual, annual, monthly-business-day:N" in str(
        error.value
    )


@pytest.mark.parametrize(
    "cadence, expected",
    [
        ("weekly", "weekly"),
        ("biweekly", "weekly"),
        ("monthly", "monthly"),
        ("monthly-business-day:3", "monthly"),
        ("quarterly", "quarterly"),
        ("semiannual", "semiannual"),
        ("annual", "annual"),
        ("FREQ=DAILY", "weekly"),
        ("RRULE:FREQ=WEEKLY;INTERVAL=2", "weekly"),
        ("FREQ=WEEKLY;INTERVAL=4", "monthly"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "monthly"),
        ("FREQ=MONTHLY;INTERVAL=3", "quarterly"),
        ("FREQ=MONTHLY;INTERVAL=6", "semiannual"),
        ("FREQ=YEARLY", "annual"),
        ("FREQ=MONTHLY;INTERVAL=12", "annual"),
    ],
)
def test_cadence_class(cadence: str, expected: str) -> None:
    assert cadence_class(cadence) == expected


# --- moved, cancelled, held -----------------------------------------------------------------


def meeting(series_start: datetime, start: datetime, status: str, minutes: int = 60) -> SimpleNamespace:
    """A stored Meeting row as occurrences() reads it (aware UTC times)."""
    return SimpleNamespace(
        series_start=series_start, start=start, end=start + timedelta(minutes=minutes), status=status
    )


THURSDAY_0610 = utc(2027, 6, 10, 8)  # Thursday 06-10 10:00 CEST


def test_meeting_moved_out_of_the_window_leaves_it() -> None:
    moved = meeting(THURSDAY_0610, utc(2027, 6, 15, 12), "moved")  # to Tuesday 06-15 14:00 CEST
    assert between(committee(), date(2027, 6, 7), date(2027, 6, 14), [moved]) == []


def test_meeting_moved_into_the_window_enters_it_with_its_identity() -> None:
    moved = meeting(THURSDAY_0610, utc(2027, 6, 15, 12), "moved")
    found = between(committee(), date(2027, 6, 14), date(2027, 6, 21), [moved])
    # The moved 06-10 meeting (Tuesday 06-15 14:00) then the regular Thursday 06-17.
    assert starts(found) == [datetime(2027, 6, 15, 14), datetime(2027, 6, 17, 10)]
    assert found[0].status == "moved" and found[0].series_start == THURSDAY_0610
    assert found[0].start.tzinfo == PARIS and found[0].end == datetime(2027, 6, 15, 15, tzinfo=PARIS)


def test_meeting_moved_far_away_is_found_where_it_lands() -> None:
    # Thursday 06-10 moved 40 days later, to Tuesday 07-20 14:00 CEST, well beyond any holiday move.
    moved = meeting(THURSDAY_0610, utc(2027, 7, 20, 12), "moved")
    found = between(committee(), date(2027, 7, 20), date(2027, 7, 21), [moved])
    assert [(o.series_start, o.status) for o in found] == [(THURSDAY_0610, "moved")]


def test_cancelled_meeting_is_returned_as_cancelled() -> None:
    cancelled = meeting(THURSDAY_0610, THURSDAY_0610, "cancelled")
    (found,) = between(committee(), date(2027, 6, 7), date(2027, 6, 14), [cancelled])
    assert found.status == "cancelled" and found.start == datetime(2027, 6, 10, 10, tzinfo=PARIS)


def test_held_and_scheduled_rows_keep_the_series() -> None:
    held = meeting(THURSDAY_0610, THURSDAY_0610, "held")
    scheduled = meeting(utc(2027, 6, 17, 8), utc(2027, 6, 17, 8), "scheduled")
    found = between(committee(), date(2027, 6, 7), date(2027, 6, 21), [held, scheduled])
    assert [o.status for o in found] == ["held", "scheduled"]


def test_moved_row_not_in_the_series_is_ignored() -> None:
    # A Wednesday instant is not a Thursday of the series (e.g. left over from an older cadence).
    stray = meeting(utc(2027, 6, 9, 8), utc(2027, 6, 9, 8), "moved")
    assert starts(between(committee(), date(2027, 6, 7), date(2027, 6, 14), [stray])) == [
        datetime(2027, 6, 10, 10)
    ]


def test_skipped_holiday_occurrence_can_still_be_moved_by_the_chair() -> None:
    # Policy skip drops Ascension Thursday 05-06 (08:00Z); the chair moves it to Tuesday 05-11 10:00.
    moved = meeting(utc(2027, 5, 6, 8), utc(2027, 5, 11, 8), "moved")
    found = between(committee(holiday_policy="skip"), date(2027, 5, 3), date(2027, 5, 12), [moved])
    assert starts(found) == [datetime(2027, 5, 11, 10)]
