"""Action item flows (SPEC §5): create, complete, update progress, snooze, reassign, edit, cancel,
and the owner's away period.

Each flow takes a Session and keyword-only plain values (``now`` included), checks who may act,
validates everything before writing anything, writes one ``ActionChange`` per changed field (who,
when, field, old, new, comment) and returns the changed item. Errors are ``bot.text.errors`` types; their
text comes from the catalogue, so the Slack error handler can show it in the reader's language with
``error.in_locale(locale)``. Every flow that changes an item ends with ``after_action_change``, which
re-plans the item's chase in the same transaction (as the meeting flows do); the caller edits the
messages already posted once the change is committed (``bot.surface.action_items``).

Done and cancelled items are closed: only ``update_progress`` (back to open or in_progress) reopens
them; the other flows refuse to change them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from bot.action_items.assignment import plan_assignment_notes
from bot.action_items.people import user_today
from bot.action_items.validation import (
    collect,
    valid_due,
    valid_owner,
    valid_priority,
    valid_progress,
    valid_status,
    valid_title,
)
from bot.core import bounds
from bot.core.calendar import BusinessCalendar
from bot.planning import outbox
from bot.text.errors import InvalidInput, NotFound, PermissionDenied
from storage import action_items as store
from storage import users
from storage.models import (
    ActionItem,
    ActionStatus,
    Committee,
    Meeting,
    Priority,
    WorkspaceSettings,
    id_of,
)

CLOSED_STATUSES = (ActionStatus.done.value, ActionStatus.cancelled.value)
SNOOZE_CHOICES = ("1bd", "1w")


# --- the one hook after every change ------------------------------------------------------------


def after_action_change(session: Session, action: ActionItem, *, now: datetime) -> None:
    """Re-plan an item's chase in the same transaction as its change (so a crash between the change
    and the plan cannot leave either without the other)."""
    session.flush()
    assert action.id is not None  # flushed above
    outbox.replan_action(session, action_id=action.id, now=now)


# --- permissions ------------------------------------------------------------------------------


def check_can_change(action: ActionItem, *, actor: str, chair: str | None, is_admin: bool) -> None:
    """Allow the owner, the creator, the committee chair and workspace admins; refuse anyone else
    with a message naming who may."""
    if is_admin or actor in (action.owner, action.creator) or (chair is not None and actor == chair):
        return
    params = {"action": action.public_id, "owner": f"<@{action.owner}>", "creator": f"<@{action.creator}>"}
    if chair:
        raise PermissionDenied(key="permission_denied", chair=f"<@{chair}>", **params)
    raise PermissionDenied(key="permission_denied_no_chair", **params)


def may_change(session: Session, action: ActionItem, *, actor: str) -> bool:
    """Whether ``actor`` may change ``action`` (to decide which buttons to show)."""
    try:
        _authorize(session, action, actor)
    except PermissionDenied:
        return False
    return True


def is_workspace_admin(session: Session, user_id: str) -> bool:
    """Listed in a workspace's ``admins`` setting, or flagged admin by Slack."""
    user = users.get_user(session, user_id)
    if user is not None and user.is_admin:
        return True
    return any(user_id in (settings.admins or []) for settings in session.exec(select(WorkspaceSettings)))


def committee_chair(session: Session, committee_id: int | None) -> str | None:
    committee = session.get(Committee, committee_id) if committee_id is not None else None
    return committee.chair if committee is not None else None


def _authorize(session: Session, action: ActionItem, actor: str) -> None:
    check_can_change(
        action,
        actor=actor,
        chair=committee_chair(session, action.committee_id),
        is_admin=is_workspace_admin(session, actor),
    )


# --- flows ------------------------------------------------------------------------------------


