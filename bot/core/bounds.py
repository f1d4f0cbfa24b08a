"""Bounds on input (SPEC §9): what the bot accepts where input enters, whatever the entry (a slash
command, a modal, a YAML file, a CSV file).

Each limit is a named constant, documented in SECURITY.md ("Bounds on input"). The checks are pure
functions of the value (and of ``today`` for dates); they raise ``InvalidInput`` naming the field and
saying what is allowed, in the reader's language (the wording is in ``templates/<locale>/errors_bounds.yaml``).

Why these limits: the database's own column limits are the same on SQLite and PostgreSQL only if the
code enforces them (SQLite does not enforce ``VARCHAR(n)`` and stores a NUL; PostgreSQL refuses both);
the planner works five years ahead at most, so a date further out can never be planned.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from bot.text.errors import InvalidInput

# --- dates ------------------------------------------------------------------------------------

# Due dates, snoozes, away periods and meeting dates: at most this many years after today.
PLANNING_YEARS_AHEAD = 5
# A committee's first occurrence (YAML ``first:``) may not be before this day: the planner expands a
# series from its first occurrence, and a series from year 1 would cost minutes to expand.
EARLIEST_FIRST = date(2000, 1, 1)

# --- ids and texts ----------------------------------------------------------------------------

# Slack user and channel ids are short (U024BE7LH, C024BE91L; Enterprise Grid ids are 11 characters):
# 20 characters leaves room and stays within every ``VARCHAR(32)`` id column.
SLACK_ID_MAX = 20
USER_ID_PATTERN = rf"[UW][A-Z0-9]{{2,{SLACK_ID_MAX - 1}}}"
# The id inside a mention <@U…> (Slack's own, taken as they come, up to the same length).
MENTION_ID_PATTERN = rf"[UW][A-Z0-9]{{1,{SLACK_ID_MAX - 1}}}"
CHANNEL_ID_PATTERN = rf"[CGD][A-Z0-9]{{4,{SLACK_ID_MAX - 1}}}"
# ``committee.cadence`` is VARCHAR(500).
RRULE_MAX = 500
# ``action_item.title`` and ``agenda_item.title`` are VARCHAR(3000).
TITLE_MAX = 3000
# Other free text (notes, summary, decisions, a comment): Slack's longest plain-text input.
TEXT_MAX = 3000
# A link (a deck, minutes): what browsers and Slack take comfortably.
LINK_MAX = 2000
# A title may name a few people besides its owner; more, and every chase pings them all.
MAX_MENTIONS = 5
# Longest configuration file ``config import`` reads (a preset is about 3 KB).
CONFIG_MAX_BYTES = 1_000_000

NUL = "\x00"
# Explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they make a
# title read differently from what it holds ("txt.exe" shown as "exe.txt"). Stripped from titles.
BIDI_CONTROLS_RE = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Any user mention, well formed or not (<@U123>, <@U123|marie>).
ANY_MENTION_RE = re.compile(r"<@[^>\s]*>")


def latest_date(today: date) -> date:
    """The last day a date typed by a user may name: ``today`` plus five years (28 Feb for a 29 Feb)."""
    try:
        return today.replace(year=today.year + PLANNING_YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + PLANNING_YEARS_AHEAD, day=28)


def check_planning_date(day: date, today: date, *, field: str = "due", locale: str | None = None) -> date:
    """``day`` unless it lies more than five years after ``today`` (the planning range)."""
    latest = latest_date(today)
    if day > latest:
        raise InvalidInput(
            key="date_too_far",
            locale=locale,
            field=field,
            date=day.isoformat(),
            latest=latest.isoformat(),
            years=PLANNING_YEARS_AHEAD,
        )
    return day


def check_no_nul(text: str | None, *, field: str, locale: str | None = None) -> None:
    """Refuse a NUL character: PostgreSQL cannot store it in text, SQLite would keep it silently."""
    if text and NUL in text:
        raise InvalidInput(key="text_nul", locale=locale, field=field)


def strip_bidi(text: str) -> str:
    """``text`` without explicit bidirectional controls."""
    return BIDI_CONTROLS_RE.sub("", text)


def has_visible_text(text: str) -> bool:
    """Whether ``text`` holds at least one character that shows: not a space, not a format character
    (zero-width space, joiners, BOM, bidi marks), not a control, not an unassigned code point."""
    return any(
        not char.isspace() and unicodedata.category(char) not in ("Cf", "Cc", "Cn", "Co", "Cs", "Zs")
        for char in text
    )


def check_title(
    title: str, *, field: str = "title", locale: str | None = None, limit: int = TITLE_MAX
) -> str:
    """A title as stored: bidi controls stripped, whitespace collapsed; refused when it holds a NUL, no
    visible character, more than ``limit`` characters or more than ``MAX_MENTIONS`` user mentions.

    An empty title is returned as "" for the caller to refuse with its own wording."""
    check_no_nul(title, field=field, locale=locale)
    clean = " ".join(strip_bidi(title or "").split())
    if clean and not has_visible_text(clean):
        raise InvalidInput(key="title_invisible", locale=locale, field=field)
    if len(clean) > limit:
        raise InvalidInput(key="title_too_long", locale=locale, field=field, length=len(clean), limit=limit)
    mentions = len(ANY_MENTION_RE.findall(clean))
    if mentions > MAX_MENTIONS:
        raise InvalidInput(
            key="too_many_mentions", locale=locale, field=field, count=mentions, limit=MAX_MENTIONS
        )
    return clean


# --- timeline overrides (YAML ``timeline:``) ----------------------------------------------------

# The largest value of each override. The planner reads a meeting's occurrences 120 days ahead and 45
# days back of its window (``planning.MEETING_LOOKAHEAD``/``LOOKBEHIND``): pre-meeting delays stay
# well within 120 days (60 business days is about 12 weeks), post-meeting ones within 45 (minutes due
# 10 business days after, then at most 10 overdue chases). ``business_days: 100000000`` overflowed
# the date arithmetic; ``minutes_overdue.max: 10**9`` planned for minutes.
TIMELINE_LIMITS: dict[tuple[str, str], int] = {
    ("agenda_request", "business_days"): 60,
    ("deck_due", "business_days"): 20,
    ("deck_reminder", "business_days"): 20,
    ("meeting_reminder", "minutes"): 7 * 24 * 60,
    ("minutes_due", "business_days"): 10,
    ("minutes_reminder", "business_days"): 10,
    ("minutes_overdue", "max"): 10,
    ("save_the_date", "days"): 100,
    ("action_chase", "due_soon_business_days"): 20,
    ("action_chase", "overdue_every_business_days"): 20,
    ("action_chase", "escalate_on_chase"): 10,
}
