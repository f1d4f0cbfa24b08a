"""Helpers for tests of the meeting flows: a workspace with a weekly production committee and a
monthly pilotage one (the ``db`` fixture of tests/meetings/conftest.py), and shortcuts to act on it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.meetings import flows
from bot.meetings import state as meetings_state
from storage.db import session_scope
from storage.models import Committee, Notification

PARIS = ZoneInfo("Europe/Paris")

# Tuesday 2027-01-05 10:00 Paris is the production committee's first meeting; "now" is the Friday before.
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=PARIS)

FIRST = datetime(2027, 1, 5, 10, 0, tzinfo=PARIS)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


AFTER = paris(2027, 1, 5, 12, 0)  # the production meeting of the 5th is over


def committee(
    key: str, kind: str, channel: str, cadence: str, first: datetime, locale: str = "fr"
) -> Committee:
    return Committee(
        key=key,
        name=f"Comité {key}",
        kind=kind,
        channel=channel,
        cadence=cadence,
        first=first,
        duration=90,
        timezone="Europe/Paris",
        locale=locale,
        chair="U0CHAIR",
        secretary="U0SEC",
        deck_owner="U0DECK",
        feed_token=f"tok-{key}",
    )


def get_committee(session: Session, key: str) -> Committee:
    return session.exec(select(Committee).where(Committee.key == key)).one()


def next_meeting(engine, key: str = "production", now: datetime = NOW) -> int:
    with session_scope(engine) as session:
        return meetings_state.resolve_meeting(session, committee=get_committee(session, key), now=now).id  # type: ignore[return-value]


def load(engine, model, **where):
    with Session(engine) as session:
        statement = select(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return list(session.exec(statement).all())


def notifications(engine, kind: str) -> list[Notification]:
    return load(engine, Notification, kind=kind)


def submit(engine, meeting_id: int, **overrides):
    values = {
        "summary": "Point sur les KPI de décembre.",
        "decisions": ["Renfort de 3 conseillers", "", "  Nouvelle grille qualité  "],
        "action_lines": [
            "<@U0BOB> Recruter 3 conseillers by 2027-01-29 !high",
            "",
            "<@U0ANN|ann> Diffuser la grille d'ici le 15/01",
        ],
        "attendees": ["U0BOB", "U0ANN", "U0BOB"],
        "link": "https://drive.example/cr",
        "actor": "U0SEC",
        "now": AFTER,
        **overrides,
    }
    with session_scope(engine) as session:
        return flows.submit_minutes(session, meeting_id=meeting_id, **values)
