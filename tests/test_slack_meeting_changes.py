"""Moving, cancelling and restoring one occurrence, over real signed HTTP against the running app
(issue 9: "Meetings survive every change a committee makes").

The app's clock is Tuesday 16 March 2027, 09:00 in Paris: the production committee (weekly, Tuesdays
10:00) meets in an hour, then on 23 and 30 March.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot import dispatch, ids
from storage.models import Meeting, Notification
from tests.fakeslack import Message, blocks_text
from tests.slackapp import (  # noqa: F401
    ADMIN,
    CHAIR,
    DECK,
    MARIE,
    PROD,
    SECRETARY,
    SlackApp,
    find_element,
    slack_app,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def epoch(moment: datetime) -> str:
    """How a Slack date token names ``moment`` (``<!date^EPOCH^…>``)."""
    return f"<!date^{int(moment.timestamp())}^"


def committee(app: SlackApp, text: str, *, user: str = CHAIR, channel: str = PROD) -> None:
    response = app.command(text, user=user, channel=channel, command="/committee")
    assert response.status == 200, response.body


def tick(app: SlackApp, now: datetime) -> None:
    client = WebClient(token="xoxb-test", base_url=app.fake.api_url)
    dispatch.tick(app.engine, client, now=now, worker="test", sleep=lambda _s: None)


def meeting_at(app: SlackApp, series_start: datetime) -> Meeting:
    with Session(app.engine) as session:
        return session.exec(select(Meeting).where(Meeting.series_start == series_start)).one()


def rows_of(app: SlackApp, meeting_id: int, kind: str) -> list[Notification]:
    with Session(app.engine) as session:
        return list(
            session.exec(
                select(Notification).where(Notification.meeting_id == meeting_id, Notification.kind == kind)
            )
        )


def posted(app: SlackApp, kind: str, channel: str = PROD) -> list[Message]:
    return [m for m in app.fake.messages(channel) if f":{kind}" in json.dumps(m.metadata or {})]


def settled(app: SlackApp, *users: str) -> None:
    """Wait for the work the app does after its ack (edits, App Homes) so that the test ends quiet."""
    for user in users:
        app.home(user)


def wait_edited(app: SlackApp, message: Message, count: int = 1) -> Message:
    return app.wait(lambda: len(message.edits) >= count and message, what="the message edited")


def click(app: SlackApp, message: Message, action_id: str, *, user: str = CHAIR) -> Any:
    block, element = find_element(message.blocks, action_id)
    response = app.click(block, element, user=user, channel=message.channel if message.channel else PROD)
    assert response.status == 200, response.body
    return response


# --- "Why", bullet 1: moving a meeting twice ------------------------------------------------------


def test_a_meeting_moved_twice_still_reminds_the_deck_owner_and_asks_for_topics(slack_app: SlackApp) -> None:
    """`/committee move demain 15h`, then `/committee move 24/03 14:00`: the agenda request and the
    deck reminder skipped for the intermediate slot (its deck deadline had passed) go out for the
    final one; the agenda already posted is edited (not "deck missing": the deck is not due yet); one
    move notice, edited, shows the slot as originally scheduled."""
    tick(slack_app, paris(2027, 3, 16, 8, 0))  # the first plan
    committee(slack_app, "move demain 15h")
    assert "déplacée" in slack_app.reply_text()
    meeting = meeting_at(slack_app, paris(2027, 3, 16, 10, 0))
    assert meeting.start == paris(2027, 3, 17, 15, 0)
    settled(slack_app, CHAIR, SECRETARY, DECK)
    tick(slack_app, paris(2027, 3, 16, 9, 1))
    (notice,) = posted(slack_app, "meeting_moved")
    (agenda,) = [
        m
        for m in posted(slack_app, "agenda_published")
        if epoch(paris(2027, 3, 17, 15, 0)) in m.text + blocks_text(m.blocks)
    ]

    committee(slack_app, "move 24/03 14:00")
    assert "déplacée" in slack_app.reply_text(after=1)
    meeting = meeting_at(slack_app, paris(2027, 3, 16, 10, 0))
    assert meeting.start == paris(2027, 3, 24, 14, 0)

    # One move notice, edited: the originally scheduled slot (16/03 10:00) and the new one.
    assert len(rows_of(slack_app, meeting.id, "meeting_moved")) == 1
    edited = slack_app.wait(
        lambda: epoch(paris(2027, 3, 24, 14, 0)) in blocks_text(notice.blocks) and notice,
        what="move notice edited",
    )
    text = blocks_text(edited.blocks)
    assert epoch(paris(2027, 3, 16, 10, 0)) in text and "2027-03-16 10:00" in text
    assert epoch(paris(2027, 3, 17, 15, 0)) not in text
    # The agenda posted for the intermediate slot now shows the new one, and the deck as due.
    slack_app.wait(
        lambda: epoch(paris(2027, 3, 24, 14, 0)) in blocks_text(agenda.blocks), what="agenda edited"
    )
    assert "manquant" not in blocks_text(agenda.blocks) and "attendu" in blocks_text(agenda.blocks)

    # Agenda request and deck reminder: pending at their instants for the new slot (3 and 2+1
    # business days before Wednesday 24 March), as `plan` lists them.
    for kind in ("agenda_request", "deck_reminder"):
        (row,) = rows_of(slack_app, meeting.id, kind)
        assert (row.state, row.due_at) == ("pending", paris(2027, 3, 19, 9, 0)), (kind, row.state, row.error)
    settled(slack_app, CHAIR, SECRETARY, DECK)

    tick(slack_app, paris(2027, 3, 19, 9, 0))
    reminder = slack_app.wait(lambda: posted(slack_app, "deck_reminder", DECK), what="deck reminder")
    find_element(reminder[0].blocks, ids.BTN_DECK_SHARED)
    assert posted(slack_app, "agenda_request") and posted(slack_app, "meeting_moved") == [notice]
