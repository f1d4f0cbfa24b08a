"""The message of every notification kind (SPEC §4–§6): Block Kit plus fallback text.

Contract used by the dispatcher: ``build(session, notification, now=...)`` returns the message to
post, or None when it is no longer needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.models import Notification


@dataclass(frozen=True)
class OutgoingMessage:
    text: str  # fallback text (notifications, screen readers)
    blocks: list[dict[str, Any]] = field(default_factory=list)  # Block Kit, as dicts (Block.to_dict())


def build(session: Session, notification: Notification, *, now: datetime) -> OutgoingMessage | None:
    """The message for ``notification`` as the state stands at ``now``; None when not needed any more."""
    raise NotImplementedError
