"""The event notices of one meeting (moved, cancelled, minutes approval, posted, changes requested),
written to the outbox inside the change's transaction and sent by the next tick or at once after commit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.meetings.state import meeting_key
from bot.planning import outbox
from storage import meetings as store
from storage import notifications as notification_store
from storage.models import Committee, Meeting


def notify(
    session: Session,
    *,
    committee: Committee,
    meeting: Meeting,
    kind: str,
    to: str,
    now: datetime,
    **data: Any,
) -> str:
    """Queue an event notification due now through the dispatcher's outbox; returns its key.

    Keys are numbered per meeting and kind (the 2nd approval request is ``…:minutes_approval:2``).
    """
    number = store.count_notifications(session, meeting_id=meeting.id, kind=kind) + 1  # type: ignore[arg-type]
    key = f"{meeting_key(committee, meeting)}:{kind}:{number}"
    outbox.enqueue(
        session,
        kind=kind,
        to=to,
        key=key,
        now=now,
        committee_id=committee.id,
        meeting_id=meeting.id,
        data={k: v for k, v in data.items() if v is not None},
    )
    return key


def notify_once(
    session: Session,
    *,
    committee: Committee,
    meeting: Meeting,
    kind: str,
    to: str,
    now: datetime,
    **data: Any,
) -> str:
    """The one event notice of ``kind`` for this occurrence (``…:<kind>:1``), created or brought up
    to date: ``data`` is merged into it (a value None removes that entry); when it was not posted
    yet it is due at once again. A posted one is edited by ``refresh_messages`` after the commit."""
    key = f"{meeting_key(committee, meeting)}:{kind}:1"
    clean = {k: v for k, v in data.items() if v is not None}
    if not outbox.enqueue(
        session, kind=kind, to=to, key=key, now=now, committee_id=committee.id, meeting_id=meeting.id, data=clean
    ):  # fmt: skip
        notification_store.update_event(session, key=key, data=data, now=now)
    return key
