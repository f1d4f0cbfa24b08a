"""Checks on what users type into the meeting forms and commands.

Each check returns the clean value or raises ``InvalidInput`` naming its field (the block a modal
shows the message under) and saying how to write it. ``collect`` runs several so that a form reports
every bad field at once.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any

from sqlalchemy.orm import object_session

from bot.core import bounds
from bot.core.action_lines import line_error, read_action_lines
from bot.core.calendar import localize, zone
from bot.core.dates import parse_date
from bot.core.parsing import BROADCAST_RE, MENTION_RE, USER_ID_RE, ActionDraft
from bot.text.errors import InvalidInput
from storage.models import Committee, SlackUser

TITLE_MAX = bounds.TITLE_MAX
TEXT_MAX = bounds.TEXT_MAX
LINK_MAX = bounds.LINK_MAX
DURATION_MAX = 240

LINK_RE = re.compile(r"^https?://\S+$", re.I)
# 14:00, 14h, 14h30, 9:30, 2pm, 2:30 pm (optionally after "à"/"at").
TIME_RE = re.compile(
    r"(?<!\S)(?:(?:à|a|at)\s+)?(?P<h>\d{1,2})(?:\s*(?P<ampm>am|pm)|[:h](?P<m>\d{2})?(?:\s*(?P<ampm2>am|pm))?)(?!\S)",
    re.I,
)


def collect(problems: list[InvalidInput], check: Any, *args: Any) -> Any:
    """Run one field check; keep its error so that every bad field is reported at once."""
    try:
        return check(*args)
    except InvalidInput as error:
        problems.append(error)
        return None


def check_length(text: str, limit: int, locale: str, field_name: str) -> None:
    if len(text) > limit:
        raise InvalidInput(
            key="text_too_long", locale=locale, field=field_name, length=len(text), limit=limit
        )


def check_title(title: str | None, locale: str) -> str:
    clean = bounds.check_title(title or "", locale=locale, limit=TITLE_MAX)
    if not clean:
        raise InvalidInput(key="topic_title_empty", locale=locale, field="title")
    check_length(clean, TITLE_MAX, locale, "title")
    if BROADCAST_RE.search(clean):
        raise InvalidInput(key="broadcast_in_text", locale=locale, field="title")
    return clean


def check_text(text: str | None, locale: str, field_name: str) -> str | None:
    bounds.check_no_nul(text, field=field_name, locale=locale)
    clean = (text or "").strip()
    if not clean:
        return None
    check_length(clean, TEXT_MAX, locale, field_name)
    if BROADCAST_RE.search(clean):
        raise InvalidInput(key="broadcast_in_text", locale=locale, field=field_name)
    return clean


def check_duration(value: int | str | None, locale: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip().lower().removesuffix("min").removesuffix("mn").strip()
    if isinstance(value, bool) or not text.isdigit() or not 1 <= int(text) <= DURATION_MAX:
        raise InvalidInput(key="invalid_duration", locale=locale, field="duration", value=str(value).strip())
    return int(text)


def check_link(value: str | None, locale: str, field_name: str) -> str | None:
    clean = (value or "").strip().removeprefix("<").removesuffix(">").split("|")[0]
    if not clean:
        return None
    bounds.check_no_nul(clean, field=field_name, locale=locale)
    if not LINK_RE.match(clean) or len(clean) > LINK_MAX:
        raise InvalidInput(key="invalid_link", locale=locale, field=field_name, value=clean[:100])
    return clean


def user_id(value: str) -> str | None:
    value = value.strip()
    match = MENTION_RE.fullmatch(value)
    if match:
        return match.group(1)
    return value if USER_ID_RE.fullmatch(value) else None


def check_user(value: str | None, locale: str, field_name: str) -> str | None:
    if not value or not value.strip():
        return None
    found = user_id(value)
    if found is None:
        raise InvalidInput(key="invalid_user", locale=locale, field=field_name, value=value.strip())
    return found


def check_users(values: list[str], locale: str, field_name: str) -> list[str]:
    found: list[str] = []
    for value in values:
        found_id = check_user(value, locale, field_name)
        if found_id and found_id not in found:
            found.append(found_id)
    return found


def check_summary(summary: str | None, locale: str) -> str:
    bounds.check_no_nul(summary, field="summary", locale=locale)
    clean = (summary or "").strip()
    if not clean:
        raise InvalidInput(key="minutes_summary_empty", locale=locale, field="summary")
    check_length(clean, TEXT_MAX, locale, "summary")
    if BROADCAST_RE.search(clean):
        raise InvalidInput(key="broadcast_in_text", locale=locale, field="summary")
    return clean


def check_decisions(decisions: list[str], locale: str) -> list[str]:
    clean = [" ".join(d.split()).lstrip("•-* ").strip() for d in decisions]
    clean = [d for d in clean if d]
    for text in clean:
        bounds.check_no_nul(text, field="decisions", locale=locale)
        check_length(text, TEXT_MAX, locale, "decisions")
        if BROADCAST_RE.search(text):
            raise InvalidInput(key="broadcast_in_text", locale=locale, field="decisions")
    return clean


def parse_action_lines(
    lines: list[str], committee: Committee, now: datetime
) -> list[tuple[int, ActionDraft]]:
    """Each non-blank line as (line number, ``ActionDraft``); every bad line is reported at once, in
    line order (``bot.core.action_lines``). Dates in the committee's zone; a deactivated owner is refused
    here already when the committee is bound to a session."""
    session = object_session(committee)

    def deactivated(user_id: str) -> bool:
        user = session.get(SlackUser, user_id) if session is not None else None
        return bool(user is not None and user.deleted)

    found = read_action_lines(
        lines, tz=committee.timezone, locale=committee.locale, now=now, deactivated=deactivated
    )
    found.raise_errors()
    return found.items


def action_line_error(number: int, error: InvalidInput, locale: str) -> InvalidInput:
    """``error`` about one action line, restated as "Line n: … Write one action per line: …"."""
    return line_error(number, error, locale)


def parse_meeting_time(
    text: str, *, now: datetime, tz: str, default_time: time, locale: str = "fr"
) -> datetime:
    """``2027-03-19 14:00``, ``vendredi 9h30``, ``19/03 2pm`` or a date alone (keeps ``default_time``)
    -> an aware datetime in ``tz``. Raises InvalidInput saying how to write it."""
    words = " ".join((text or "").split())
    match = TIME_RE.search(words)
    clock = default_time
    if match:
        hours, minutes = int(match.group("h")), int(match.group("m") or 0)
        meridiem = (match.group("ampm") or match.group("ampm2") or "").lower()
        if meridiem == "pm" and hours < 12:
            hours += 12
        elif meridiem == "am" and hours == 12:
            hours = 0
        if hours > 23 or minutes > 59:
            raise InvalidInput(key="invalid_meeting_time", locale=locale, field="when", text=text.strip())
        clock = time(hours, minutes)
        words = (words[: match.start()] + words[match.end() :]).strip(" ,à@")
    if not words:
        raise InvalidInput(key="invalid_meeting_time", locale=locale, field="when", text=text.strip())
    try:
        day = parse_date(words, now=now, tz=tz, locale=locale)
    except InvalidInput as error:
        if error.key == "invalid_date":
            raise InvalidInput(
                key="invalid_meeting_time", locale=locale, field="when", text=text.strip()
            ) from None
        raise InvalidInput(
            error.message, key=error.key, locale=locale, field="when", **error.params
        ) from None
    return localize(datetime.combine(day, clock), zone(tz))
