"""Checking what a user typed for an action item, one field at a time, before anything is written."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from bot.core import bounds
from bot.core.parsing import TITLE_MAX, check_no_broadcast, parse_user
from bot.text.errors import InvalidInput
from storage import users
from storage.models import (
    ActionStatus,
    Priority,
)


def field_errors(
    session: Session,
    *,
    title: str,
    owner: str | None,
    due: date | None,
    priority: str | None,
    today: date,
) -> list[InvalidInput]:
    """What ``create_action`` would refuse in these fields, every one at once (a form reports them
    all in one go); a field left empty (None) is not checked here."""
    errors: list[InvalidInput] = []
    collect(errors, valid_title, title)
    if owner is not None:
        collect(errors, valid_owner, session, owner)
    if due is not None:
        collect(errors, valid_due, due, today)
    if priority is not None:
        collect(errors, valid_priority, priority)
    return errors


def collect(errors: list[InvalidInput], check, *args):  # type: ignore[no-untyped-def]
    """Run one validator; keep its InvalidInput so that every field's error is reported at once."""
    try:
        return check(*args)
    except InvalidInput as error:
        errors.append(error)
        return None


def valid_title(title: str) -> str:
    title = bounds.check_title(title or "", limit=TITLE_MAX)
    if not title:
        raise InvalidInput(key="title_empty", field="title")
    check_no_broadcast(title)
    return title


def valid_owner(session: Session, owner: str) -> str:
    user_id = parse_user(owner or "", field="owner")
    user = users.get_user(session, user_id)
    if user is not None and user.deleted:
        raise InvalidInput(key="owner_deactivated", field="owner", user=user_id)
    return user_id


def valid_due(due: date, today: date) -> date:
    if not isinstance(due, date) or isinstance(due, datetime):
        raise InvalidInput(key="invalid_date", field="due", text=str(due))
    if due < today:
        raise InvalidInput(key="date_in_past", field="due", date=due.isoformat(), today=today.isoformat())
    return bounds.check_planning_date(due, today)


def valid_priority(priority: str) -> str:
    try:
        return Priority((priority or "").strip().lower()).value
    except ValueError:
        raise InvalidInput(key="invalid_priority", field="priority", value=priority) from None


def valid_status(status: str) -> str:
    try:
        return ActionStatus((status or "").strip().lower()).value
    except ValueError:
        raise InvalidInput(key="invalid_status", field="status", value=status) from None


def valid_progress(progress: int | str) -> int:
    text = str(progress).strip().rstrip("%").strip()
    if isinstance(progress, bool) or not text.isdigit() or not 0 <= int(text) <= 100:
        raise InvalidInput(key="invalid_progress", field="progress", value=str(progress))
    return int(text)
