"""Action item queries (SPEC §5): lookups, lists and the change history. No business rules here;
the flows in ``bot/actions.py`` decide what may change.

Every open-item query filters on ``status`` first so that the (status, due), (owner, status) and
(committee_id, status) indexes of ``action_item`` serve it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from storage.models import OPEN_ACTION_STATUSES, ActionChange, ActionItem


def list_actions(
    session: Session,
    *,
    status: str | None = None,
    owner: str | None = None,
    committee_id: int | None = None,
) -> list[ActionItem]:
    """Action items, by due date then id; ``None`` filters nothing (status None = every status)."""
    query = select(ActionItem)
    if status is not None:
        query = query.where(ActionItem.status == status)
    if owner is not None:
        query = query.where(ActionItem.owner == owner)
    if committee_id is not None:
        query = query.where(ActionItem.committee_id == committee_id)
    return list(session.exec(query.order_by(col(ActionItem.due), col(ActionItem.id))))


def get_action(session: Session, action_id: int) -> ActionItem | None:
    return session.get(ActionItem, action_id)


def open_actions_for_owner(
    session: Session, owner: str, *, committee_id: int | None = None
) -> list[ActionItem]:
    """The owner's open and in-progress items (optionally of one committee), by due date."""
    query = select(ActionItem).where(
        col(ActionItem.status).in_(OPEN_ACTION_STATUSES), ActionItem.owner == owner
    )
    if committee_id is not None:
        query = query.where(ActionItem.committee_id == committee_id)
    return list(session.exec(query.order_by(col(ActionItem.due), col(ActionItem.id))))


def open_actions_for_committee(session: Session, committee_id: int) -> list[ActionItem]:
    """A committee's open and in-progress items, by due date."""
    query = select(ActionItem).where(
        col(ActionItem.status).in_(OPEN_ACTION_STATUSES), ActionItem.committee_id == committee_id
    )
    return list(session.exec(query.order_by(col(ActionItem.due), col(ActionItem.id))))


def overdue_actions(session: Session, *, today: date, committee_id: int | None = None) -> list[ActionItem]:
    """Open and in-progress items due before ``today`` (snoozed ones included: a snooze only
    pauses the chase), by due date."""
    query = select(ActionItem).where(
        col(ActionItem.status).in_(OPEN_ACTION_STATUSES), col(ActionItem.due) < today
    )
    if committee_id is not None:
        query = query.where(ActionItem.committee_id == committee_id)
    return list(session.exec(query.order_by(col(ActionItem.due), col(ActionItem.id))))


def history(session: Session, action_id: int) -> list[ActionChange]:
    """Every change of one item, oldest first."""
    query = select(ActionChange).where(ActionChange.action_id == action_id)
    return list(session.exec(query.order_by(col(ActionChange.at), col(ActionChange.id))))


def add_change(
    session: Session,
    *,
    action_id: int,
    actor: str,
    field: str,
    old: str | None,
    new: str | None,
    at: datetime,
    comment: str | None = None,
) -> ActionChange:
    """Append one history entry (flushed, so it has its id)."""
    change = ActionChange(
        action_id=action_id, actor=actor, field=field, old=old, new=new, at=at, comment=comment
    )
    session.add(change)
    session.flush()
    return change
