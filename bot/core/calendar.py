"""Committee calendars and business days (SPEC §3).

Pure functions over plain values: nothing here reads the clock or the database.

A committee's series is computed on naive local wall-clock times with dateutil's rrule, then made
aware in the committee's zone, so a 10:00 Europe/Paris meeting stays at 10:00 across DST changes.
Each occurrence is identified by its raw recurrence instant (``series_start``, UTC), which stays the
same when the holiday policy or a chair moves the meeting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr, weekday

from storage.models import Committee, HolidayPolicy, Meeting, MeetingStatus, WorkspaceSettings

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
    """Public holidays of ``country`` (``FR``) or of a subdivision (``FR-57``, ``GB-ENG``)."""
    code, _, subdivision = country.partition("-")
    # The package spells some subdivisions in mixed case ("Zone A"); ours are stored upper-case.
    names = {str(name).upper(): name for name in holidays_lib.country_holidays(code).subdivisions}
    subdiv = names.get(subdivision.upper(), subdivision) if subdivision else None
    return frozenset(holidays_lib.country_holidays(code, subdiv=subdiv, years=year).keys())


def check_country(country: str) -> None:
    """Raise ValueError unless ``country`` is ``none``, a country the holidays package knows (``FR``)
    or one of its subdivisions as the package names them (``FR-57`` Moselle, ``GB-ENG`` England).

    The message lists the subdivisions of a known country, so a wrong one is easy to correct.
    """
    if country.lower() == "none":
        return
    code, dash, subdivision = country.upper().partition("-")
    supported = holidays_lib.list_supported_countries()
    if code not in supported:
        raise ValueError(
            f"unknown holiday country {country!r}: use an ISO 3166 code such as FR, BE, GB, US, "
            "a country with a subdivision such as FR-57 or GB-ENG, or none"
        )
    if dash:
        names = _subdivisions(code)
        if subdivision not in names:
            raise ValueError(
                f"unknown holiday subdivision {country!r}: write COUNTRY-SUBDIVISION with one of "
                f"{code}'s subdivisions: {', '.join(f'{code}-{name}' for name in names) or 'none known'}"
            )


@lru_cache(maxsize=64)
def _subdivisions(code: str) -> tuple[str, ...]:
    return tuple(str(name).upper() for name in holidays_lib.country_holidays(code).subdivisions)


@dataclass(frozen=True)
class BusinessCalendar:
    """Workdays (0 = Monday), a public-holiday country or subdivision (``FR``, ``FR-57``; None = no
    holidays) and the workspace's closure days."""

    workdays: frozenset[int] = frozenset(range(5))
    country: str | None = None
    closures: frozenset[date] = frozenset()

    def is_holiday(self, day: date) -> bool:
        if day in self.closures:
            return True
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
        closures=closure_days(getattr(workspace, "closures", None)),
    )


def closure_days(values: object) -> frozenset[date]:
    """The workspace's closure days from their stored form (a list of ``YYYY-MM-DD``)."""
    if not isinstance(values, list | tuple):
        return frozenset()
    return frozenset(value if isinstance(value, date) else date.fromisoformat(str(value)) for value in values)


# ---------------------------------------------------------------------------------------------
# Cadences


NAMED_CADENCES = ("weekly", "biweekly", "monthly", "quarterly", "semiannual", "annual")
BUSINESS_DAY_CADENCE = "monthly-business-day"
ALLOWED_CADENCES = (
    "weekly, biweekly, monthly, quarterly, semiannual, annual, "
    "monthly-business-day:N (the Nth business day of each month, N from 1 to 23; -1 is the last), "
    "or an RFC 5545 rule such as RRULE:FREQ=MONTHLY;BYDAY=-1FR"
)
_RRULE_FREQS = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
# Months per step of the named cadences that repeat on a weekday position.
_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6}
# A holiday move never shifts an occurrence by more than this (a run of non-business days),
# so the recurrence is expanded this much beyond the window on both sides.
_WIDEN = timedelta(days=15)
# A rule that does not occur within this span of its first occurrence is refused.
_HORIZON_YEARS = 10


@dataclass(frozen=True)
class BusinessDayRule:
    """``monthly-business-day:N``: the Nth business day of each month (from the end when N < 0)."""

    n: int
    first: datetime  # naive local; no occurrence before it

    def between(self, calendar: BusinessCalendar, after: datetime, before: datetime) -> list[datetime]:
        found = []
        year, month = after.year, after.month
        while (year, month) <= (before.year, before.month):
            day = nth_business_day(calendar, year, month, self.n)
            if day is not None:
                instant = datetime.combine(day, self.first.time())
                if instant >= self.first and after <= instant <= before:
                    found.append(instant)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return found


