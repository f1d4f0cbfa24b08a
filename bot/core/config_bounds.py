"""Bounds on what ``config import`` accepts beyond its shape (SPEC §9): cadences no denser than once a
day, a first occurrence within the planning range, ids and texts within the database's columns.

A cadence of one meeting a minute imported, then made ``plan`` and ``tick`` run for minutes on gigabytes;
``first: 9999-12-25T10:00`` overflowed the date arithmetic. Each check returns None when the value is
fine, else one phrase saying what is wrong and what is allowed (the validator adds the file and the
committee). The timeline overrides' limits live with their parsers in ``bot.core.rules``
(``bounds.TIMELINE_LIMITS``).
"""

from __future__ import annotations

from datetime import date, datetime

from bot.core import bounds

# INTERVAL per FREQ: at most one step every five years (the planning range), at least one.
MAX_INTERVAL = {"DAILY": 5 * 366, "WEEKLY": 5 * 53, "MONTHLY": 5 * 12, "YEARLY": 5}
# Parts that, given several values, put several meetings on one day.
INTRADAY_PARTS = ("BYHOUR", "BYMINUTE", "BYSECOND")
DENSE_FREQS = ("SECONDLY", "MINUTELY", "HOURLY")


def cadence_problem(cadence: str) -> str | None:
    """Why ``cadence`` is refused (too long, denser than once a day, an INTERVAL out of range), or
    None. Named cadences are always fine; the RRULE grammar itself is checked by ``bot.core.calendar``."""
    if len(cadence) > bounds.RRULE_MAX:
        return f"is {len(cadence)} characters long (allowed: at most {bounds.RRULE_MAX})"
    if "\x00" in cadence:
        return "holds a NUL character"
    lowered = cadence.strip().lower()
    if "freq=" not in lowered:
        return None
    parts: dict[str, str] = {}
    for pair in lowered.removeprefix("rrule:").upper().split(";"):
        name, _, value = pair.partition("=")
        parts[name.strip()] = value.strip()
    freq = parts.get("FREQ", "")
    if freq in DENSE_FREQS:
        return (
            f"repeats {freq.lower()} (allowed: at most one meeting a day: FREQ=DAILY, WEEKLY, MONTHLY or "
            "YEARLY, with one BYHOUR and one BYMINUTE at most)"
        )
    for name in INTRADAY_PARTS:
        values = [v for v in parts.get(name, "").split(",") if v]
        if len(values) > 1:
            return (
                f"has {len(values)} values in {name}, so several meetings a day "
                f"(allowed: at most one meeting a day, one {name} value)"
            )
    interval_text = parts.get("INTERVAL")
    if interval_text is not None and freq in MAX_INTERVAL:
        top = MAX_INTERVAL[freq]
        if not interval_text.isdigit() or not 1 <= int(interval_text) <= top:
            return f"has INTERVAL={interval_text} (allowed with FREQ={freq}: 1 to {top})"
    return None


def first_problem(first: datetime, today: date | None) -> str | None:
    """Why a committee's first occurrence is refused (before 2000, or more than five years after
    ``today``; None: the upper bound is not checked), or None."""
    latest = bounds.latest_date(today) if today is not None else None
    if first.date() < bounds.EARLIEST_FIRST:
        allowed = f"from {bounds.EARLIEST_FIRST.isoformat()}" + (
            f" to {latest.isoformat()}" if latest else ""
        )
        return (
            f"is before {bounds.EARLIEST_FIRST.isoformat()} (allowed: {allowed}; a series that started "
            "long ago can start at a recent occurrence)"
        )
    if latest is not None and first.date() > latest:
        return (
            f"is more than {bounds.PLANNING_YEARS_AHEAD} years ahead (allowed: up to {latest.isoformat()}, "
            "the planning range)"
        )
    return None


def text_problem(text: str, *, limit: int) -> str | None:
    """Why a free text (a committee name) is refused: a NUL character, or over ``limit`` characters."""
    if "\x00" in text:
        return "holds a NUL character (\\0), which cannot be stored"
    if len(text) > limit:
        return f"is {len(text)} characters long (allowed: at most {limit})"
    return None
