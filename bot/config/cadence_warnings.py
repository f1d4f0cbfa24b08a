"""Warnings about cadences that are valid but probably not what was meant (issue 11, item 7).

``config import`` accepts these and says so, one line each:

- a ``monthly-business-day:N`` committee has no meeting in a month with fewer than N business days
  (``monthly-business-day:20`` in a May full of French holidays);
- a ``first`` that is not on the cadence's rule (``RRULE:FREQ=MONTHLY;BYDAY=-1FR`` with a Tuesday as
  ``first``): the series starts at its next occurrence and ``first`` itself is never held.

Pure functions over a committee and its business calendar: nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.core.calendar import (
    BusinessCalendar,
    BusinessDayRule,
    Series,
    business_calendar,
    naive_local,
    nth_business_day,
    parse_series,
    zone,
)
from storage.committees import get_workspace
from storage.models import Committee

# Months looked at, from the first meeting (or from today when the series started earlier).
HORIZON_MONTHS = 12


def cadence_warnings(committee: Committee, calendar: BusinessCalendar, *, today: date) -> list[str]:
    """One-line warnings about ``committee``'s cadence (empty when all is as declared)."""
    first = naive_local(committee.first, zone(committee.timezone))
    try:
        series: Series = parse_series(committee.cadence, first, committee.timezone)
    except ValueError:
        return []  # refused by validation already
    warnings = []
    where = f'committee "{committee.key}"'
    if isinstance(series, BusinessDayRule):
        months = months_without_meeting(series.n, calendar, start=max(first.date(), today))
        if months:
            warnings.append(
                f"{where}: {committee.cadence} has no meeting in {', '.join(months)} "
                f"(fewer than {abs(series.n)} business days in those months)"
            )
        held = nth_business_day(calendar, first.year, first.month, series.n)
        if held != first.date():
            found = first_meeting_of_business_day_rule(series, calendar, first)
            warnings.append(_off_rule(where, committee.cadence, first, found))
        return warnings
    found = series.after(first, inc=True)
    if found is not None and found != first:
        warnings.append(_off_rule(where, committee.cadence, first, found))
    return warnings


def months_without_meeting(n: int, calendar: BusinessCalendar, *, start: date) -> list[str]:
    """``YYYY-MM`` of the months, over ``HORIZON_MONTHS`` from ``start``'s month, that have no
    ``n``th business day."""
    year, month = start.year, start.month
    missing = []
    for _ in range(HORIZON_MONTHS):
        if nth_business_day(calendar, year, month, n) is None:
            missing.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return missing


def _off_rule(where: str, cadence: str, first: datetime, found: datetime | None) -> str:
    held = f"; the first meeting is {found:%Y-%m-%d %H:%M}" if found is not None else ""
    return (
        f"{where}: first {first:%Y-%m-%d %H:%M} is not on the cadence {cadence} "
        f"(it will not be held{held}; set first to a date the cadence gives)"
    )


def first_meeting_of_business_day_rule(
    series: BusinessDayRule, calendar: BusinessCalendar, first: datetime
) -> datetime | None:
    """The first occurrence of a business-day rule on or after ``first`` (within a year)."""
    found = series.between(calendar, first, first + timedelta(days=400))
    return found[0] if found else None


def import_warnings(session: Session, *, keys: Iterable[str], now: datetime) -> list[str]:
    """The cadence warnings of the committees ``keys`` as stored (after ``import_config``)."""
    workspace = get_workspace(session)
    wanted = list(keys)
    rows = {c.key: c for c in session.exec(select(Committee).where(col(Committee.key).in_(wanted))).all()}
    warnings: list[str] = []
    for key in wanted:
        committee = rows.get(key)
        if committee is None or not committee.active:
            continue
        today = now.astimezone(zone(committee.timezone)).date()
        warnings += cadence_warnings(committee, business_calendar(committee, workspace), today=today)
    return warnings
