"""The owner's away period (``/action away``), and each user's own today (their Slack zone, else the workspace's)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from bot.core import bounds
from bot.text.errors import InvalidInput
from storage import users
from storage.models import (
    SlackUser,
    WorkspaceSettings,
)


def set_away(
    session: Session, *, user_id: str, until: date, now: datetime, today: date | None = None
) -> SlackUser:
    """``/action away until DATE``: the user's items are not chased through ``until`` (inclusive),
    and the chair will be told once. ``today`` is the user's local date; ``until`` may not be before it."""
    today = today or user_today(session, user_id, now)
    if until < today:
        raise InvalidInput(key="away_in_past", field="until", date=until.isoformat(), today=today.isoformat())
    bounds.check_planning_date(until, today, field="until")
    user = users.set_away(session, user_id=user_id, until=until, now=now)
    user.unreachable_reported_at = None  # a new away period is reported to the chair afresh
    return user


def clear_away(session: Session, *, user_id: str, now: datetime) -> SlackUser:
    """``/action away off``: the user is back and chased again."""
    user = users.set_away(session, user_id=user_id, until=None, now=now)
    user.unreachable_reported_at = None
    return user


def user_today(session: Session, user_id: str, now: datetime) -> date:
    """``now``'s date in the user's Slack time zone (else the workspace's, else UTC)."""
    return now.astimezone(ZoneInfo(user_timezone(session, user_id))).date()


def user_timezone(session: Session, user_id: str) -> str:
    user = users.get_user(session, user_id)
    candidates = [user.tz if user else None]
    settings = session.exec(select(WorkspaceSettings)).first()
    candidates.append(settings.timezone if settings else None)
    for tz in candidates:
        if tz:
            try:
                ZoneInfo(tz)
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return tz
    return "UTC"
