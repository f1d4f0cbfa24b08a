"""Block Kit, rendered as plain text for a terminal: what a Slack user would read, line by line.

Used by ``committee-bot demo`` to print every message the bot would post. Two layers:

- ``render_mrkdwn`` and ``render_blocks`` turn Slack's markup into text: sections, fields, headers,
  context lines, dividers, buttons as ``[ Done ]``; mentions ``<@U…>`` become ``@name``, channels
  ``<#C…>`` become ``#name``, links ``<url|label>`` become ``label (url)``, and Slack date tokens
  ``<!date^EPOCH^FORMAT|fallback>`` become the date as a reader in ``Names.timezone`` sees it (or the
  fallback, with ``dates="fallback"``); ``&amp; &lt; &gt;`` are unescaped.
- ``Transcript`` lays messages out by day and time, ~100 columns wide, with participants' actions on
  lines of their own so they read apart from the bot's messages.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

WIDTH = 100
INDENT = 7  # "09:00  " — the time column

Block = Mapping[str, Any]

# Short day and month names, so the output does not depend on the machine's C locale.
_DAYS = {
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
_DAYS_LONG = {
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
_MONTHS_LONG = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}

# The few emoji shortcodes worth a character in a terminal; others stay as written.
EMOJI = {
    "white_check_mark": "✅",
    "heavy_check_mark": "✔",
    "warning": "⚠",
    "calendar": "📅",
    "date": "📅",
    "spiral_calendar_pad": "🗓",
    "memo": "📝",
    "page_facing_up": "📄",
    "clipboard": "📋",
    "bell": "🔔",
    "alarm_clock": "⏰",
    "hourglass_flowing_sand": "⏳",
    "hourglass": "⌛",
    "rotating_light": "🚨",
    "red_circle": "🔴",
    "large_orange_circle": "🟠",
    "large_green_circle": "🟢",
    "pushpin": "📌",
    "bar_chart": "📊",
    "chart_with_upwards_trend": "📈",
    "zzz": "💤",
    "x": "❌",
    "no_entry": "⛔",
    "arrow_right": "→",
    "point_right": "👉",
    "busts_in_silhouette": "👥",
    "link": "🔗",
    "mega": "📣",
    "sleeping": "😴",
    "tada": "🎉",
    "wave": "👋",
    "information_source": "ℹ",
    "inbox_tray": "📥",
    "newspaper": "📰",
    "sunny": "☀",
    "heartbeat": "💓",
    "arrows_counterclockwise": "🔄",
    "pencil2": "✏",
    "palm_tree": "🌴",
    "leftwards_arrow_with_hook": "↩",
    "bust_in_silhouette": "👤",
}


@dataclass(frozen=True)
class Names:
    """How ids read: user and channel names, and the zone and language dates are shown in."""

    users: Mapping[str, str] = field(default_factory=dict)  # U… -> "marie"
    channels: Mapping[str, str] = field(default_factory=dict)  # C… -> "comite-production"
    timezone: str = "UTC"
    locale: str = "en"
    dates: str = "local"  # "local": as a reader in ``timezone`` sees them; "fallback": the token's fallback

    def user(self, user_id: str, label: str | None = None) -> str:
        return "@" + (self.users.get(user_id) or label or user_id)

    def channel(self, channel_id: str, label: str | None = None) -> str:
        return "#" + (self.channels.get(channel_id) or label or channel_id)

    def recipient(self, to: str) -> str:
        """``#channel`` or ``@user`` for a channel id, user id or ``D…`` DM id."""
        if to[:1] in ("U", "W"):
            return self.user(to)
        if to[:1] == "D" and ("U" + to[1:]) in self.users:
            return self.user("U" + to[1:])
        return self.channel(to)


# -- Dates ---------------------------------------------------------------------------------------


def day_label(day: date, locale: str) -> str:
    """``lun. 04 janv. 2027`` / ``Mon 04 Jan 2027``."""
    lang = _lang(locale)
    return f"{_DAYS[lang][day.weekday()]} {day:%d} {_MONTHS[lang][day.month - 1]} {day.year}"


