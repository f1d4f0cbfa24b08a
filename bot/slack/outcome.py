"""What a Slack flow hands back to its listener: an ephemeral reply, a modal to open, and the
subject that changed (an action item or a meeting) with the users whose App Home shows it.

One type for every surface, so one ``handlers.common.deliver`` sends them all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.views import View

from bot.slack.view_kit import message_blocks


@dataclass(frozen=True)
class Reply:
    """An ephemeral answer: fallback text and Block Kit (dicts, ready for the Web API)."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)


def reply(text: str) -> Reply:
    """A reply of one rendered mrkdwn text."""
    return Reply(text=text, blocks=message_blocks(text))


@dataclass(frozen=True)
class Outcome:
    reply: Reply | None = None
    modal: View | None = None
    action_id: int | None = None  # the action item that changed, if any
    meeting_id: int | None = None  # the meeting that changed, if any
    users: tuple[str, ...] = ()  # whose App Home shows the change (owner, former owner…)
