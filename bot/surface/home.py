"""The App Home (SPEC §7): my open actions with their buttons, the minutes and decks I owe, my next
meetings. Published when the user opens the tab and after each change of their items.
"""

from __future__ import annotations

import threading
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.action_items import views
from bot.core.calendar import business_calendar
from bot.core.timeline import meeting_deadlines
from bot.delivery import admin_reports
from bot.slack.limits import MAX_HOME_BLOCKS
from bot.slack.users import Person, person
from bot.text.render import render
from storage.committees import get_workspace
from storage.db import session_scope
from storage.home import committee_ids_of, decks_owed, minutes_owed, next_meetings, open_actions_page
from storage.models import Committee, Meeting


def home_for(session: Session, *, who: Person, now: datetime) -> View:
    """The App Home of ``who`` as the database stands at ``now``."""
    actions, total = open_actions_page(session, owner=who.user_id, limit=views.HOME_ACTIONS_LIMIT)

    workspace = get_workspace(session)

    def due(kind: str, meeting: Meeting, committee: Committee) -> datetime | None:
        """The deadline the line is about: deck due before the start, minutes due after the end."""
        deadlines = meeting_deadlines(
            committee, meeting.start, meeting.end, business_calendar(committee, workspace)
        )
        return {"deck": deadlines.deck_due, "minutes": deadlines.minutes_due}.get(kind)

    def lines(kind: str, rows: list) -> list[str]:
        return [
            render(who.locale, "home_line", kind=kind, meeting=m, committee=c, due=due(kind, m, c))
            for m, c in rows
        ]

    view = views.home_view(
        locale=who.locale,
        tz=who.tz,
        actions=actions,
        total=total,
        minutes_owed=lines("minutes", minutes_owed(session, user_id=who.user_id, now=now)),
        decks_owed=lines("deck", decks_owed(session, user_id=who.user_id, now=now)),
        meetings=lines(
            "meeting",
            next_meetings(session, committee_ids=committee_ids_of(session, user_id=who.user_id), now=now),
        ),
    )
    # Admins also see the delivery problems (bot/admin_reports.py), within the Home tab's 100 blocks.
    extra = admin_reports.home_blocks(session, user_id=who.user_id)
    if extra:
        view.blocks = (list(view.blocks) + Block.parse_all(extra))[:MAX_HOME_BLOCKS]
    return view


def publish_home(engine: Engine, client: WebClient, *, user_id: str, now: datetime) -> None:
    """``views.publish`` the App Home of ``user_id``."""
    who = person(engine, client, user_id=user_id, now=now)
    with session_scope(engine) as session:
        view = home_for(session, who=who, now=now)
    client.views_publish(user_id=user_id, view=view.to_dict())


class HomeRefresher:
    """Publishes App Homes after changes, at most one at a time per user.

    A burst of changes to one user's items (a busy meeting, a bulk import) would otherwise render
    and publish that user's App Home once per change. While a user's home is being published, further
    requests only mark it stale; the publisher then publishes once more with the latest state.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[str] = set()
        self._stale: set[str] = set()

    def publish(self, engine: Engine, client: WebClient, *, user_id: str, now: datetime) -> None:
        with self._lock:
            if user_id in self._running:
                self._stale.add(user_id)
                return
            self._running.add(user_id)
        try:
            while True:
                publish_home(engine, client, user_id=user_id, now=now)
                with self._lock:
                    if user_id not in self._stale:
                        return
                    self._stale.discard(user_id)
        finally:
            with self._lock:
                self._running.discard(user_id)
                self._stale.discard(user_id)


# One per process: the App Homes are the process's own Slack state.
home_refresher = HomeRefresher()