def format_slack_date(moment: datetime, fmt: str, *, timezone: str, locale: str) -> str | None:
    """A Slack date token's format (``{date_short_pretty} {time}``) for a reader in ``timezone``.

    ``*_pretty`` formats are shown like their plain forms (Slack would say "today" or "tomorrow",
    which a transcript read later gets wrong). None when the format holds a token not known here.
    """
    lang = _lang(locale)
    local = moment.astimezone(ZoneInfo(timezone))
    day, month = local.day, local.month - 1
    short = (
        f"{day} {_MONTHS[lang][month]} {local.year}"
        if lang == "fr"
        else f"{_MONTHS[lang][month]} {day}, {local.year}"
    )
    long_ = (
        f"{day} {_MONTHS_LONG[lang][month]} {local.year}"
        if lang == "fr"
        else f"{_MONTHS_LONG[lang][month]} {day}, {local.year}"
    )
    weekday = _DAYS_LONG[lang][local.weekday()]
    values = {
        "date_num": f"{local:%Y-%m-%d}",
        "date": long_,
        "date_short": short,
        "date_long": f"{weekday} {long_}" if lang == "fr" else f"{weekday}, {long_}",
        "time": f"{local:%H:%M}",
        "time_secs": f"{local:%H:%M:%S}",
    }
    for name in ("date", "date_short", "date_long"):
        values[name + "_pretty"] = values[name]
    values["day_divider_pretty"] = values["date_long"]
    unknown = False

    def replace(match: re.Match[str]) -> str:
        nonlocal unknown
        value = values.get(match.group(1))
        if value is None:
            unknown = True
            return match.group(0)
        return value

    text = re.sub(r"\{(\w+)\}", replace, fmt)
    return None if unknown else text


# -- mrkdwn --------------------------------------------------------------------------------------

_TOKEN = re.compile(r"<([^<>]*)>")
_EMOJI = re.compile(r":([a-z0-9_+\-]+):")


def render_mrkdwn(text: str, names: Names) -> str:
    """Slack mrkdwn as plain text: ids to names, dates, links, entities, a few emoji."""

    def token(match: re.Match[str]) -> str:
        inner = match.group(1)
        body, _, label = inner.partition("|")
        if body.startswith("@"):
            return names.user(body[1:], label or None)
        if body.startswith("#"):
            return names.channel(body[1:], label or None)
        if body.startswith("!date^"):
            return _date_token(body, label, names)
        if body.startswith("!subteam^"):
            return label or "@group"
        if body.startswith("!"):
            return "@" + (label or body[1:])
        if label:
            return f"{_unescape(label)} ({_unescape(body)})"
        return _unescape(body)

    text = _TOKEN.sub(token, text)
    text = _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
    return _unescape(text)


