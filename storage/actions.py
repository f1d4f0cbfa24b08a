"""Queries on action items."""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.models import ActionItem


def list_actions(
    session: Session,
    *,
    status: str | None = None,
    owner: str | None = None,
    committee_id: int | None = None,
) -> list[ActionItem]:
    """Action items, optionally narrowed by status, owner and committee, ordered by due date then id."""
    statement = select(ActionItem).order_by(col(ActionItem.due), col(ActionItem.id))
    if status is not None:
        statement = statement.where(ActionItem.status == status)
    if owner is not None:
        statement = statement.where(ActionItem.owner == owner)
    if committee_id is not None:
        statement = statement.where(ActionItem.committee_id == committee_id)
    return list(session.exec(statement).all())
