"""Committee calendars and business days (SPEC §3).

Pure functions over plain values: nothing here reads the clock or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays as holidays_lib

from storage.models import Committee, Meeting, WorkspaceSettings

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_workdays(text: str) -> frozenset[int]:
    """``"mon,tue,wed,thu,fri"`` -> ``{0, 1, 2, 3, 4}``; raises ValueError naming the allowed names."""
    days = set()
    for part in (p.strip().lower()[:3] for p in text.split(",") if p.strip()):
        if part not in WEEKDAYS:
            raise ValueError(f"unknown workday {part!r}: use {', '.join(WEEKDAYS)}")
        days.add(WEEKDAYS.index(part))
    if not days:
        raise ValueError("workdays is empty: list at least one of " + ", ".join(WEEKDAYS))
    return frozenset(days)


@lru_cache(maxsize=256)
def _holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays_lib.country_holidays(country, years=year).keys())


def check_country(country: str) -> None:
    """Raise ValueError unless ``country`` is ``none`` or a country the holidays package knows."""
    if country.lower() == "none":
        return
    if country.upper() not in holidays_lib.list_supported_countries():
        raise ValueError(f"unknown holiday country {country!r}: use an ISO 3166 code such as FR, BE, GB, US, or none")


@dataclass(frozen=True)
class BusinessCalendar:
    """Workdays (0 = Monday) and a public-holiday country (None = no holidays)."""

    workdays: frozenset[int] = frozenset(range(5))
    country: str | None = None

    def is_holiday(self, day: date) -> bool:
        return self.country is not None and day in _holidays(self.country, day.year)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.workdays and not self.is_holiday(day)

    def on_or_after(self, day: date) -> date:
        """``day`` if it is a business day, else the next one."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def on_or_before(self, day: date) -> date:
        """``day`` if it is a business day, else the previous one."""
        while not self.is_business_day(day):
            day -= timedelta(days=1)
        return day

    def add(self, day: date, n: int) -> date:
        """Move ``n`` business days from ``day`` (negative: backwards). ``add(d, 0)`` is ``d``."""
        step = 1 if n >= 0 else -1
        for _ in range(abs(n)):
            day += timedelta(days=step)
            while not self.is_business_day(day):
                day += timedelta(days=step)
        return day


def business_calendar(committee: Committee | None, workspace: WorkspaceSettings) -> BusinessCalendar:
    """The business calendar of a committee: its own workdays/holidays, else the workspace's."""
    country = (committee.holidays if committee and committee.holidays else None) or workspace.holidays
    workdays = (committee.workdays if committee and committee.workdays else None) or workspace.workdays
    return BusinessCalendar(
        workdays=parse_workdays(workdays),
        country=None if not country or country.lower() == "none" else country.upper(),
    )


@dataclass(frozen=True)
class Occurrence:
    """One meeting of a committee's series, after the holiday policy and any move or cancellation.

    ``series_start`` (aware, UTC) is the raw recurrence instant: the occurrence's identity, kept
    when the meeting is moved. ``start``/``end`` are aware, in the committee's time zone.
    """

    committee_key: str
    series_start: datetime
    start: datetime
    end: datetime
    status: str  # MeetingStatus value


def occurrences(
    committee: Committee,
    workspace: WorkspaceSettings,
    window_start: datetime,
    window_end: datetime,
    meetings: list[Meeting] | tuple[Meeting, ...] = (),
) -> list[Occurrence]:
    """Occurrences whose start falls in [window_start, window_end), sorted by start.

    ``meetings`` are the committee's stored rows; a row whose ``series_start`` matches a recurrence
    instant overrides it (moved: its own start/end; cancelled: kept with status cancelled).
    """
    raise NotImplementedError


def check_cadence(cadence: str, first: datetime, tz: str) -> None:
    """Raise ValueError (saying what is allowed) unless ``cadence`` is valid and occurs at least once."""
    raise NotImplementedError
