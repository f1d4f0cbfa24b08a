"""Fixtures of the meeting-flow tests: ``db``, a migrated engine with two committees."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session

from bot.planning import outbox
from storage.db import session_scope
from storage.models import SlackUser, WorkspaceSettings
from tests.support.meeting_flows import FIRST, committee


@pytest.fixture
def replans(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Records every re-plan the flows ask for (and still runs the real one when there is one)."""
    calls: list[int] = []
    real = getattr(outbox, "replan_meeting", None)

    def record(session: Session, *, meeting_id: int, now: datetime) -> None:
        calls.append(meeting_id)
        if real is not None:
            real(session, meeting_id=meeting_id, now=now)

    monkeypatch.setattr(outbox, "replan_meeting", record, raising=False)
    return calls


@pytest.fixture
def db(engine, replans):
    """The engine, with a workspace, a weekly production committee and a monthly pilotage one."""
    with session_scope(engine) as session:
        session.add(
            WorkspaceSettings(
                team_id="default", timezone="Europe/Paris", locale="fr", holidays="FR", admins=["U0ADMIN"]
            )
        )
        session.add(committee("production", "production", "C0PROD", "weekly", FIRST.replace(tzinfo=None)))
        session.add(
            committee("pilotage", "pilotage", "C0PIL", "monthly", datetime(2027, 1, 7, 14, 0), locale="en")
        )
        session.add(SlackUser(user_id="U0SLACKADMIN", is_admin=True))
    return engine
