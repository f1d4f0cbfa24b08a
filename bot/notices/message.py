"""The message of a notification (Block Kit plus fallback text) and the kinds the builders know."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core import kinds

Block = dict[str, Any]


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to post.

    ``also`` holds secondary direct messages that go with this one, as ``(user id, message)``
    pairs: e.g. the chair's DM when ``agenda_published`` finds the deck missing. The dispatcher
    posts them right after the main message, once (their idempotency follows the main
    notification's key: ``f"{key}:also:{index}"``); a failure to send one does not fail the main one.
    """

    text: str  # fallback text (notifications, screen readers)
    blocks: list[dict[str, Any]] = field(default_factory=list)  # Block Kit, as dicts (Block.to_dict())
    also: list[tuple[str, OutgoingMessage]] = field(default_factory=list)
    thread_ts: str | None = None  # posted as a reply in this thread of the recipient channel


PRE_MEETING = kinds.PRE_MEETING_KINDS  # expire at T


# Sent when someone acts on a meeting (bot.meetings.flows inserts them), not planned by the timeline.
EVENT_KINDS = (
    "minutes_approval",
    "minutes_posted",
    "minutes_changes_requested",
    "meeting_moved",
    "meeting_cancelled",
)


MEETING_KINDS = kinds.MEETING_KINDS + EVENT_KINDS  # about one meeting: None once it is cancelled


ACTION_CHASES = kinds.ACTION_KINDS


MAX_AGENDA_ACTIONS = 15  # action lines shown under the action review


MAX_TOPICS = 20


MAX_MINUTES_ACTIONS = 20


MAX_UNREACHABLE_ACTIONS = 10  # each takes two blocks
