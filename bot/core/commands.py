"""The ``/action`` command line: which subcommand, and its arguments (SPEC §7)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.dates import UNTIL_PREFIX_RE
from bot.core.parsing import MENTION_RE, parse_user
from bot.text.errors import InvalidInput, Msg


@dataclass(frozen=True)
class Command:
    """One ``/action`` invocation, syntax checked; dates are left as text for ``parse_date``.

    ``name``: ``modal`` (no text), ``add``, ``list``, ``done``, ``postpone`` (a new due date),
    ``snooze`` (mute reminders until a date), ``assign``, ``edit``, ``away``, ``help``. ``text``: the
    rest for ``add``, the date for ``postpone``, ``snooze`` and ``away``.
    ``scope`` (list): ``mine`` (default), ``overdue``, ``all`` or ``user`` (then ``user`` is set).
    """

    name: str
    text: str = ""
    action_id: int | None = None
    user: str | None = None
    scope: str | None = None
    away_off: bool = False


SUBCOMMANDS = ("add", "list", "done", "postpone", "snooze", "assign", "edit", "away", "help")


def parse_command(text: str, *, locale: str = "fr") -> Command:
    """Split ``/action …`` into its subcommand and arguments (syntax only; no database, no clock)."""
    text = text.strip()
    if not text:
        return Command("modal")
    head, _, rest = text.partition(" ")
    name, rest = head.lower(), rest.strip()
    args = rest.split()
    if name == "add":
        return Command("add", text=rest)
    if name == "help":
        return Command("help")
    if name == "list":
        return _parse_list(args, locale)
    if name in ("done", "edit"):
        if len(args) != 1:
            raise _syntax(name, locale)
        return Command(name, action_id=parse_action_id(args[0], locale=locale))
    if name in ("snooze", "postpone"):
        if len(args) < 2:
            raise _syntax(name, locale)
        return Command(name, action_id=parse_action_id(args[0], locale=locale), text=" ".join(args[1:]))
    if name == "assign":
        if len(args) != 2:
            raise _syntax(name, locale)
        action_id = parse_action_id(args[0], locale=locale)
        return Command(name, action_id=action_id, user=parse_user(args[1], locale=locale))
    if name == "away":
        return _parse_away(rest, locale)
    raise InvalidInput(key="unknown_subcommand", locale=locale, name=head, usage=Msg("usage"))


def parse_action_id(text: str, *, locale: str = "fr") -> int:
    """``A12``, ``a12``, ``#12``, ``#A12`` or ``12`` -> 12."""
    match = re.fullmatch(r"#?[Aa]?0*([1-9]\d{0,9})", text.strip())
    if not match:
        raise InvalidInput(key="invalid_action_id", locale=locale, text=text.strip())
    return int(match.group(1))


def _syntax(name: str, locale: str) -> InvalidInput:
    return InvalidInput(key="command_syntax", locale=locale, syntax=Msg(f"usage_{name}"))


def _parse_list(args: list[str], locale: str) -> Command:
    if not args:
        return Command("list", scope="mine")
    if len(args) == 1 and args[0].lower() in ("mine", "overdue", "all"):
        return Command("list", scope=args[0].lower())
    if len(args) == 1 and MENTION_RE.fullmatch(args[0]):
        return Command("list", scope="user", user=parse_user(args[0], locale=locale))
    raise _syntax("list", locale)


def _parse_away(rest: str, locale: str) -> Command:
    if rest.lower() == "off":
        return Command("away", away_off=True)
    date_text = UNTIL_PREFIX_RE.sub("", rest, count=1).strip()
    if not date_text:
        raise _syntax("away", locale)
    return Command("away", text=date_text)
