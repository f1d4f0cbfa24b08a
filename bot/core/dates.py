"""Dates as users write them (SPEC §7): the French and English vocabulary, the patterns that find a
date in a command, and turning one into a calendar day in the user's zone."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser

from bot.core import bounds
from bot.text.errors import InvalidInput

WEEKDAYS = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}


MONTHS = {
    "janvier": 1,
    "janv": 1,
    "january": 1,
    "jan": 1,
    "février": 2,
    "fevrier": 2,
    "févr": 2,
    "fevr": 2,
    "fév": 2,
    "fev": 2,
    "february": 2,
    "feb": 2,
    "mars": 3,
    "march": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "april": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "juin": 6,
    "june": 6,
    "jun": 6,
    "juillet": 7,
    "juil": 7,
    "july": 7,
    "jul": 7,
    "août": 8,
    "aout": 8,
    "august": 8,
    "aug": 8,
    "septembre": 9,
    "sept": 9,
    "september": 9,
    "sep": 9,
    "octobre": 10,
    "october": 10,
    "oct": 10,
    "novembre": 11,
    "november": 11,
    "nov": 11,
    "décembre": 12,
    "decembre": 12,
    "déc": 12,
    "dec": 12,
    "december": 12,
}


def _alternation(words: Iterable[str]) -> str:
    # Longest first: a regex alternation takes the first alternative that matches.
    return "|".join(sorted((re.escape(word) for word in words), key=len, reverse=True))


_AP = "['’]"


_WD = _alternation(WEEKDAYS)


_MO = _alternation(MONTHS)


_COUNT = r"\d{1,3}|une?|an?|one|deux|two|trois|three|quatre|four|cinq|five|six|sept|seven|huit|eight|neuf|nine|dix|ten|quinze"


_UNIT = r"jours?|semaines?|mois|days?|weeks?|months?"


# Every date expression we recognise; the named group that matched tells how to resolve it.
DATE_EXPR = "|".join(
    [
        r"(?P<iso>\d{4}-\d{1,2}-\d{1,2})",
        r"(?P<num>\d{1,2}/\d{1,2}(?:/\d{2}(?:\d{2})?)?)",
        r"(?P<eom>fin\s+(?:du|de\s+ce|de)\s+mois(?P<eom_fr_next>\s+prochain)?"
        r"|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<eom_en_next>next\s+)?month)",
        r"(?P<eow>fin\s+(?:de\s+(?:la\s+|cette\s+)?)?semaine(?P<eow_fr_next>\s+prochaine)?"
        r"|(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?(?P<eow_en_next>next\s+)?week)",
        rf"(?:fin\s+(?:d{_AP}|de\s+)?|(?:the\s+)?end\s+of\s+)(?P<eo_month>{_MO})",
        rf"(?:le\s+|the\s+)?(?P<dm_day>\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?:of\s+)?(?P<dm_month>{_MO})\.?(?:\s+(?P<dm_year>\d{{4}}))?",
        rf"(?P<md_month>{_MO})\.?\s+(?P<md_day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<md_year>\d{{4}}))?",
        rf"(?:(?:this|next|ce)\s+)?(?P<weekday>{_WD})(?:\s+(?:prochain|qui\s+vient))?",
        rf"(?P<today>aujourd{_AP}hui|today|ce\s+soir|tonight)",
        r"(?P<after_tomorrow>apr[eè]s[-\s]demain|(?:the\s+)?day\s+after\s+tomorrow)",
        r"(?P<tomorrow>demain|tomorrow)",
        r"(?P<relative>(?:la\s+)?semaine\s+prochaine|next\s+week|(?:le\s+)?mois\s+prochain|next\s+month"
        rf"|(?:dans|in)\s+(?:(?:{_COUNT})\s+(?:{_UNIT})|a\s+fortnight))",
    ]
)


_END = r"(?![\w/])"


_START = r"(?<![\w/])"


# Words that introduce a due date. "avant vendredi" is read as "by friday", as people mean it.
INTRO = (
    rf"by|before|until|till|due|d{_AP}ici(?:\s+(?:à|a|au|le))?|avant(?:\s+le)?|pour(?:\s+le)?"
    rf"|au\s+plus\s+tard(?:\s+le)?|jusqu{_AP}(?:à|a|au)(?:\s+le)?|[ée]ch[ée]ance|deadline"
)


COLON_INTRO_RE = re.compile(rf"{_START}(?:due|[ée]ch[ée]ance|deadline)\s*:\s*", re.I)


DATE_RE = re.compile(rf"(?P<date>{DATE_EXPR}){_END}", re.I)


INTRODUCED_RE = re.compile(rf"{_START}(?:{INTRO})\s+(?P<date>{DATE_EXPR}){_END}", re.I)


TRAILING_RE = re.compile(rf"{_START}(?P<date>{DATE_EXPR}){_END}[\s.!]*$", re.I)


LEADING_RE = re.compile(rf"^\s*(?P<date>{DATE_EXPR}){_END}\s*[:,–—-]\s*", re.I)


# Last resort: the last few words after an introducer, given to dateparser as they are.
TRAILING_PHRASE_RE = re.compile(rf"{_START}(?:{INTRO})\s+(?P<phrase>(?:\S+\s+){{0,3}}\S+?)[\s.!]*$", re.I)


UNTIL_PREFIX_RE = re.compile(rf"^(?:until|till|jusqu{_AP}(?:à|a|au)(?:\s+le)?|au|le|on|{INTRO})\s+", re.I)


DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "future", "REQUIRE_PARTS": ["day", "month"]}


DATEPARSER_LANGUAGES = ["fr", "en"]


def parse_date(text: str, *, now: datetime, tz: str, locale: str = "fr") -> date:
    """A date typed by a user (snooze, away, modal): same forms as a due date, today or later.

    An optional leading "until"/"jusqu'au"/"by"… is ignored. Raises InvalidInput saying how to
    write it.
    """
    local_now = localized_now(now, tz)
    phrase = " ".join(text.split())
    phrase = UNTIL_PREFIX_RE.sub("", phrase, count=1).strip(" .!")
    match = DATE_RE.fullmatch(phrase) if phrase else None
    if match:
        day = resolve_date(match, local_now, locale)
    else:
        day = _dateparser(phrase, local_now) if phrase and len(phrase.split()) <= 6 else None
    if day is None:
        raise InvalidInput(key="invalid_date", locale=locale, field="due", text=text.strip())
    check_not_past(day, local_now.date(), locale=locale)
    bounds.check_planning_date(day, local_now.date(), locale=locale)
    return day


def check_not_past(day: date, today: date, *, locale: str = "fr", field: str = "due") -> None:
    if day < today:
        raise InvalidInput(
            key="date_in_past", locale=locale, field=field, date=day.isoformat(), today=today.isoformat()
        )


def localized_now(now: datetime, tz: str) -> datetime:
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    return now.astimezone(ZoneInfo(tz))


def resolve_date(
    match: re.Match[str], local_now: datetime, locale: str, *, strict: bool = True
) -> date | None:
    """The date a DATE_EXPR match means.

    A date written out in numbers or words that does not exist (31/02, 2027-04-31) is refused with
    the reason, wherever it stands: it is plainly meant as a date, and left in the title it would
    hide a due date the user thinks they gave. A day and month without a year that passed lately
    (``15/11`` on 3 December) is refused as past, never moved silently to next year. Other phrases
    that cannot be read are refused only when ``strict`` (a date is expected there)."""
    phrase = " ".join(match.group("date").split())
    try:
        return _resolve_groups(match.groupdict(), match.group("date"), local_now)
    except _PastDayMonth as past:
        raise InvalidInput(
            key="date_in_past_no_year",
            locale=locale,
            field="due",
            text=phrase,
            date=past.day.isoformat(),
            today=local_now.date().isoformat(),
            next=past.next_text,
        ) from None
    except _ImpossibleDate as impossible:
        raise InvalidInput(
            key="impossible_date" if impossible.month != 2 else "impossible_date_february",
            locale=locale,
            field="due",
            text=phrase,
            days=impossible.days,
        ) from None
    except ValueError:
        if not strict:
            return None
        raise InvalidInput(key="invalid_date", locale=locale, field="due", text=phrase) from None


class _ImpossibleDate(ValueError):
    """A day that no month of that name has (31/04, 30/02): says how many days the month has."""

    def __init__(self, day: int, month: int) -> None:
        super().__init__(f"no day {day} in month {month}")
        self.month = month
        self.days = calendar.monthrange(2001, month)[1] if 1 <= month <= 12 else 0


class _PastDayMonth(ValueError):
    """A day and month without a year whose latest occurrence passed lately."""

    def __init__(self, day: date, next_text: str) -> None:
        super().__init__(f"{day} is past")
        self.day = day
        self.next_text = next_text


def _exact(year: int, month: int, day: int) -> date:
    """``date(year, month, day)``, with a reason when the day does not exist."""
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month}")
    try:
        return date(year, month, day)
    except ValueError:
        if day >= 1 and not (month == 2 and day == 29):
            raise _ImpossibleDate(day, month) from None
        raise


def _resolve_groups(groups: dict[str, str | None], phrase: str, local_now: datetime) -> date:
    today = local_now.date()
    if groups["iso"]:
        year, month, day = (int(part) for part in groups["iso"].split("-"))
        return _exact(year, month, day)
    if groups["num"]:
        parts = [int(part) for part in groups["num"].split("/")]
        if len(parts) == 3:
            year = parts[2] + 2000 if parts[2] < 100 else parts[2]
            return _exact(year, parts[1], parts[0])
        return coming_day_month(parts[0], parts[1], today, written=groups["num"])
    if groups["eom"]:
        first = today.replace(day=1)
        if groups["eom_fr_next"] or groups["eom_en_next"]:
            first = (first + timedelta(days=32)).replace(day=1)
        return _month_end(first.year, first.month)
    if groups["eow"]:
        friday = today + timedelta(days=(4 - today.weekday()) % 7)
        return friday + timedelta(days=7) if groups["eow_fr_next"] or groups["eow_en_next"] else friday
    if groups["eo_month"]:
        month = MONTHS[groups["eo_month"].lower()]
        end = _month_end(today.year, month)
        if end < today:
            if (today - end).days <= RECENT_PAST_DAYS:
                raise _PastDayMonth(end, _month_end(today.year + 1, month).isoformat())
            end = _month_end(today.year + 1, month)
        return end
    if groups["dm_day"] or groups["md_day"]:
        day_of_month = int(groups["dm_day"] or groups["md_day"] or 0)
        month = MONTHS[(groups["dm_month"] or groups["md_month"] or "").lower()]
        year_text = groups["dm_year"] or groups["md_year"]
        if year_text:
            return _exact(int(year_text), month, day_of_month)
        return coming_day_month(day_of_month, month, today, written=" ".join(phrase.split()))
    if groups["weekday"]:
        # The coming one, never today: "by friday" said on a Friday means next week's.
        target = WEEKDAYS[groups["weekday"].lower()]
        return today + timedelta(days=(target - today.weekday() - 1) % 7 + 1)
    if groups["today"]:
        return today
    if groups["after_tomorrow"]:
        return today + timedelta(days=2)
    if groups["tomorrow"]:
        return today + timedelta(days=1)
    # "dans 3 jours", "in 2 weeks", "next week", "le mois prochain": dateparser's arithmetic.
    relative = " ".join(phrase.split()).replace("’", "'")
    # Forms dateparser does not know: "semaine prochaine" without its article, "quinze jours".
    if re.fullmatch(r"semaine\s+prochaine", relative, re.I):
        relative = "la " + relative
    relative = re.sub(r"\bquinze\b", "15", relative, flags=re.I)
    found = _dateparser(relative, local_now)
    if found is None:
        raise ValueError(f"dateparser cannot read {phrase!r}")
    return found


# A day and month typed without a year that fell this many days ago or less is taken as a mistake
# about the past (refused, saying so), not as next year's: "15/11" typed on 3 December.
RECENT_PAST_DAYS = 92


def coming_day_month(day: int, month: int, today: date, *, written: str = "") -> date:
    """``day``/``month`` without a year: today or the next one, unless the latest one passed less
    than ``RECENT_PAST_DAYS`` ago (then ``_PastDayMonth``: the user is asked to write the year).
    29/02 waits for a leap year."""
    if not 1 <= month <= 12:
        raise ValueError(f"no month {month}")
    if day > calendar.monthrange(2000, month)[1] or day < 1:
        raise _ImpossibleDate(day, month)  # a day that never exists (31/04, 30/02)
    upcoming = next_day_month(day, month, today)
    try:
        latest = date(today.year, month, day)
        if latest > today:
            latest = date(today.year - 1, month, day)
    except ValueError:
        latest = None  # 29/02 outside a leap year
    if latest is not None and latest < today and (today - latest).days <= RECENT_PAST_DAYS:
        raise _PastDayMonth(
            latest, phrase_with_year(written, upcoming.year) if written else upcoming.isoformat()
        )
    return upcoming


def phrase_with_year(written: str, year: int) -> str:
    """What the user wrote, with a year: ``15/11`` -> ``15/11/2027``, ``fin novembre`` -> ``fin novembre 2027``."""
    written = " ".join(written.split())
    if re.fullmatch(r"\d{1,2}/\d{1,2}", written):
        return f"{written}/{year}"
    return f"{written} {year}"


def next_day_month(day: int, month: int, today: date) -> date:
    """The first ``day``/``month`` on or after ``today`` (29/02 waits for a leap year)."""
    date(2000, month, day)  # ValueError for a day that never exists (31/04, 32/13)
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise ValueError(f"no {day}/{month} ahead")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _dateparser(phrase: str, local_now: datetime) -> date | None:
    """dateparser, relative to the user's local now; None unless it finds at least a day and month."""
    settings = dict(DATEPARSER_SETTINGS, RELATIVE_BASE=local_now.replace(tzinfo=None))
    try:
        result = dateparser.parse(phrase, languages=DATEPARSER_LANGUAGES, settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None
    return result.date() if result else None
