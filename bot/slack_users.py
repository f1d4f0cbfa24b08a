"""Who is asking: a Slack user's time zone and locale, cached in the ``slack_user`` table.

The first request of a user (or one a day later) fetches ``users.info`` once and stores what it says;
every other request reads the row. When Slack cannot tell, the workspace's zone and locale serve.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import Session

from bot.render import normalize_locale
from storage import users
from storage.committees import get_workspace
from storage.models import SlackUser

# Slack profiles change (travel, a new locale): read them again after this long.
PROFILE_TTL = timedelta(days=1)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Person:
    """A Slack user as the bot addresses them: their zone for dates, their locale for wording."""

    user_id: str
    tz: str
    locale: str  # "fr" or "en"

    def today(self, now: datetime) -> date:
        """``now``'s date where this user is."""
        return now.astimezone(ZoneInfo(self.tz)).date()


def person(session: Session, client: WebClient, *, user_id: str, now: datetime) -> Person:
    """The user's zone and locale: from the cache, else from ``users.info`` (then cached)."""
    row = users.get_user(session, user_id)
    if row is None or row.fetched_at is None or now - row.fetched_at > PROFILE_TTL:
        row = fetch_user(session, client, user_id=user_id, now=now) or row
    workspace = get_workspace(session)
    return Person(
        user_id=user_id,
        tz=_valid_zone(row.tz if row else None) or _valid_zone(workspace.timezone) or "UTC",
        locale=normalize_locale((row.locale if row else None) or workspace.locale),
    )


def fetch_user(session: Session, client: WebClient, *, user_id: str, now: datetime) -> SlackUser | None:
    """Ask Slack about ``user_id`` and store the answer; None when Slack does not answer."""
    try:
        answer = client.users_info(user=user_id, include_locale=True)
    except SlackApiError as error:
        log.warning("users.info %s failed: %s", user_id, error.response.get("error"))
        return None
    except OSError as error:  # network: the cached row (or the defaults) will do this time
        log.warning("users.info %s failed: %s", user_id, error)
        return None
    info = answer["user"]
    return users.upsert_user(
        session,
        user_id=user_id,
        now=now,
        tz=info.get("tz"),
        locale=info.get("locale"),
        deleted=bool(info.get("deleted")),
        is_admin=bool(info.get("is_admin") or info.get("is_owner")),
    )


def _valid_zone(tz: str | None) -> str | None:
    if not tz:
        return None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return tz
