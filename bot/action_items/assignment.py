"""Telling owners (SPEC §5): on assignment and reassignment the new owner gets a DM with the item and
its buttons; the previous owner a short note.

These go through the notification outbox like every other message, not straight to Slack from the
request: ``plan_assignment_notes`` writes them in the same unit of work as the change, each under an
idempotency key made of the history entry that records the change (``a:<id>:assigned:<change id>``),
so a change is told exactly once, and a crash between the commit and the send only delays the DM
to the next tick. The listener then sends them at once (``bot.delivery.tick.send_now``).

Nobody is told of what they did themselves: a creator who takes the item is not sent a DM, and an
owner who hands the item over gets no note about it. A deactivated previous owner gets no note.

Their messages are built by ``bot.notices.assignment_notices``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage import notifications as store
from storage.models import ActionItem, SlackUser

ASSIGNED = "action_assigned"
UNASSIGNED = "action_unassigned"
ASSIGNMENT_KINDS = (ASSIGNED, UNASSIGNED)
# The item posted in the thread of the message it was created from (the message shortcut).
IN_THREAD = "action_in_thread"
# What a listener sends at once after a change (``bot.delivery.tick.send_now``).
NOTE_KINDS = (*ASSIGNMENT_KINDS, IN_THREAD)


def plan_assignment_notes(
    session: Session,
    action: ActionItem,
    *,
    change_id: int,
    actor: str,
    previous_owner: str | None,
    now: datetime,
) -> list[str]:
    """Queue the DMs one assignment calls for, due at once; returns their keys.

    ``change_id`` is the history entry of the assignment (``created``, or the ``owner`` change);
    ``previous_owner`` is None for a new item. Idempotent: a key already in the table is left alone.
    """
    keys: list[str] = []
    data: dict[str, Any] = {"actor": actor, "owner": action.owner, "reassigned": previous_owner is not None}
    if action.owner != actor:
        keys += _queue(
            session, action, kind=ASSIGNED, to=action.owner, change_id=change_id, data=data, now=now
        )
    if (
        previous_owner is not None
        and previous_owner not in (actor, action.owner)
        and not gone(session, previous_owner)
    ):
        keys += _queue(
            session, action, kind=UNASSIGNED, to=previous_owner, change_id=change_id, data=data, now=now
        )
    return keys


def plan_thread_reply(
    session: Session, action: ActionItem, *, channel: str, thread_ts: str, now: datetime
) -> list[str]:
    """Queue the item's post in the thread of the message it was created from (once per item)."""
    return _queue(
        session, action, kind=IN_THREAD, to=channel, change_id=None, data={"thread_ts": thread_ts}, now=now
    )


def _queue(
    session: Session,
    action: ActionItem,
    *,
    kind: str,
    to: str,
    change_id: int | None,
    data: dict[str, Any],
    now: datetime,
) -> list[str]:
    key = f"a:{action.id}:{kind.removeprefix('action_')}" + (f":{change_id}" if change_id is not None else "")
    row = {
        "key": key,
        "kind": kind,
        "due_at": now,
        "expires_at": None,
        "recipient": to,
        "committee_id": action.committee_id,
        "meeting_id": None,
        "action_id": action.id,
        "state": store.PENDING,
        "attempts": 0,
        "data": data,
        "created_at": now,
        "updated_at": now,
    }
    return [key] if store.insert_one(session, row) else []


def gone(session: Session, user_id: str) -> bool:
    """A deactivated account: no note (it could not be delivered, and the chair would be told so)."""
    user = session.get(SlackUser, user_id)
    return bool(user is not None and user.deleted)