def _date_token(body: str, fallback: str, names: Names) -> str:
    parts = body.split("^")  # !date, epoch, format[, link]
    if names.dates == "local" and len(parts) >= 3 and parts[1].lstrip("-").isdigit():
        moment = datetime.fromtimestamp(int(parts[1]), UTC)
        shown = format_slack_date(moment, parts[2], timezone=names.timezone, locale=names.locale)
        if shown is not None:
            return shown
    fallback = _unescape(fallback)
    suffix = " " + names.timezone
    return fallback[: -len(suffix)] if fallback.endswith(suffix) else fallback


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _object_text(obj: Any, names: Names) -> str:
    """A text object (``plain_text`` or ``mrkdwn``) or a bare string, as text."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return render_mrkdwn(obj, names)
    if obj.get("type") == "plain_text":
        text = str(obj.get("text", ""))
        return (
            _EMOJI.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text) if obj.get("emoji", True) else text
        )
    return render_mrkdwn(str(obj.get("text", "")), names)


# -- Blocks --------------------------------------------------------------------------------------


def render_element(element: Block, names: Names) -> str:
    """An interactive element: ``[ Done ]``, ``[ Open the deck ↗ ]``, ``[ Snooze ▾ ]``."""
    kind = element.get("type")
    label = _object_text(element.get("text") or element.get("placeholder"), names).strip()
    if kind == "button":
        return f"[ {label}{' ↗' if element.get('url') else ''} ]"
    if kind in (
        "static_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "external_select",
    ):
        return f"[ {label or '…'} ▾ ]"
    if kind == "overflow":
        return "[ ⋯ ]"
    if kind == "datepicker":
        return f"[ 📅 {element.get('initial_date') or label} ]"
    if kind == "image":
        return f"[image: {element.get('alt_text', '')}]"
    return f"[ {label or kind} ]"


def render_blocks(blocks: Iterable[Block], names: Names) -> list[str]:
    """The blocks of a message, as unwrapped lines (a block's own line breaks kept)."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append("■ " + _object_text(block.get("text"), names).strip())
        elif kind == "section":
            text = _object_text(block.get("text"), names)
            if text.strip():
                lines.extend(text.split("\n"))
            fields = [_object_text(f, names) for f in block.get("fields") or []]
            for left, right in zip(fields[::2], [*fields[1::2], ""], strict=False):
                lines.append(f"{left:<40}  {right}".rstrip() if right else left)
            accessory = block.get("accessory")
            if accessory and accessory.get("type") != "image":
                lines.append(render_element(accessory, names))
        elif kind == "context":
            parts = [
                f"[image: {e.get('alt_text', '')}]" if e.get("type") == "image" else _object_text(e, names)
                for e in block.get("elements") or []
            ]
            text = " · ".join(p for p in parts if p.strip())
            lines.extend("  " + line for line in text.split("\n"))
        elif kind == "divider":
            lines.append("┄" * 24)
        elif kind == "actions":
            lines.append("  ".join(render_element(e, names) for e in block.get("elements") or []))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        elif kind == "rich_text":
            lines.extend(_rich_text(block, names).split("\n"))
        elif kind == "input":
            lines.append(
                _object_text(block.get("label"), names)
                + ": "
                + render_element(block.get("element") or {}, names)
            )
        else:
            lines.append(f"[{kind} block]")
    return lines


def _rich_text(block: Block, names: Names) -> str:
    out: list[str] = []
    for element in block.get("elements") or []:
        out.append(_rich_inline(element, names))
    return "\n".join(out)


def _rich_inline(element: Block, names: Names) -> str:
    kind = element.get("type")
    if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
        return "".join(_rich_inline(e, names) for e in element.get("elements") or [])
    if kind == "rich_text_list":
        return "\n".join("• " + _rich_inline(e, names) for e in element.get("elements") or [])
    if kind == "text":
        return str(element.get("text", ""))
    if kind == "user":
        return names.user(str(element.get("user_id", "")))
    if kind == "channel":
        return names.channel(str(element.get("channel_id", "")))
    if kind == "link":
        return str(element.get("text") or element.get("url", ""))
    if kind == "emoji":
        return EMOJI.get(str(element.get("name")), f":{element.get('name')}:")
    return ""


def render_message(text: str, blocks: Iterable[Block] | None, names: Names) -> list[str]:
    """A message's lines: its blocks, or its text when it has none."""
    blocks = list(blocks or [])
    lines = render_blocks(blocks, names) if blocks else render_mrkdwn(text, names).split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def wrap(lines: Iterable[str], width: int) -> list[str]:
    """Lines wrapped to ``width``; list items (``•``, ``-``, ``1.``) and indents hang under themselves."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line.rstrip())
            continue
        lead = re.match(r"\s*(?:[•\-–*]\s+|\d+[.)]\s+|\[ )?", line)
        hang = " " * (len(lead.group(0)) if lead else 0)
        out.extend(
            textwrap.wrap(
                line, width=width, subsequent_indent=hang, break_long_words=False, break_on_hyphens=False
            )
            or [""]
        )
    return out


# -- Layout --------------------------------------------------------------------------------------


class Transcript:
    """Writes the demo's transcript to ``out``: a rule for each new day, then timed entries.

    Bot messages: ``09:00  #comite-production  (agenda_request)`` then the message, indented.
    Participants: ``09:12  @marie › propose « … »``. Times are local to ``names.timezone``.
    """

    def __init__(self, out: IO[str], names: Names, *, width: int = WIDTH) -> None:
        self.out = out
        self.names = names
        self.width = width
        self._day: date | None = None

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(ZoneInfo(self.names.timezone))

    def _stamp(self, at: datetime) -> str:
        local = self._local(at)
        if local.date() != self._day:
            self._day = local.date()
            title = f"── {day_label(local.date(), self.names.locale)} "
            self.out.write("\n" + title + "─" * max(self.width - len(title), 3) + "\n")
        return f"{local:%H:%M}  "

    def heading(self, text: str) -> None:
        """A title line across the page (start and end of the run)."""
        title = f"══ {text} "
        self.out.write(title + "═" * max(self.width - len(title), 3) + "\n")

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def message(
        self, at: datetime, *, to: str, kind: str | None, lines: list[str], note: str | None = None
    ) -> None:
        """A message the bot posts (or edits: ``note`` says so) to ``to`` (a channel, user or DM id)."""
        stamp = self._stamp(at)
        recipient = self.names.recipient(to)
        dm = to[:1] in ("U", "W", "D")
        head = f"{stamp}{recipient}{' (DM)' if dm else ''}"
        tags = " ".join(part for part in (f"({kind})" if kind else "", note or "") if part)
        self.out.write(f"{head}  {tags}".rstrip() + "\n")
        pad = " " * INDENT
        for line in wrap(lines, self.width - INDENT):
            self.out.write((pad + line).rstrip() + "\n")

    def participant(self, at: datetime, who: str, what: str) -> None:
        """Something a person does (proposes a topic, shares the deck, clicks Done)."""
        stamp = self._stamp(at)
        head = f"{stamp}{self.names.user(who)} › "
        body = wrap([what], self.width - len(head))
        self.out.write(head + body[0] + "\n")
        for line in body[1:]:
            self.out.write(" " * len(head) + line + "\n")

    def note(self, at: datetime, text: str) -> None:
        """A remark of the demo itself (a Slack refusal), neither a message nor a participant."""
        stamp = self._stamp(at)
        for index, line in enumerate(wrap([text], self.width - INDENT)):
            self.out.write((stamp if index == 0 else " " * INDENT) + line + "\n")


def _lang(locale: str) -> str:
    short = (locale or "").replace("_", "-").split("-")[0].lower()
    return short if short in _DAYS else "en"
