"""The ``/action`` command grammar (SPEC §7): subcommands, action ids, and the free text of
``/action add`` (owner, due date, priority, title).

Pure functions: the instant (``now``, aware) and the user's time zone are arguments. Dates are read
only where a date is expected: a ``due:`` field, a phrase introduced by by/due/d'ici/avant/pour/
before/until…, or a known date expression at the end of the text (or at its start, followed by ``:``
or ``,``). The ``dateparser`` package does the arithmetic of relative phrases ("dans 3 jours",
"in 2 weeks"); the phrases whose meaning we fix ourselves (weekdays, "fin du mois", ``19/03``) are
resolved here, so that a title such as "Préparer la réunion de lundi" keeps its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core import bounds
from bot.core.dates import (
    COLON_INTRO_RE,
    DATE_RE,
    INTRODUCED_RE,
    LEADING_RE,
    TRAILING_PHRASE_RE,
    TRAILING_RE,
    _dateparser,
    check_not_past,
    localized_now,
    resolve_date,
)
from bot.text.errors import InvalidInput

TITLE_MAX = bounds.TITLE_MAX

# --- Slack tokens -----------------------------------------------------------------------------

USER_ID_RE = re.compile(rf"^{bounds.USER_ID_PATTERN}$")
# Slack sends user mentions escaped: <@U123> or <@U123|marie>. Ids longer than Slack's are not ids.
MENTION_RE = re.compile(rf"<@({bounds.MENTION_ID_PATTERN})(?:\|[^>]*)?>")
# A mention whose id is longer than Slack's (``bounds.SLACK_ID_MAX``).
LONG_MENTION_RE = re.compile(rf"<@[UW][A-Z0-9]{{{bounds.SLACK_ID_MAX},}}")
# Broadcasts: Slack's escaped forms (<!here>, <!channel|channel>) and the plain words.
BROADCAST_RE = re.compile(
    r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|(?<![\w@])@(?:channel|here|everyone)\b", re.I
)

PRIORITY_WORDS = {
    "high": "high",
    "medium": "medium",
    "low": "low",
    "haute": "high",
    "moyenne": "medium",
    "basse": "low",
}
PRIORITY_RE = re.compile(r"(?<!\S)!(" + "|".join(PRIORITY_WORDS) + r")(?!\S)", re.I)
# Any other "!word" standing alone is a priority typed wrong ("!urgent", "!hight"): refused rather
# than left in the title with the item silently at medium priority.
PRIORITY_LIKE_RE = re.compile(r"(?<!\S)!([^\W\d_]+)(?!\S)")

# --- date vocabulary --------------------------------------------------------------------------


# A bare date at the end is a due date unless these words tie it to the title ("la réunion de lundi").
TITLE_WORDS_BEFORE_DATE = {
    "de",
    "du",
    "des",
    "of",
    "for",
    "from",
    "since",
    "depuis",
    "after",
    "après",
    "the",
    "le",
    "la",
    "les",
    "on",
}


# --- results ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionDraft:
    """What ``/action add`` said; ``missing`` lists what the modal must ask (owner, due, title)."""

    title: str
    owner: str | None
    due: date | None
    priority: str = "medium"
    missing: list[str] = field(default_factory=list)


# --- public functions -------------------------------------------------------------------------


def parse_add(text: str, *, now: datetime, tz: str, locale: str = "fr") -> ActionDraft:
    """Read ``/action add <text>``: owner mention, due date, ``!priority``; the rest is the title.

    Raises InvalidInput (no modal should open) for a past due date, an explicit date that is not
    one, a title over 3000 characters, or an @channel/@here/@everyone mention.
    """
    local_now = localized_now(now, tz)
    bounds.check_no_nul(text, field="title", locale=locale)
    check_no_broadcast(text, locale=locale)
    too_long = LONG_MENTION_RE.search(text)
    if too_long:  # longer than any Slack id: not a person, and no column would hold it
        raise InvalidInput(
            key="invalid_owner", locale=locale, field="owner", value=too_long.group(0)[2:22] + "…"
        )
    owner, rest = _extract_owner(text)
    priority, rest = _extract_priority(rest, locale)
    due, rest = _extract_due(rest, local_now, locale)
    title = bounds.check_title(clean_title(rest), locale=locale)
    if due is not None:
        check_not_past(due, local_now.date(), locale=locale)
        bounds.check_planning_date(due, local_now.date(), locale=locale)
    missing = [name for name, value in (("owner", owner), ("due", due), ("title", title)) if not value]
    return ActionDraft(title=title, owner=owner, due=due, priority=priority or "medium", missing=missing)


def parse_user(text: str, *, locale: str = "fr", field: str = "owner") -> str:
    """A Slack user id from ``<@U123>``, ``<@U123|marie>`` or ``U123``."""
    value = text.strip()
    match = MENTION_RE.fullmatch(value)
    if match:
        return match.group(1)
    if USER_ID_RE.fullmatch(value):
        return value
    raise InvalidInput(key="invalid_owner", locale=locale, field=field, value=value)


def check_no_broadcast(text: str, *, locale: str = "fr", field: str = "title") -> None:
    """Refuse @channel, @here and @everyone (escaped or typed): every chase would ping everyone."""
    if BROADCAST_RE.search(text):
        raise InvalidInput(key="broadcast_mention", locale=locale, field=field)


def check_title_length(title: str, *, locale: str = "fr") -> None:
    if len(title) > TITLE_MAX:
        raise InvalidInput(
            key="title_too_long", locale=locale, field="title", length=len(title), limit=TITLE_MAX
        )


LABELLED_MENTION_RE = re.compile(r"<@[UW][A-Z0-9]+\|([^>]+)>")
SLACK_CHANNEL_RE = re.compile(r"<#[CG][A-Z0-9]+\|([^>]*)>")
SLACK_LINK_RE = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


def plain_text(text: str) -> str:
    """Slack's escaped message or command text as the user typed it, to pre-fill a plain text input:
    ``&amp;`` ``&lt;`` ``&gt;`` undone, ``<@U1|marie>`` as ``@marie``, ``<#C1|prod>`` as ``#prod``, a
    link as its address (or "label (address)"). A bare ``<@U1>`` stays: the bot reads it back as a mention."""
    text = LABELLED_MENTION_RE.sub(lambda m: f"@{m.group(1)}", text)
    text = SLACK_CHANNEL_RE.sub(lambda m: f"#{m.group(1)}", text)
    text = SLACK_LINK_RE.sub(
        lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) and m.group(2) != m.group(1) else m.group(1),
        text,
    )
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def clean_title(text: str) -> str:
    """Collapse whitespace, drop the punctuation left around removed parts, undo Slack's escaping."""
    # Other mentions stay in the title, in their plain form (<@U123>, without the |name label).
    text = MENTION_RE.sub(lambda m: f"<@{m.group(1)}>", text)
    # Slack escapes &, < and > in command text; store what the user typed (rendering re-escapes).
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split()).strip(" ,;:–—-")


