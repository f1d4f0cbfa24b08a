"""Who is asking: a Slack user's time zone and locale, cached in the ``slack_user`` table.

The first request of a user (or one a day later) fetches ``users.info`` once and stores what it says;
every other request reads the row. When Slack cannot tell, the workspace's zone and locale serve.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.core.bounds import MENTION_ID_PATTERN
from bot.core.parsing import MENTION_RE
from bot.text.render import normalize_locale
from storage import users
from storage.committees import get_workspace
from storage.db import session_scope, write_session
from storage.home import committee_ids_of
from storage.models import Committee, SlackUser

# Slack profiles change (travel, a new locale): read them again after this long.
PROFILE_TTL = timedelta(days=1)

SLACK_USER = re.compile(MENTION_ID_PATTERN)

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


def person(engine: Engine, client: WebClient, *, user_id: str, now: datetime) -> Person:
    """The user's zone and locale: from the cache, else from ``users.info`` (then cached).

    Slack is asked outside any transaction, so that no database lock waits on the network.
    """
    with session_scope(engine) as session:
        row = users.get_user(session, user_id)
        stale = row is None or row.fetched_at is None or now - row.fetched_at > PROFILE_TTL
        workspace = get_workspace(session)
        fallback_tz, fallback_locale = workspace.timezone, workspace.locale
        tz, locale = (row.tz, row.locale) if row else (None, None)
        # A member of another organisation (Slack Connect) has no zone or locale in users.info:
        # the committee they sit on speaks for them (SPEC §11).
        home = _committee_of(session, user_id) if not (tz and locale) else None
        if home is not None:
            fallback_tz, fallback_locale = home.timezone, home.locale
    if stale:
        profile = ask_slack(client, user_id=user_id)
        if profile is not None:
            with write_session(engine) as session:
                remember(session, user_id=user_id, profile=profile, now=now)
            tz, locale = profile.get("tz") or tz, profile.get("locale") or locale
    return Person(
        user_id=user_id,
        tz=_valid_zone(tz) or _valid_zone(fallback_tz) or "UTC",
        locale=normalize_locale(locale or fallback_locale),
    )


def _committee_of(session: Session, user_id: str) -> Committee | None:
    """The first active committee ``user_id`` sits on (chair, secretary, deck owner or member)."""
    ids = committee_ids_of(session, user_id=user_id)
    return session.get(Committee, ids[0]) if ids else None


def ask_slack(client: WebClient, *, user_id: str) -> dict[str, Any] | None:
    """``users.info`` of ``user_id`` (with the locale); None when Slack does not answer."""
    try:
        return client.users_info(user=user_id, include_locale=True)["user"]
    except SlackApiError as error:
        log.warning("users.info %s failed: %s", user_id, error.response.get("error"))
    except OSError as error:  # network: the cached row (or the defaults) will do this time
        log.warning("users.info %s failed: %s", user_id, error)
    return None


def remember(session: Session, *, user_id: str, profile: dict[str, Any], now: datetime) -> SlackUser:
    """Store what Slack said of a user: zone, locale, deactivation, admin flag."""
    return users.upsert_user(
        session,
        user_id=user_id,
        now=now,
        tz=profile.get("tz"),
        locale=profile.get("locale"),
        deleted=bool(profile.get("deleted")),
        is_admin=bool(profile.get("is_admin") or profile.get("is_owner")),
        name=display_name(profile),
        team_id=profile.get("team_id"),
    )


def display_name(profile: dict[str, Any]) -> str | None:
    """The name Slack shows for a user: the profile's display name, else the real name."""
    details = profile.get("profile") or {}
    return details.get("display_name") or details.get("real_name") or profile.get("real_name") or None


def learn_users(engine: Engine, client: WebClient, *, user_ids: Iterable[str], now: datetime) -> None:
    """Ask Slack once about each user a request names (a future owner) that the bot has not asked
    about yet, and store the answers: a deactivated account is then refused, and the chase runs in
    the owner's own zone.

    Called by the listener before its unit of work opens: Slack is never asked inside a write
    transaction (a slow ``users.info`` would hold SQLite's write lock, "database is locked")."""
    wanted = list(dict.fromkeys(user_id for user_id in user_ids if SLACK_USER.fullmatch(user_id or "")))
    if not wanted:
        return
    with session_scope(engine) as session:
        unknown = [user_id for user_id in wanted if not _fetched(users.get_user(session, user_id))]
    profiles = {user_id: ask_slack(client, user_id=user_id) for user_id in unknown}
    answered = {user_id: profile for user_id, profile in profiles.items() if profile is not None}
    if answered:
        with write_session(engine) as session:
            for user_id, profile in answered.items():
                remember(session, user_id=user_id, profile=profile, now=now)


def named_owner(text: str | None) -> list[str]:
    """The owner a command's text names, as a list of one (or none): its first mention, as
    ``/action add`` and ``/action assign`` read it. Only that one is looked up: a title naming many
    people must not turn one request into many Slack calls."""
    match = MENTION_RE.search(text or "")
    return [match.group(1)] if match else []


def _fetched(row: SlackUser | None) -> bool:
    return row is not None and row.fetched_at is not None


def display_names(client: WebClient, user_ids: list[str]) -> dict[str, str]:
    """``{user id: the name Slack shows}`` for those Slack knows (display name, else real name)."""
    names: dict[str, str] = {}
    for user_id in user_ids:
        profile = ask_slack(client, user_id=user_id)
        if profile is None:
            continue
        details = profile.get("profile") or {}
        name = details.get("display_name") or details.get("real_name") or profile.get("real_name")
        if name:
            names[user_id] = str(name)
    return names


def _valid_zone(tz: str | None) -> str | None:
    if not tz:
        return None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return tz
