"""Calendar feed tokens (SPEC §8 ``feeds rotate``): the secret part of a committee's ``.ics`` URL.

A token is made when a committee is first imported. Rotating it issues a new one and revokes the old
at once: ``GET /calendar/<old token>.ics`` answers 404 from then on (the server looks committees up by
their current token), so a feed URL that leaked stops working. Inactive committees serve no feed.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import Session

from storage.committees import require_committee

# 24 random bytes: 32 URL-safe characters (the column holds 64).
TOKEN_BYTES = 24


def new_feed_token() -> str:
    """A fresh, unguessable feed token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def rotate_feed_token(session: Session, *, key: str, now: datetime) -> str:
    """Give committee ``key`` a new feed token (the old one stops working) and return it.

    Raises ``UnknownCommittee`` for a key that does not exist."""
    committee = require_committee(session, key=key)
    committee.feed_token = new_feed_token()
    session.add(committee)
    session.flush()
    return committee.feed_token


def feed_path(token: str) -> str:
    """The path the server serves a feed under."""
    return f"/calendar/{token}.ics"


def feed_url(token: str, public_url: str | None) -> str:
    """The feed's full URL under ``PUBLIC_URL`` when it is set, else its path."""
    return f"{public_url.rstrip('/')}{feed_path(token)}" if public_url else feed_path(token)
