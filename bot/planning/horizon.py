"""Incremental planning (SPEC §9): each committee (and each action without a committee) has a mark
saying how far ahead it is planned; a tick plans new subjects and extends the marks running out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.planning import plan_guard, window
from bot.planning.outbox import (
    ACTION,
    COMMITTEE,
    HORIZON,
    LOOKBACK,
    REFILL,
    PlanResult,
    as_utc,
    committee_key_of,
    plan_action_chases,
    replan_committee,
    upsert,
)
from storage import notifications as store
from storage.models import OPEN_ACTION_STATUSES, ActionItem, Committee

log = logging.getLogger(__name__)

# Committees whose window is extended in one tick (new subjects are always planned at once).
EXTEND_BUDGET = 200


SEEN_COMMITTEES = "seen:committee"


SEEN_ACTIONS = "seen:action"


SWEEP = "sweep:committees"


# How often a tick looks for committees changed since they were planned (one query).
SWEEP_EVERY = timedelta(minutes=10)


def plan_horizon(
    session: Session, *, now: datetime, horizon: timedelta = HORIZON, budget: int | None = EXTEND_BUDGET
) -> int:
    """Write the notifications due before ``now + horizon`` that are not written yet; returns rows added.

    New committees and new open actions are planned from ``now - LOOKBACK`` (what is still valid
    is sent at once); committees whose window ends within ``REFILL`` are extended, ``budget`` of
    them at most (None: all). Cheap when nothing changed: a few indexed queries. On PostgreSQL one
    process plans at a time (an advisory lock); the others skip planning and only send.
    """
    if not _planning_lock(session):
        return 0
    # What cannot be planned is skipped, and recorded for the admins (``status`` lists it).
    with plan_guard.collecting() as unplannable:
        inserted = _plan_horizon(session, now=now, horizon=horizon, budget=budget)
    plan_guard.record_unplannable(session, unplannable, now=now)
    return inserted


def _plan_horizon(session: Session, *, now: datetime, horizon: timedelta, budget: int | None) -> int:
    result = PlanResult()
    until = now + horizon
    marks = store.get_marks(session, [SEEN_COMMITTEES, SEEN_ACTIONS, SWEEP])
    last = {subject: (mark.last_id or 0) for subject, mark in marks.items()}
    planned_now: set[int] = set()
    result += _plan_new_committees(
        session, now=now, until=until, last=last.get(SEEN_COMMITTEES, 0), planned=planned_now
    )
    result += _plan_new_actions(
        session, now=now, until=until, last=last.get(SEEN_ACTIONS, 0), skip=planned_now
    )
    swept = marks.get(SWEEP)
    if swept is None or swept.planned_at is None or now - swept.planned_at >= SWEEP_EVERY:
        result += _sweep_changed_committees(session, now=now, until=until)
    for mark in store.marks_due(session, before=now + REFILL, limit=budget or 1_000_000):
        result += _guarded(session, mark.subject, partial(_extend, session, mark, until=until, now=now))
    return result.inserted


def _planning_lock(session: Session) -> bool:
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return True
    # Transaction-scoped: released at commit. Per schema, so separate deployments don't contend.
    return bool(
        session.execute(
            sa.text("select pg_try_advisory_xact_lock(hashtext('committee-bot plan ' || current_schema()))")
        ).scalar()
    )


def _guarded(session: Session, what: str, plan: Callable[[], PlanResult]) -> PlanResult:
    """Plan one subject in a savepoint: a committee whose plan fails (a bug, bad data) is logged
    and retried on the next tick, and never stops the others from being planned or sent."""
    try:
        with session.begin_nested():
            return plan()
    except Exception:
        log.exception("planning %s failed; it is retried on the next tick", what)
        return PlanResult()


def _plan_new_committees(
    session: Session, *, now: datetime, until: datetime, last: int, planned: set[int]
) -> PlanResult:
    """Plan the committees created since the last tick (their actions with them); adds them to ``planned``."""
    new = session.execute(
        sa.select(col(Committee.id), col(Committee.active))
        .where(col(Committee.id) > last)
        .order_by(col(Committee.id))
    ).all()
    result = PlanResult()
    # The marks of all new committees in one query, not one per committee.
    subjects = [f"{COMMITTEE}{committee_id}" for committee_id, _ in new]
    marked: dict[str, Any] = {}
    for offset in range(0, len(subjects), store.CHUNK):  # under SQLite's bound-parameter limit
        marked.update(store.get_marks(session, subjects[offset : offset + store.CHUNK]))
    for committee_id, active in new:
        subject = f"{COMMITTEE}{committee_id}"
        if not active or subject in marked:
            continue
        # A mark that is already due: if this first plan fails, the extension pass retries it.
        store.set_mark(session, subject, planned_until=now - LOOKBACK)
        result += _guarded(
            session,
            subject,
            partial(
                replan_committee, session, committee_id=committee_id, now=now, horizon=until - now, first=True
            ),
        )
        planned.add(committee_id)
    if new:
        store.set_mark(session, SEEN_COMMITTEES, last_id=new[-1].id, planned_at=now)
    return result


def _sweep_changed_committees(session: Session, *, now: datetime, until: datetime) -> PlanResult:
    """Every ``SWEEP_EVERY``: re-plan committees changed since their last full plan (settings
    imported, deactivated), whatever changed them. One query over the committees."""
    result = PlanResult()
    for committee_id in store.committees_changed(session):
        result += _guarded(
            session,
            f"{COMMITTEE}{committee_id}",
            partial(replan_committee, session, committee_id=committee_id, now=now, horizon=until - now),
        )
    store.set_mark(session, SWEEP, planned_at=now)
    return result


def _plan_new_actions(
    session: Session, *, now: datetime, until: datetime, last: int, skip: set[int]
) -> PlanResult:
    """Plan the open actions created since the last tick, but those of committees in ``skip``
    (planned whole in this tick, their actions included)."""
    newest = session.execute(sa.select(sa.func.max(ActionItem.id)).where(col(ActionItem.id) > last)).scalar()
    if newest is None:
        return PlanResult()
    new = [
        action
        for action in session.exec(
            select(ActionItem)
            .where(col(ActionItem.id) > last, col(ActionItem.status).in_(OPEN_ACTION_STATUSES))
            .order_by(col(ActionItem.id))
        ).all()
        if action.committee_id not in skip
    ]
    result = PlanResult()
    if new:
        planned, action_until = plan_action_chases(session, list(new), now=now, horizon=until - now)
        result += upsert(session, planned, now=now)
        for action in new:
            if committee_key_of(session, action) is None:
                store.set_mark(session, f"{ACTION}{action.id}", planned_until=action_until, planned_at=now)
    store.set_mark(session, SEEN_ACTIONS, last_id=newest, planned_at=now)
    return result


def _extend(session: Session, mark: store.Mark, *, until: datetime, now: datetime) -> PlanResult:
    """Plan [planned_until, until) for one subject whose mark ran low; what was planned before is
    not re-checked, unless the committee changed since its last full plan (then it is re-planned)."""
    subject = mark.subject
    _, _, raw_id = subject.partition(":")
    start = max(mark.planned_until, now - LOOKBACK)
    if subject.startswith(COMMITTEE):
        committee = session.get(Committee, int(raw_id))
        if (
            committee is None
            or not committee.active
            or mark.planned_at is None
            or (committee.updated_at is not None and as_utc(committee.updated_at) > mark.planned_at)
        ):
            return replan_committee(session, committee_id=int(raw_id), now=now, horizon=until - now)
        planned = window.plan_window(session, start=start, end=until, committee_key=committee.key)
        result = upsert(session, planned, now=now)
    elif subject.startswith(ACTION):
        action = session.get(ActionItem, int(raw_id))
        if (
            action is None
            or action.status not in OPEN_ACTION_STATUSES
            or committee_key_of(session, action) is not None
        ):
            store.delete_marks(session, [subject])
            return PlanResult()
        planned, _ = plan_action_chases(session, [action], now=now, horizon=until - now)
        result = upsert(session, [p for p in planned if start <= p.at < until], now=now)
    else:
        log.warning("unknown planning mark %r", subject)
        store.delete_marks(session, [subject])
        return PlanResult()
    store.set_mark(session, subject, planned_until=until)
    return result