def create_action(
    session: Session,
    *,
    title: str,
    owner: str,
    creator: str,
    due: date,
    priority: str = Priority.medium.value,
    committee_id: int | None = None,
    meeting_id: int | None = None,
    source_link: str | None = None,
    now: datetime,
    today: date | None = None,
    notify: bool = True,
) -> ActionItem:
    """Create an open item and its ``created`` history entry.

    ``today`` is the creator's local date (default: from their stored time zone, else the
    workspace's); the due date may not be before it. The committee defaults to the meeting's.
    With ``notify`` the owner (unless they created it) gets a DM through the outbox
    (``bot.action_items.assignment``); an import of an existing tracker passes False.
    """
    today = today or user_today(session, creator, now)
    errors: list[InvalidInput] = []
    title = collect(errors, valid_title, title)
    owner = collect(errors, valid_owner, session, owner)
    collect(errors, valid_due, due, today)
    priority = collect(errors, valid_priority, priority)
    if errors:
        raise InvalidInput.combine(errors)
    meeting = session.get(Meeting, meeting_id) if meeting_id is not None else None
    if meeting_id is not None and meeting is None:
        raise NotFound(key="meeting_not_found", meeting=meeting_id)
    if committee_id is None and meeting is not None:
        committee_id = meeting.committee_id
    if committee_id is not None and session.get(Committee, committee_id) is None:
        raise NotFound(key="committee_not_found", committee=committee_id)

    action = ActionItem(
        title=title,
        owner=owner,
        creator=creator,
        due=due,
        priority=priority,
        committee_id=committee_id,
        meeting_id=meeting_id,
        source_link=source_link,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    session.flush()
    assert action.id is not None
    entry = store.add_change(
        session, action_id=action.id, actor=creator, field="created", old=None, new=title, at=now
    )
    if notify:
        assert entry.id is not None
        plan_assignment_notes(
            session, action, change_id=entry.id, actor=creator, previous_owner=None, now=now
        )
    after_action_change(session, action, now=now)
    return action


def complete_action(
    session: Session, *, action_id: int, actor: str, now: datetime, comment: str | None = None
) -> ActionItem:
    """Mark done: status done, progress 100, closed now. Already done: nothing changes."""
    action = _load(session, action_id)
    _authorize(session, action, actor)
    if action.status == ActionStatus.done.value:
        return action
    _check_open(action)
    changes = {"status": ActionStatus.done.value, "progress": 100}
    _apply(session, action, changes, actor=actor, now=now, comment=comment)
    action.closed_at = now
    after_action_change(session, action, now=now)
    return action


def update_progress(
    session: Session,
    *,
    action_id: int,
    actor: str,
    status: str,
    progress: int | str,
    comment: str | None = None,
    now: datetime,
) -> ActionItem:
    """Set status and progress (0..100), with an optional comment; the only way to reopen a done
    or cancelled item. Done forces 100 %. A comment alone is recorded as a ``comment`` entry."""
    action = _load(session, action_id)
    _authorize(session, action, actor)
    errors: list[InvalidInput] = []
    status = collect(errors, valid_status, status)
    progress = collect(errors, valid_progress, progress)
    collect(errors, lambda text: bounds.check_no_nul(text, field="comment"), comment)
    if errors:
        raise InvalidInput.combine(errors)
    if status == ActionStatus.done.value:
        progress = 100
    was_closed = action.status in CLOSED_STATUSES
    comment = (comment or "").strip() or None
    changed = _apply(
        session, action, {"status": status, "progress": progress}, actor=actor, now=now, comment=comment
    )
    if not changed and comment:
        store.add_change(
            session,
            action_id=id_of(action),
            actor=actor,
            field="comment",
            old=None,
            new=None,
            at=now,
            comment=comment,
        )
        action.updated_at = now
    is_closed = status in CLOSED_STATUSES
    if is_closed and not was_closed:
        action.closed_at = now
    elif was_closed and not is_closed:
        action.closed_at = None
    after_action_change(session, action, now=now)
    return action


def snooze_action(
    session: Session, *, action_id: int, actor: str, until: date, now: datetime, today: date | None = None
) -> ActionItem:
    """Pause the chase until ``until`` (a date after ``today``, the actor's local date)."""
    action = _load(session, action_id)
    _authorize(session, action, actor)
    _check_open(action)
    today = today or user_today(session, actor, now)
    if until <= today:
        raise InvalidInput(
            key="snooze_not_future", field="until", date=until.isoformat(), today=today.isoformat()
        )
    bounds.check_planning_date(until, today, field="until")
    _apply(session, action, {"snoozed_until": until}, actor=actor, now=now)
    after_action_change(session, action, now=now)
    return action


# "Mute reminders until a date" is the former snooze, under the name the product now gives it.
mute_action = snooze_action


def snooze_choice(choice: str, today: date, calendar: BusinessCalendar) -> date:
    """The date a snooze button means: ``1bd`` the next business day, ``1w`` a week later (moved
    to the next business day if that one is not)."""
    if choice == "1bd":
        return calendar.add(today, 1)
    if choice == "1w":
        return calendar.on_or_after(today + timedelta(weeks=1))
    raise InvalidInput(key="unknown_snooze_choice", choice=choice)


def reassign_action(
    session: Session,
    *,
    action_id: int,
    actor: str,
    new_owner: str,
    now: datetime,
    comment: str | None = None,
    notify: bool = True,
) -> ActionItem:
    """Give the item to ``new_owner`` (a Slack user id or mention, not deactivated).

    With ``notify`` the new owner gets a DM with the item and its buttons, and the previous owner a
    short note, through the outbox (``bot.action_items.assignment``); nobody is told of their own doing."""
    action = _load(session, action_id)
    _authorize(session, action, actor)
    _check_open(action)
    new_owner = valid_owner(session, new_owner)
    previous = action.owner
    if new_owner == previous:
        return action
    action.owner = new_owner
    action.updated_at = now
    session.add(action)
    assert action.id is not None
    entry = store.add_change(
        session,
        action_id=action.id,
        actor=actor,
        field="owner",
        old=previous,
        new=new_owner,
        at=now,
        comment=comment,
    )
    if notify:
        assert entry.id is not None
        plan_assignment_notes(
            session, action, change_id=entry.id, actor=actor, previous_owner=previous, now=now
        )
    after_action_change(session, action, now=now)
    return action


def postpone_action(
    session: Session,
    *,
    action_id: int,
    actor: str,
    due: date,
    now: datetime,
    today: date | None = None,
    comment: str | None = None,
) -> ActionItem:
    """Postpone: a new, later due date (SPEC §5). Not a correction (that is ``edit_action``): the
    history keeps a ``postponed`` entry (old and new date, the reason given), and the item remembers
    the date it was first due (``postponed_from``), against which the health figures measure it.

    The new date must come after the current one and not before ``today`` (the actor's local date).
    Muted reminders stay muted: postponing and muting are separate choices.
    """
    action = _load(session, action_id)
    _authorize(session, action, actor)
    _check_open(action)
    today = today or user_today(session, actor, now)
    due = valid_due(due, today)
    if due <= action.due:
        raise InvalidInput(
            key="postpone_not_later",
            field="due",
            date=due.isoformat(),
            due=action.due.isoformat(),
            action=action.public_id,
        )
    previous = action.due
    if action.postponed_from is None:
        action.postponed_from = previous
    action.due = due
    action.updated_at = now
    session.add(action)
    assert action.id is not None
    store.add_change(
        session,
        action_id=action.id,
        actor=actor,
        field="postponed",
        old=previous.isoformat(),
        new=due.isoformat(),
        at=now,
        comment=(comment or "").strip() or None,
    )
    after_action_change(session, action, now=now)
    return action


def edit_action(
    session: Session,
    *,
    action_id: int,
    actor: str,
    now: datetime,
    title: str | None = None,
    due: date | None = None,
    priority: str | None = None,
    today: date | None = None,
) -> ActionItem:
    """Change the title, due date and/or priority (None: unchanged). A new due date may not be
    before ``today`` (the actor's local date); an unchanged one is not checked again."""
    action = _load(session, action_id)
    _authorize(session, action, actor)
    _check_open(action)
    today = today or user_today(session, actor, now)
    errors: list[InvalidInput] = []
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = collect(errors, valid_title, title)
    if due is not None and due != action.due:
        changes["due"] = collect(errors, valid_due, due, today)
    if priority is not None:
        changes["priority"] = collect(errors, valid_priority, priority)
    if errors:
        raise InvalidInput.combine(errors)
    _apply(session, action, changes, actor=actor, now=now)
    after_action_change(session, action, now=now)
    return action


def cancel_action(
    session: Session, *, action_id: int, actor: str, now: datetime, comment: str | None = None
) -> ActionItem:
    """Cancel: no more chasing. Already cancelled: nothing changes; done items must be reopened first."""
    action = _load(session, action_id)
    _authorize(session, action, actor)
    if action.status == ActionStatus.cancelled.value:
        return action
    _check_open(action)
    _apply(session, action, {"status": ActionStatus.cancelled.value}, actor=actor, now=now, comment=comment)
    action.closed_at = now
    after_action_change(session, action, now=now)
    return action


# --- helpers ----------------------------------------------------------------------------------


def _load(session: Session, action_id: int) -> ActionItem:
    action = store.get_action(session, action_id)
    if action is None:
        raise NotFound(key="action_not_found", action=f"A{action_id}")
    return action


def _check_open(action: ActionItem) -> None:
    if action.status in CLOSED_STATUSES:
        raise InvalidInput(key=f"action_closed_{action.status}", action=action.public_id)


def _apply(
    session: Session,
    action: ActionItem,
    changes: dict[str, object],
    *,
    actor: str,
    now: datetime,
    comment: str | None = None,
) -> bool:
    """Set each changed field and write its history entry; True when anything changed."""
    changed = False
    for name, new in changes.items():
        old = getattr(action, name)
        if old == new:
            continue
        setattr(action, name, new)
        store.add_change(
            session,
            action_id=id_of(action),
            actor=actor,
            field=name,
            old=_as_text(old),
            new=_as_text(new),
            at=now,
            comment=comment,
        )
        changed = True
    if changed:
        action.updated_at = now
        session.add(action)
    return changed


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
