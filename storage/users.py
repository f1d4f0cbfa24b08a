"""What the bot stores about Slack users: time zone, locale, deactivation, admin flag, away period."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from storage.models import SlackUser


def get_user(session: Session, user_id: str) -> SlackUser | None:
    return session.get(SlackUser, user_id)


def upsert_user(
    session: Session,
    *,
    user_id: str,
    now: datetime,
    tz: str | None = None,
    locale: str | None = None,
    deleted: bool | None = None,
    is_admin: bool | None = None,
    name: str | None = None,
    team_id: str | None = None,
) -> SlackUser:
    """Create or update a user from what Slack told us; ``None`` leaves a value as it was."""
    user = session.get(SlackUser, user_id) or SlackUser(user_id=user_id)
    if name is not None:
        user.name = name[:200]
    if team_id is not None:
        user.team_id = team_id[:32]
    if tz is not None:
        user.tz = tz
    if locale is not None:
        user.locale = locale
    if deleted is not None:
        user.deleted = deleted
    if is_admin is not None:
        user.is_admin = is_admin
    user.fetched_at = now
    session.add(user)
    session.flush()
    return user


def set_away(session: Session, *, user_id: str, until: date | None, now: datetime) -> SlackUser:
    """Record that ``user_id`` is away until ``until`` inclusive (None: back). Creates the user row
    if the bot has not seen them yet (``fetched_at`` stays empty: nothing came from Slack)."""
    user = session.get(SlackUser, user_id) or SlackUser(user_id=user_id)
    user.away_until = until
    session.add(user)
    session.flush()
    return user
