"""A committee's timeline rules: the defaults of its kind, and the overrides its YAML declares (``timeline:``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import time
from functools import lru_cache
from typing import Any

from bot.core.bounds import TIMELINE_LIMITS
from bot.core.calendar import cadence_class
from bot.core.kinds import APPROVAL_KINDS, PLANNED_KINDS
from storage.models import Committee

# agenda_request lead (business days) and save-the-date (days) by cadence class, SPEC §4.
_AGENDA_LEAD = {"weekly": 3, "monthly": 5, "quarterly": 5, "semiannual": 15, "annual": 15}


_SAVE_THE_DATE_DAYS = {"semiannual": 60, "annual": 60}


@dataclass(frozen=True)
class TimelineRules:
    """Every delay of the timeline, SPEC defaults (those of a weekly committee)."""

    agenda_request_business_days: int = 3
    agenda_request_time: time = time(9, 0)
    deck_due_business_days: int = 2
    deck_reminder_business_days: int = 1
    deck_reminder_time: time = time(9, 0)
    meeting_reminder_minutes: int = 60
    minutes_due_business_days: int = 2
    minutes_reminder_business_days: int = 1
    minutes_overdue_time: time = time(9, 0)
    minutes_overdue_max: int = 3
    save_the_date_days: int | None = None  # None: no save-the-date
    digest_time: time = time(9, 0)
    action_due_soon_business_days: int = 1
    action_overdue_every_business_days: int = 2
    action_escalate_on_chase: int = 3
    action_chase_time: time = time(9, 0)
    off: frozenset[str] = frozenset()

    def on(self, kind: str) -> bool:
        return kind not in self.off


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("a whole number, 0 or more")
    return value


def _positive(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("a whole number, 1 or more")
    return value


def _clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        parts = value.strip().split(":")
        if len(parts) in (2, 3) and all(p.isdigit() for p in parts):
            try:
                numbers = [int(p) for p in parts]
                return time(numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else 0)
            except ValueError:
                pass
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('a time "HH:MM" in quotes (YAML reads unquoted 9:00 as the number 540)')
    raise ValueError('a time "HH:MM", e.g. "09:00"')


# section -> option -> (TimelineRules field, parser)
_OVERRIDES: dict[str, dict[str, tuple[str, Any]]] = {
    "agenda_request": {
        "business_days": ("agenda_request_business_days", _count),
        "time": ("agenda_request_time", _clock),
    },
    "deck_due": {"business_days": ("deck_due_business_days", _count)},
    "deck_reminder": {
        "business_days": ("deck_reminder_business_days", _count),
        "time": ("deck_reminder_time", _clock),
    },
    "meeting_reminder": {"minutes": ("meeting_reminder_minutes", _count)},
    "minutes_due": {"business_days": ("minutes_due_business_days", _count)},
    "minutes_reminder": {"business_days": ("minutes_reminder_business_days", _count)},
    "minutes_overdue": {"time": ("minutes_overdue_time", _clock), "max": ("minutes_overdue_max", _count)},
    "save_the_date": {"days": ("save_the_date_days", _count)},
    "digest": {"time": ("digest_time", _clock)},
    "action_chase": {
        "due_soon_business_days": ("action_due_soon_business_days", _count),
        "overdue_every_business_days": ("action_overdue_every_business_days", _positive),
        "escalate_on_chase": ("action_escalate_on_chase", _positive),
        "time": ("action_chase_time", _clock),
    },
}


def _parse_overrides(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """TimelineRules field values from the YAML mapping; ValueError naming the bad key or value."""
    if not overrides:
        return {}
    if not isinstance(overrides, dict):
        raise ValueError(f"timeline must be a mapping of sections: {', '.join(_OVERRIDES)}, off")
    values: dict[str, Any] = {}
    for section, options in overrides.items():
        if section == "off":
            values["off"] = _parse_off(options)
            continue
        if section not in _OVERRIDES:
            raise ValueError(f"unknown timeline key {section!r}: use {', '.join(_OVERRIDES)} or off")
        allowed = _OVERRIDES[section]
        if not isinstance(options, dict):
            raise ValueError(f"timeline.{section} must be a mapping with {', '.join(allowed)}")
        for option, value in options.items():
            if option not in allowed:
                raise ValueError(f"unknown timeline key {section}.{option}: use {', '.join(allowed)}")
            name, parse = allowed[option]
            try:
                values[name] = parse(value)
            except ValueError as error:
                raise ValueError(f"timeline {section}.{option}={value!r} is invalid: write {error}") from None
            top = TIMELINE_LIMITS.get((section, option))
            if top is not None and values[name] > top:
                raise ValueError(
                    f"timeline {section}.{option}={value!r} is out of range: write a whole number up to {top}"
                )
    return values


def _parse_off(kinds: Any) -> frozenset[str]:
    if isinstance(kinds, str):
        kinds = [kinds]
    if not isinstance(kinds, (list, tuple)):
        raise ValueError(f"timeline.off must be a list of kinds among {', '.join(PLANNED_KINDS)}")
    unknown = [k for k in kinds if k not in PLANNED_KINDS]
    if unknown:
        hint = (
            " (minutes approval is set with minutes_approval: false)" if "minutes_approval" in unknown else ""
        )
        raise ValueError(f"timeline.off: unknown kind {unknown[0]!r}{hint}: use {', '.join(PLANNED_KINDS)}")
    return frozenset(kinds)


def check_timeline(overrides: dict[str, Any] | None) -> None:
    """Raise ValueError (naming the bad key or value and what is allowed) unless the overrides are valid."""
    _parse_overrides(overrides)


def rules_for(committee: Committee) -> TimelineRules:
    """The committee's timeline: SPEC defaults for its cadence, then its own overrides.

    Raises ValueError (see ``check_timeline``) when the overrides are invalid.
    """
    overrides = json.dumps(committee.timeline or {}, sort_keys=True, default=str)
    return _rules(cadence_class(committee.cadence), overrides)


@lru_cache(maxsize=1024)
def _rules(klass: str, overrides: str) -> TimelineRules:
    # Cached on the canonical JSON of the overrides: planning a year for many committees asks
    # for the same few rule sets over and over.
    defaults = TimelineRules(
        agenda_request_business_days=_AGENDA_LEAD[klass],
        save_the_date_days=_SAVE_THE_DATE_DAYS.get(klass),
    )
    return replace(defaults, **_parse_overrides(json.loads(overrides)))


def requires_approval(committee: Committee) -> bool:
    """Whether the chair approves the minutes before they are posted (default: pilotage, strategique)."""
    if committee.minutes_approval is not None:
        return committee.minutes_approval
    return committee.kind in APPROVAL_KINDS
