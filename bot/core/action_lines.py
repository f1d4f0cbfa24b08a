"""The action lines of the minutes form (SPEC §7): ``<@U…> task by date [!priority]``, one a line.

``read_action_lines`` reads them all and returns every item it could read and every problem, each
naming its line, in line order: a form shows them all at once rather than one per submission. A line
is read with ``/action add``'s grammar, dates in the committee's zone; it is checked for what
creating the item would refuse (a deactivated owner), so that the items are only created once every
line is right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from bot.core.parsing import ActionDraft, parse_add
from bot.text.errors import InvalidInput, Join, Msg

BULLETS = "•-* "


@dataclass(frozen=True)
class ActionLines:
    """What the action lines gave: ``items`` as (line number, draft), ``errors`` in line order."""

    items: list[tuple[int, ActionDraft]] = field(default_factory=list)
    errors: list[InvalidInput] = field(default_factory=list)

    def raise_errors(self) -> None:
        """All the problems as one ``InvalidInput`` (one message per line, under the actions field)."""
        if self.errors:
            raise InvalidInput.combine(self.errors)


def read_action_lines(
    lines: Iterable[str],
    *,
    tz: str,
    locale: str,
    now: datetime,
    deactivated: Callable[[str], bool] = lambda _user_id: False,
    field_name: str = "actions",
) -> ActionLines:
    """Every non-blank line as an ``ActionDraft`` (numbered from 1, blank lines counted), and a
    problem for each line that cannot become an item: a date past or impossible, a broadcast, a
    missing owner, due date or task (all that is missing, in one message), a deactivated owner."""
    result = ActionLines()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip().lstrip(BULLETS).strip()
        if not line:
            continue
        try:
            draft = parse_add(line, now=now, tz=tz, locale=locale)
        except InvalidInput as error:
            result.errors.append(line_error(number, error, locale, field_name))
            continue
        if draft.missing:
            missing = Join(tuple(Msg(f"action_line_missing_{name}") for name in draft.missing))
            result.errors.append(
                InvalidInput(
                    key="action_line_invalid", locale=locale, field=field_name, line=number, problem=missing
                )
            )
            continue
        if draft.owner and deactivated(draft.owner):
            refused = InvalidInput(key="owner_deactivated", locale=locale, field="owner", user=draft.owner)
            result.errors.append(line_error(number, refused, locale, field_name))
            continue
        result.items.append((number, draft))
    return result


def line_error(number: int, error: InvalidInput, locale: str, field_name: str = "actions") -> InvalidInput:
    """``error`` about one action line, restated as "Line n: … Write one action per line: …"."""
    problem: Msg | str = Msg(error.key, error.params) if error.key else error.message
    return InvalidInput(
        key="action_line_invalid", locale=locale, field=field_name, line=number, problem=problem
    )
