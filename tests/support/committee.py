"""Helpers for /committee tests: Slack input values of modals, meeting buttons, stored meetings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.slack.payloads import MeetingRef, dump
from storage.models import Meeting
from tests.support.slackapp import PROD, SlackApp

PARIS = ZoneInfo("Europe/Paris")
NEXT = datetime(2027, 3, 16, 10, 0, tzinfo=PARIS)  # the production committee's next meeting


def text_input(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def url_input(value: str | None) -> dict[str, Any]:
    return {"type": "url_text_input", "value": value}


def rich_text(*lines: list[dict[str, Any]]) -> dict[str, Any]:
    """A rich text input's value: one section per line, each a list of elements."""
    elements: list[dict[str, Any]] = []
    for n, line in enumerate(lines):
        tail = [{"type": "text", "text": "\n"}] if n < len(lines) - 1 else []
        elements.extend(line + tail)
    return {
        "type": "rich_text_input",
        "rich_text_value": {
            "type": "rich_text",
            "elements": [{"type": "rich_text_section", "elements": elements}],
        },
    }


def mention(user: str) -> dict[str, Any]:
    return {"type": "user", "user_id": user}


def words(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def errors_of(response) -> dict[str, str]:
    body = response.json()
    assert body and body.get("response_action") == "errors", response.body
    return body["errors"]


def button(app: SlackApp, action_id: str, meeting_id: int, *, user: str, channel: str = PROD):
    """Press a meeting button (as the notices post them) as ``user``."""
    element = {"action_id": action_id, "type": "button", "value": dump(MeetingRef(meeting_id=meeting_id))}
    response = app.click({"block_id": "meeting"}, element, user=user, channel=channel)
    assert response.status == 200, response.body
    return response


def materialise(app: SlackApp, start: datetime = NEXT, **fields: Any) -> int:
    """A stored meeting of the production committee at ``start`` (its series instant)."""
    with Session(app.engine) as session:
        meeting = Meeting(
            committee_id=app.committees["production"],
            series_start=start,
            start=start,
            end=start + timedelta(hours=1),
            **fields,
        )
        session.add(meeting)
        session.commit()
        return meeting.id  # type: ignore[return-value]
