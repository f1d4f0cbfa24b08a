"""What the bot will send, and when: the timeline of one meeting (SPEC §4), the chase of one action
item (SPEC §5) and the weekly digest (SPEC §6).

Pure functions: they take a committee, an occurrence or an action and a business calendar, and
return ``Planned`` notifications with their exact instant, recipient and idempotency key. Whether a
conditional message is still needed (minutes already in? action done?) is decided again at send time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.calendar import BusinessCalendar, Occurrence
from storage.models import ActionItem, Committee


@dataclass(frozen=True)
class Planned:
    kind: str
    at: datetime  # aware UTC
    to: str  # channel or user id
    key: str  # idempotency key, stable across re-plans
    committee_key: str | None = None
    meeting_start: datetime | None = None  # aware, the committee's zone; None when not tied to a meeting
    series_start: datetime | None = None  # aware UTC, identity of the meeting
    action_id: int | None = None
    expires_at: datetime | None = None  # aware UTC; pre-meeting kinds expire at T
    data: dict[str, Any] = field(default_factory=dict, compare=False)


def plan_meeting(committee: Committee, occurrence: Occurrence, calendar: BusinessCalendar) -> list[Planned]:
    """Every time-driven notification of SPEC §4 for one occurrence (none when cancelled)."""
    raise NotImplementedError


def plan_action(
    action: ActionItem,
    *,
    owner_tz: str,
    calendar: BusinessCalendar,
    chair: str | None,
    until: date,
) -> list[Planned]:
    """The chase of SPEC §5 for one open action, up to ``until`` (owner's local dates)."""
    raise NotImplementedError


def plan_digest(committee: Committee, calendar: BusinessCalendar, start: date, end: date) -> list[Planned]:
    """Weekly digests (first business day of each week, 09:00) whose date falls in [start, end]."""
    raise NotImplementedError