# --- add: the parts ---------------------------------------------------------------------------


def _cut(text: str, start: int, end: int) -> str:
    return f"{text[:start]} {text[end:]}"


def _extract_owner(text: str) -> tuple[str | None, str]:
    """The first user mention is the owner; later ones stay in the title."""
    match = MENTION_RE.search(text)
    if not match:
        return None, text
    return match.group(1), _cut(text, match.start(), match.end())


def _extract_priority(text: str, locale: str) -> tuple[str | None, str]:
    found = {PRIORITY_WORDS[m.group(1).lower()] for m in PRIORITY_RE.finditer(text)}
    if len(found) > 1:
        raise InvalidInput(key="two_priorities", locale=locale, field="priority")
    rest = PRIORITY_RE.sub(" ", text)
    unknown = PRIORITY_LIKE_RE.search(rest)
    if unknown:
        raise InvalidInput(key="unknown_priority", locale=locale, field="priority", value=unknown.group(0))
    return (found.pop() if found else None), rest


def _extract_due(text: str, local_now: datetime, locale: str) -> tuple[date | None, str]:
    """Find the due date where one is expected, resolve it, and cut it out of the text."""
    # 1. "due:2027-03-19": whatever follows must be a date.
    colon = COLON_INTRO_RE.search(text)
    if colon:
        match = DATE_RE.match(text, colon.end())
        if not match:
            token = (text[colon.end() :].split() or [""])[0]
            raise InvalidInput(key="invalid_date", locale=locale, field="due", text=token)
        return resolve_date(match, local_now, locale), _cut(text, colon.start(), match.end())
    # 2. "… d'ici vendredi …": an introducer then a known expression, anywhere; the last one wins.
    introduced = list(INTRODUCED_RE.finditer(text))
    if introduced:
        match = introduced[-1]
        return resolve_date(match, local_now, locale), _cut(text, match.start(), match.end())
    # 3. "… by the 20th": the last few words after an introducer, if dateparser reads a day in them.
    trailing_phrase = TRAILING_PHRASE_RE.search(text)
    if trailing_phrase:
        day = _dateparser(trailing_phrase.group("phrase"), local_now)
        if day is not None:
            return day, text[: trailing_phrase.start()]
    # 4. "Relancer Paul demain": a known expression ending the text, not tied to a title word.
    trailing = TRAILING_RE.search(text)
    if trailing and _previous_word(text, trailing.start()).lower() not in TITLE_WORDS_BEFORE_DATE:
        day = resolve_date(trailing, local_now, locale, strict=False)
        if day is not None:
            return day, text[: trailing.start()]
    # 5. "Demain : appeler Paul".
    leading = LEADING_RE.match(text)
    if leading:
        day = resolve_date(leading, local_now, locale, strict=False)
        if day is not None:
            return day, text[leading.end() :]
    return None, text


def _previous_word(text: str, position: int) -> str:
    words = re.findall(r"[\w'’]+", text[:position])
    return words[-1] if words else ""


# --- resolving one expression -----------------------------------------------------------------