Series = rrule | BusinessDayRule


def nth_business_day(calendar: BusinessCalendar, year: int, month: int, n: int) -> date | None:
    """The ``n``th business day of a month (``n < 0``: from its end), None when it has fewer."""
    first = date(year, month, 1)
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    days = [first + timedelta(days=i) for i in range(last.day)]
    business = [d for d in days if calendar.is_business_day(d)]
    index = n - 1 if n > 0 else n
    return business[index] if -len(business) <= index < len(business) else None


def zone(tz: str) -> ZoneInfo:
    """``ZoneInfo(tz)``; ValueError naming the zone and how to write one when it is unknown."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(
            f"unknown time zone {tz!r}: use an IANA name such as Europe/Paris, America/New_York or UTC"
        ) from None


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """A local wall-clock time made aware in ``tz``.

    A time inside a spring-forward gap (02:30 on the night clocks jump to 03:00) does not exist; it
    is normalized through UTC to the wall-clock time it lands on (03:30). An ambiguous time (the
    autumn hour that happens twice) takes the first one (fold=0).
    """
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC).astimezone(tz)


def _as_utc(moment: datetime) -> datetime:
    # Stored rows are aware UTC; a naive value can only come from a careless caller: read it as UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def naive_local(first: datetime, tz: ZoneInfo) -> datetime:
    """``first`` as naive wall-clock time in ``tz`` (a naive value is already that)."""
    return first if first.tzinfo is None else first.astimezone(tz).replace(tzinfo=None)


def _weekday_position(first: datetime) -> weekday:
    """The weekday of ``first`` at its position in the month; a 5th weekday is the last one."""
    position = (first.day - 1) // 7 + 1
    return weekday(first.weekday(), -1 if position == 5 else position)


@lru_cache(maxsize=4096)
def parse_series(cadence: str, first: datetime, tz: str) -> Series:
    """The parsed recurrence of a cadence (naive local instants), cached: committees share it.

    rrules are built with ``cache=True`` so repeated windows over the same series do not expand it
    again from its first occurrence.
    """
    text = cadence.strip()
    lowered = text.lower()
    if lowered == "weekly":
        return rrule(WEEKLY, dtstart=first, cache=True)
    if lowered == "biweekly":
        return rrule(WEEKLY, interval=2, dtstart=first, cache=True)
    if lowered in _MONTHS:
        return rrule(
            MONTHLY, interval=_MONTHS[lowered], byweekday=_weekday_position(first), dtstart=first, cache=True
        )
    if lowered == "annual":
        return rrule(
            YEARLY, bymonth=first.month, byweekday=_weekday_position(first), dtstart=first, cache=True
        )
    if lowered.startswith(BUSINESS_DAY_CADENCE):
        return _parse_business_day(text, first)
    if lowered.startswith(("rrule:", "freq=")) or "freq=" in lowered:
        return _parse_rrule(text, first, tz)
    raise ValueError(f"unknown cadence {cadence!r}: use {ALLOWED_CADENCES}")


def _parse_business_day(text: str, first: datetime) -> BusinessDayRule:
    _, _, number = text.partition(":")
    try:
        n = int(number.strip())
    except ValueError:
        n = 0
    if not (1 <= abs(n) <= 23):
        raise ValueError(
            f"invalid cadence {text!r}: write monthly-business-day:N with N from 1 to 23 "
            f"(or -1 for the last business day of the month); use {ALLOWED_CADENCES}"
        )
    return BusinessDayRule(n=n, first=first)


def _parse_rrule(text: str, first: datetime, tz: str) -> rrule:
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    if not body or any(c.isspace() for c in body) or ":" in body:
        raise ValueError(f"invalid cadence {text!r}: give a single RRULE line; use {ALLOWED_CADENCES}")
    parts = []
    freq = None
    for pair in body.split(";"):
        name, sep, value = pair.partition("=")
        name, value = name.upper(), value.upper()
        if not sep or not value:
            raise ValueError(f"invalid cadence {text!r}: {pair!r} is not NAME=VALUE; use {ALLOWED_CADENCES}")
        if name == "FREQ":
            freq = value
        if name == "UNTIL" and value.endswith("Z"):
            # Occurrences are computed on naive local times, so a UTC UNTIL is read in the zone.
            try:
                until = datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
            except ValueError:
                raise ValueError(
                    f"invalid cadence {text!r}: UNTIL={value} is not YYYYMMDDTHHMMSSZ; use {ALLOWED_CADENCES}"
                ) from None
            value = until.astimezone(ZoneInfo(tz)).strftime("%Y%m%dT%H%M%S")
        parts.append(f"{name}={value}")
    if freq not in _RRULE_FREQS:
        raise ValueError(
            f"invalid cadence {text!r}: FREQ must be one of {', '.join(_RRULE_FREQS)} (got {freq or 'nothing'}); "
            f"use {ALLOWED_CADENCES}"
        )
    try:
        rule = rrulestr(";".join(parts), dtstart=first, cache=True)
    except (ValueError, TypeError) as error:
        raise ValueError(f"invalid cadence {text!r}: {error}; use {ALLOWED_CADENCES}") from None
    if not isinstance(rule, rrule):  # pragma: no cover - one line without ':' always gives an rrule
        raise ValueError(f"invalid cadence {text!r}: give a single RRULE")
    return rule


def _raw_instants(
    series: Series, calendar: BusinessCalendar, after: datetime, before: datetime
) -> list[datetime]:
    """Naive local recurrence instants in [after, before], before any holiday policy."""
    if isinstance(series, BusinessDayRule):
        return series.between(calendar, after, before)
    return series.between(after, before, inc=True)


def check_cadence(cadence: str, first: datetime, tz: str) -> None:
    """Raise ValueError (saying what is allowed) unless ``cadence`` is valid and occurs at least once.

    ``first`` is the series' first occurrence, naive local wall-clock time in ``tz``.
    """
    tzinfo = zone(tz)
    if not isinstance(cadence, str) or not cadence.strip():
        raise ValueError(f"the cadence is empty: use {ALLOWED_CADENCES}")
    naive = naive_local(first, tzinfo)
    series = parse_series(cadence, naive, tz)
    if isinstance(series, rrule):
        horizon = naive.replace(year=naive.year + _HORIZON_YEARS, day=min(naive.day, 28))
        # ``after`` stops at the first occurrence; a rule that never occurs is expanded up to
        # year 9999 by dateutil (well under a few seconds), so the check terminates.
        found = series.after(naive, inc=True)
        if found is None or found > horizon:
            raise ValueError(
                f"the cadence {cadence!r} never occurs from {naive:%Y-%m-%d %H:%M}"
                + ("" if found is None else f" within {_HORIZON_YEARS} years")
                + f": check its BY… parts and UNTIL/COUNT (e.g. there is no 30 February); use {ALLOWED_CADENCES}"
            )


def cadence_class(cadence: str) -> str:
    """One of weekly, monthly, quarterly, semiannual, annual: the rhythm the timeline defaults use.

    biweekly is weekly, monthly-business-day is monthly; an RRULE is classed by its period
    (FREQ × INTERVAL). Raises ValueError on an unknown cadence.
    """
    lowered = cadence.strip().lower()
    if lowered in ("weekly", "biweekly"):
        return "weekly"
    if lowered in ("monthly", "quarterly", "semiannual", "annual"):
        return lowered
    if lowered.startswith(BUSINESS_DAY_CADENCE):
        return "monthly"
    fields = dict(
        pair.partition("=")[::2] for pair in lowered.removeprefix("rrule:").split(";") if "=" in pair
    )
    freq = fields.get("freq", "").upper()
    if freq not in _RRULE_FREQS:
        raise ValueError(f"unknown cadence {cadence!r}: use {ALLOWED_CADENCES}")
    try:
        interval = max(1, int(fields.get("interval", "1")))
    except ValueError:
        raise ValueError(f"invalid cadence {cadence!r}: INTERVAL must be a whole number") from None
    days = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 30, "YEARLY": 365}[freq] * interval
    if days < 28:
        return "weekly"
    if days < 80:
        return "monthly"
    if days < 150:
        return "quarterly"
    if days < 300:
        return "semiannual"
    return "annual"


# ---------------------------------------------------------------------------------------------
# Occurrences


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


def apply_holiday_policy(day: date, policy: str, calendar: BusinessCalendar) -> date | None:
    """The date an occurrence falling on ``day`` is held on; None when the policy skips it."""
    if calendar.is_business_day(day) or policy == HolidayPolicy.keep:
        return day
    if policy == HolidayPolicy.skip:
        return None
    if policy == HolidayPolicy.previous_business_day:
        return calendar.on_or_before(day)
    if policy in (HolidayPolicy.next_business_day, "", None):
        return calendar.on_or_after(day)
    raise ValueError(f"unknown holiday policy {policy!r}: use {', '.join(p.value for p in HolidayPolicy)}")


def occurrences(
    committee: Committee,
    workspace: WorkspaceSettings,
    window_start: datetime,
    window_end: datetime,
    meetings: list[Meeting] | tuple[Meeting, ...] = (),
) -> list[Occurrence]:
    """Occurrences whose start falls in [window_start, window_end), sorted by start.

    ``meetings`` are the committee's stored rows; a row whose ``series_start`` matches a recurrence
    instant overrides it (moved: its own start/end; cancelled: kept with status cancelled; held: its
    own start/end). Rows still ``scheduled`` change nothing: the series decides. A moved row counts
    where it was moved to, so it can enter or leave the window.

    The holiday policy moves an occurrence off a non-business day keeping its time of day; its
    ``series_start`` stays the raw instant. ``window_start``/``window_end`` must be aware.

    After a change of schedule (``committee.schedule_from``), the series has no occurrence starting
    before the change: the meetings stored as starting before it are the occurrences there, as they
    took place, whatever the series says now (a new time does not rewrite last week's meeting).
    """
    tz = zone(committee.timezone)
    first = naive_local(committee.first, tz)
    series = parse_series(committee.cadence, first, committee.timezone)
    calendar = business_calendar(committee, workspace)
    policy = committee.holiday_policy or HolidayPolicy.next_business_day.value
    duration = timedelta(minutes=committee.duration)
    since = _as_utc(committee.schedule_from) if committee.schedule_from is not None else None
    history = [row for row in meetings if since is not None and _as_utc(row.start) < since]
    pinned = {_as_utc(row.series_start) for row in history}
    overrides = {
        _as_utc(row.series_start): row
        for row in meetings
        if row.status != MeetingStatus.scheduled.value and _as_utc(row.series_start) not in pinned
    }

    def in_window(start: datetime) -> bool:
        return window_start <= start < window_end

    def overridden(series_start: datetime, row: Meeting) -> Occurrence:
        return Occurrence(
            committee_key=committee.key,
            series_start=series_start,
            start=_as_utc(row.start).astimezone(tz),
            end=_as_utc(row.end).astimezone(tz),
            status=row.status,
        )

    found: list[Occurrence] = []
    seen: set[datetime] = set()
    after = window_start.astimezone(tz).replace(tzinfo=None) - _WIDEN
    before = window_end.astimezone(tz).replace(tzinfo=None) + _WIDEN
    raws = _raw_instants(series, calendar, after, before)
    # A holiday move never lands on another occurrence (a daily rule's Saturday moved onto its
    # Monday, two weekend days moved onto the same Monday): such a move is dropped.
    taken = set(raws)
    for raw in raws:
        series_start = localize(raw, tz).astimezone(UTC)
        if series_start in pinned:
            continue  # the stored meeting of before the change tells (below)
        row = overrides.get(series_start)
        if row is not None:
            seen.add(series_start)
            occurrence = overridden(series_start, row)
        else:
            day = apply_holiday_policy(raw.date(), policy, calendar)
            if day is None:
                continue
            if day != raw.date():
                moved = datetime.combine(day, raw.time())
                if moved in taken:
                    continue
                taken.add(moved)
            start = localize(datetime.combine(day, raw.time()), tz)
            # Absolute arithmetic: a meeting spanning a DST change still lasts ``duration``.
            end = (start.astimezone(UTC) + duration).astimezone(tz)
            occurrence = Occurrence(committee.key, series_start, start, end, MeetingStatus.scheduled.value)
        if since is not None and occurrence.start < since:
            continue  # before the change of schedule: the stored meetings tell
        if in_window(occurrence.start):
            found.append(occurrence)

    # Rows moved into the window from an instant far outside it (beyond the widening).
    for series_start, row in overrides.items():
        if series_start in seen or not in_window(_as_utc(row.start)):
            continue
        local = series_start.astimezone(tz).replace(tzinfo=None)
        nearby = _raw_instants(series, calendar, local - timedelta(days=1), local + timedelta(days=1))
        if any(localize(raw, tz).astimezone(UTC) == series_start for raw in nearby):
            found.append(overridden(series_start, row))

    found.extend(
        overridden(_as_utc(row.series_start), row) for row in history if in_window(_as_utc(row.start))
    )
    found.sort(key=lambda o: (o.start, o.series_start))
    return found
