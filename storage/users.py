"""What the bot stores about Slack users: time zone, locale, deactivation, admin flag, away period.

Rows are written with one ``INSERT … ON CONFLICT (user_id) DO UPDATE`` (SQLite and PostgreSQL alike):
two requests that meet the same new user at once both succeed, where a read-then-insert made one of
them fail on the primary key (and lose what it was doing).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from storage.models import SlackUser

USERS = SlackUser.__table__  # type: ignore[attr-defined]


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
    given = {
        "tz": tz,
        "locale": locale,
        "deleted": deleted,
        "is_admin": is_admin,
        "name": name[:200] if name is not None else None,
        "team_id": team_id[:32] if team_id is not None else None,
    }
    changes = {column: value for column, value in given.items() if value is not None}
    return _upsert(session, user_id, {**changes, "fetched_at": now})


def set_away(session: Session, *, user_id: str, until: date | None, now: datetime) -> SlackUser:
    """Record that ``user_id`` is away until ``until`` inclusive (None: back). Creates the user row
    if the bot has not seen them yet (``fetched_at`` stays empty: nothing came from Slack)."""
    return _upsert(session, user_id, {"away_until": until})


def _upsert(session: Session, user_id: str, changes: dict[str, Any]) -> SlackUser:
    """Insert the user with ``changes`` (other columns at their defaults), or set ``changes`` on the
    existing row; returns the row as stored, in the session."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(USERS).values({"user_id": user_id, "deleted": False, "is_admin": False, **changes})
    statement = statement.on_conflict_do_update(
        index_elements=["user_id"], set_={name: statement.excluded[name] for name in changes}
    )
    session.execute(statement)
    user = session.get(SlackUser, user_id, populate_existing=True)
    assert user is not None
    return user
