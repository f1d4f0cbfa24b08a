"""Rows and readers shared by the notice, digest and health tests.

The committees live in Paris (fr) and in London (en); the meeting of reference is Tuesday
2027-03-23 10:00–11:00 Paris (09:00–10:00 UTC, before the DST change of 28 March). Its deck is due
Friday 19 March 10:00 Paris (2 business days before), its minutes Thursday 25 March 11:00 Paris.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.notices.message import OutgoingMessage
from bot.text.render import slack_date
from storage.models import (
    ActionItem,
    AgendaItem,
    Committee,
    CommitteeMember,
    Decision,
    Meeting,
    Notification,
    SlackUser,
    WorkspaceSettings,
)

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2027, 3, 23, 9, 0, tzinfo=UTC)  # Tuesday 10:00 Paris
END = START + timedelta(hours=1)
DECK_DUE = datetime(2027, 3, 19, 10, 0, tzinfo=PARIS)  # Friday
MINUTES_DUE = datetime(2027, 3, 25, 11, 0, tzinfo=PARIS)  # Thursday
CHAIR, SECRETARY, DECK, OWNER, MEMBER = "UCHAIR", "USEC", "UDECK", "UOWNER", "UMEMBER"
NASTY = 'Budget <Q2> & "hausse" <!channel>'
_keys = itertools.count(1)


def workspace(session: Session) -> WorkspaceSettings:
    row = WorkspaceSettings(timezone="Europe/Paris", locale="fr", holidays="FR")
    session.add(row)
    session.flush()
    return row


def committee(session: Session, **overrides: Any) -> Committee:
    values: dict[str, Any] = {
        "key": "production",
        "name": "Comité de production",
        "kind": "production",
        "channel": "C0PROD",
        "cadence": "weekly",
        "first": datetime(2027, 1, 5, 10, 0),
        "duration": 60,
        "timezone": "Europe/Paris",
        "locale": "fr",
        "chair": CHAIR,
        "secretary": SECRETARY,
        "deck_owner": DECK,
        "feed_token": f"feed-{next(_keys)}",
    }
    values.update(overrides)
    row = Committee(**values)
    session.add(row)
    session.flush()
    return row


def member(session: Session, committee: Committee, user_id: str) -> None:
    session.add(CommitteeMember(committee_id=committee.id, user_id=user_id))
    session.flush()


def meeting(session: Session, committee: Committee, start: datetime = START, **overrides: Any) -> Meeting:
    values: dict[str, Any] = {
        "committee_id": committee.id,
        "series_start": start,
        "start": start,
        "end": start + timedelta(hours=1),
    }
    values.update(overrides)
    row = Meeting(**values)
    session.add(row)
    session.flush()
    return row


def action(session: Session, committee: Committee | None, **overrides: Any) -> ActionItem:
    values: dict[str, Any] = {
        "title": "Relancer le plan de renfort",
        "owner": OWNER,
        "creator": CHAIR,
        "committee_id": committee.id if committee else None,
        "due": date(2027, 3, 26),
        "created_at": START - timedelta(days=20),
    }
    values.update(overrides)
    row = ActionItem(**values)
    session.add(row)
    session.flush()
    return row


def topic(session: Session, meeting: Meeting, title: str, **overrides: Any) -> AgendaItem:
    values: dict[str, Any] = {
        "meeting_id": meeting.id,
        "title": title,
        "proposer": MEMBER,
        "created_at": START - timedelta(days=3),
    }
    values.update(overrides)
    row = AgendaItem(**values)
    session.add(row)
    session.flush()
    return row


def decision(session: Session, meeting: Meeting, text: str, at: datetime) -> Decision:
    row = Decision(meeting_id=meeting.id, text=text, recorded_by=SECRETARY, recorded_at=at)
    session.add(row)
    session.flush()
    return row


def user(session: Session, user_id: str, **values: Any) -> SlackUser:
    row = session.get(SlackUser, user_id) or SlackUser(user_id=user_id)
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def notification(
    session: Session,
    kind: str,
    to: str,
    committee: Committee,
    meeting: Meeting | None = None,
    action: ActionItem | None = None,
    /,
    *,
    due_at: datetime = START,
    expires_at: datetime | None = None,
    **data: Any,
) -> Notification:
    row = Notification(
        key=f"test:{kind}:{next(_keys)}",
        kind=kind,
        due_at=due_at,
        expires_at=expires_at,
        recipient=to,
        committee_id=committee.id,
        meeting_id=meeting.id if meeting else None,
        action_id=action.id if action else None,
        data=data,
    )
    session.add(row)
    session.flush()
    return row


# -- Reading a message as a user would -----------------------------------------------------------


def _element_texts(element: dict[str, Any]) -> list[str]:
    out = []
    if isinstance(element.get("text"), dict):
        out.append(element["text"]["text"])
    if isinstance(element.get("placeholder"), dict):
        out.append(element["placeholder"]["text"])
    for option in element.get("options", []):
        out.append(option["text"]["text"])
    return out


def visible(message: OutgoingMessage) -> str:
    """Every text a reader sees in the blocks, one block a line (buttons' labels included)."""
    lines = []
    for block in message.blocks:
        if "text" in block:
            lines.append(block["text"]["text"])
        for element in block.get("elements", []):
            if element.get("type") in ("mrkdwn", "plain_text"):
                lines.append(element["text"])
            else:
                lines.extend(_element_texts(element))
    return "\n".join(lines)


def buttons(message: OutgoingMessage) -> list[tuple[str, str]]:
    """(action_id, value) of every button and select option, in order."""
    found = []
    for block in message.blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element["type"] == "button":
                found.append((element["action_id"], element.get("value")))
            for option in element.get("options", []):
                found.append((element["action_id"], option["value"]))
    return found


def token(moment: datetime) -> str:
    """The Slack date token of ``moment`` (date and time), with its Paris fallback."""
    return slack_date(moment, fallback_tz="Europe/Paris")


def check_limits(message: OutgoingMessage) -> None:
    """What Slack would refuse: more than 50 blocks, a section over 3,000 characters."""
    assert len(message.blocks) <= 50
    for block in message.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
    assert message.text
