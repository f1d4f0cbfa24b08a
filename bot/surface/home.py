"""The App Home (SPEC §7): my open actions with their buttons, the minutes and decks I owe, my next
meetings. Published when the user opens the tab and after each change of their items.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    SectionBlock,
)
from slack_sdk.models.views import View
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.action_items import views
from bot.core.calendar import business_calendar
from bot.core.timeline import meeting_deadlines
from bot.delivery import admin_reports
from bot.slack import ids
from bot.slack.limits import MAX_HEADER_TEXT, MAX_HOME_BLOCKS
from bot.slack.payloads import ActionModal, dump
from bot.slack.users import Person, person
from bot.slack.view_kit import context, mrkdwn_section, plain
from bot.surface import home_sections as sections
from bot.text.render import render, slack_escape
from storage.committees import get_workspace, list_committees
from storage.db import write_session
from storage.home import committee_ids_of, minutes_owed, open_actions_page
from storage.models import ActionItem, Committee, Meeting


def home_view(
    *,
    locale: str | None,
    tz: str,
    actions: Sequence[ActionItem],
    total: int | None = None,
    minutes_owed: Sequence[str],
    decks_owed: Sequence[str],
    meetings: Sequence[str],
    committee_names: dict[int, str] | None = None,
    decks_blocks: Sequence[Block] | None = None,
    approvals_blocks: Sequence[Block] = (),
) -> View:
    """The App Home: my open actions with their buttons, minutes and decks I owe, my next meetings.

    ``total`` counts all the user's open items (default: ``len(actions)``); the other sections are
    lists of already-rendered mrkdwn lines. ``committee_names`` (by committee id) names each item's
    committee under it; ``decks_blocks`` (the decks with their Mark deck shared buttons) replaces
    the decks' lines, and ``approvals_blocks`` (minutes waiting for the reader's approval, with
    their buttons) follows the minutes. Stays within 100 blocks.
    """
    words = views.labels(locale)
    total = len(actions) if total is None else total
    blocks: list[Block] = [
        HeaderBlock(text=plain(render(locale, "home_actions_heading", count=total), MAX_HEADER_TEXT)),
        ActionsBlock(
            block_id="home_new",
            elements=[
                ButtonElement(
                    action_id=ids.BTN_ACTION_NEW, text=plain(words["new"]), value=dump(ActionModal())
                )
            ],
        ),
    ]
    if not actions:
        blocks.append(context(render(locale, "home_no_actions")))
    shown = actions[: views.HOME_ACTIONS_LIMIT]
    names = committee_names or {}
    for action in shown:
        item = views.action_block(action, locale=locale, tz=tz)
        if action.committee_id in names and isinstance(item[0], SectionBlock) and item[0].text is not None:
            # The item names its committee, on the section's last line (no extra block).
            item[0].text.text = f"{item[0].text.text}\n_{slack_escape(names[action.committee_id])}_"
        blocks.extend(item)
    if total > len(shown):
        blocks.append(context(render(locale, "action_more", count=total - len(shown))))
    for name, lines in (("minutes", minutes_owed), ("decks", decks_owed), ("meetings", meetings)):
        blocks.append(DividerBlock())
        if name == "decks" and decks_blocks is not None:
            blocks.extend(decks_blocks)
            continue
        blocks.append(mrkdwn_section(render(locale, "home_section", section=name, lines=list(lines))))
        if name == "minutes":
            blocks.extend(approvals_blocks)
    return View(type="home", blocks=blocks[:MAX_HOME_BLOCKS])


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

    member_of = set(committee_ids_of(session, user_id=who.user_id))
    mine = [c for c in list_committees(session) if c.id in member_of]
    view = home_view(
        locale=who.locale,
        tz=who.tz,
        actions=actions,
        total=total,
        minutes_owed=lines("minutes", minutes_owed(session, user_id=who.user_id, now=now)),
        decks_owed=[],
        meetings=sections.meeting_lines(
            sections.next_meetings(session, committees=mine, now=now), locale=who.locale
        ),
        committee_names=sections.committee_names(
            session, {a.committee_id for a in actions if a.committee_id}
        ),
        decks_blocks=sections.decks_blocks(
            sections.decks_owed(session, user_id=who.user_id, committees=mine, now=now), locale=who.locale
        ),
        approvals_blocks=sections.approvals_blocks(
            sections.approvals_waiting(session, user_id=who.user_id, committees=mine, now=now),
            locale=who.locale,
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
    # A unit of work that may write: the decks' meeting rows are created when missing (their buttons).
    with write_session(engine) as session:
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
