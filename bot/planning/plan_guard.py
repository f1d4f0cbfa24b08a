"""The planner survives any stored value (SPEC §9): a subject it cannot plan is skipped, the rest goes on.

A subject is one meeting occurrence, one action item's chase, one committee's series or digests.
Values stored before the input bounds existed (a due date in year 9999, a meeting moved there, a
timeline override of a hundred million business days) make the date arithmetic overflow; without this
guard one such value stopped the planning of its whole committee, and ``plan`` exited 1.

``guarded`` runs the planning of one subject: on failure it logs one line (no traceback) and hands an
``Unplannable`` to the collector of ``collecting()`` when one is open: the horizon planner
(``horizon.plan_horizon``) opens one around each planning pass and records what it collected with
``record_unplannable``, as a ``failed`` row of kind ``planning_failed`` in the notification table (one
per subject, idempotent), so that ``status`` and the admins' views list it with the other failures.

Telling the admins is the delivery layer's job (planning sits below it and never imports it): the
tick, right after planning, reads the rows recorded here that nobody was told about yet
(``unreported``), reports each through ``bot.delivery.admin_reports`` and marks it (``mark_reported``)
in the same transaction. So a subject is reported once per error, whichever pass first failed on it,
and a report that could not be written is tried again at the next tick. A subject planned fine
again (an item's far due date corrected) settles its recorded failure (``resolve``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlmodel import Session, col, select

from storage import notifications as store
from storage.committees import get_committee
from storage.models import Notification

log = logging.getLogger(__name__)

# The notification kind of a recorded planning failure (never sent: stored as ``failed``).
PLANNING_FAILED = "planning_failed"
ERROR_MAX = 500  # notification.error is VARCHAR(500)

T = TypeVar("T")


@dataclass(frozen=True)
class Unplannable:
    """One subject the planner skipped: ``subject`` names it (``action:12``, ``meeting:production:
    2027-03-16T09:00:00+00:00``, ``committee:production``), ``error`` says why, in one line."""

    subject: str
    committee_key: str | None
    error: str
    action_id: int | None = None

    def line(self) -> str:
        where = f" (committee {self.committee_key})" if self.committee_key else ""
        return f"cannot plan {self.subject}{where}: {self.error}; skipped, the rest is planned"


_collector: ContextVar[list[Unplannable] | None] = ContextVar("unplannable_collector", default=None)


@contextmanager
def collecting() -> Iterator[list[Unplannable]]:
    """Collect the subjects skipped inside the ``with`` block (in this thread or task)."""
    found: list[Unplannable] = []
    token = _collector.set(found)
    try:
        yield found
    finally:
        _collector.reset(token)


def report_unplannable(problem: Unplannable) -> None:
    """Log one line and hand ``problem`` to the open collector."""
    log.warning("%s", problem.line())
    collector = _collector.get()
    if collector is not None:
        collector.append(problem)


def guarded(
    subject: str,
    plan: Callable[[], Iterable[T]],
    *,
    committee_key: str | None = None,
    action_id: int | None = None,
) -> list[T]:
    """``list(plan())``, or [] when planning this subject fails (reported with ``report_unplannable``)."""
    try:
        return list(plan())
    except Exception as error:  # any stored value must not stop the others
        log.debug("planning %s failed", subject, exc_info=True)  # the traceback, for --debug runs only
        report_unplannable(
            Unplannable(
                subject=subject,
                committee_key=committee_key,
                error=_one_line(f"{type(error).__name__}: {error}"),
                action_id=action_id,
            )
        )
        return []


def record_unplannable(session: Session, problems: Iterable[Unplannable], *, now: datetime) -> int:
    """Store each problem once as a ``failed`` notification of kind ``planning_failed`` (what
    ``status`` lists); returns how many were new."""
    added = 0
    for problem in {p.subject: p for p in problems}.values():
        committee = get_committee(session, key=problem.committee_key) if problem.committee_key else None
        row = {
            "key": f"{PLANNING_FAILED}:{problem.subject}"[:255],
            "kind": PLANNING_FAILED,
            "due_at": now,
            "expires_at": None,
            "recipient": committee.channel if committee else "-",
            "committee_id": committee.id if committee else None,
            "meeting_id": None,
            "action_id": problem.action_id,
            "state": store.FAILED,
            "attempts": 0,
            "error": problem.error[:ERROR_MAX],
            "data": {"subject": problem.subject},
            "created_at": now,
            "updated_at": now,
        }
        if store.insert_one(session, row):
            added += 1
            continue
        # Recorded before: a new error about the same subject is new to the admins.
        stored = session.exec(select(Notification).where(Notification.key == row["key"])).first()
        error = problem.error[:ERROR_MAX]
        if stored is not None and stored.error != error:
            stored.error, stored.updated_at = error, now
            stored.data = {**(stored.data or {}), "reported": False}
            session.add(stored)
    return added


def resolve(session: Session, *, subject: str, now: datetime) -> bool:
    """``subject`` was planned without error: its recorded failure, if any, is settled (skipped:
    ``status`` and the admins' App Home no longer list it). True when there was one."""
    stored = session.exec(
        select(Notification).where(
            Notification.key == f"{PLANNING_FAILED}:{subject}"[:255], Notification.state == store.FAILED
        )
    ).first()
    if stored is None:
        return False
    stored.state = store.SKIPPED
    stored.data = {**(stored.data or {}), "resolved_at": now.isoformat()}
    stored.updated_at = now
    session.add(stored)
    return True


def unreported(session: Session) -> list[Notification]:
    """The recorded planning failures the admins were not told about yet, oldest first."""
    rows = session.exec(
        select(Notification)
        .where(Notification.kind == PLANNING_FAILED, Notification.state == store.FAILED)
        .order_by(col(Notification.id))
    ).all()
    return [row for row in rows if not (row.data or {}).get("reported")]


def mark_reported(session: Session, row: Notification, *, now: datetime) -> None:
    """Remember that the admins were told about ``row`` (its current error)."""
    row.data = {**(row.data or {}), "reported": True, "reported_at": now.isoformat()}
    session.add(row)


def _one_line(text: str) -> str:
    return " ".join(text.split())[:ERROR_MAX]
