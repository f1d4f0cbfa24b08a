"""``committee-bot status``: is the bot running, and what needs an operator (read-only).

- ``last_tick``: when the dispatcher last finished a tick (any process), and ``lag_seconds``: how
  long ago that was (a scheduler that stopped shows a growing lag; cron alerts on it);
- ``next``: the notifications due next (overdue ones first);
- ``failed``: notifications Slack refused for good (they are not retried until an admin's Retry);
- ``stale_edits``: posted messages whose last edit failed and that still show an older state;
- ``unreachable_channels``: committees whose channel refused the last message sent to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.delivery.admin_reports import error_code
from bot.planning.outbox import ADMIN_PROBLEM
from storage import notifications as store
from storage.models import Committee, Notification

# The plan mark each tick stamps when it ends (storage.notifications marks: one row, one upsert).
LAST_TICK = "tick:last"
# Errors that mean the channel itself cannot be posted to.
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"})
NEXT_LIMIT = 10
LIST_LIMIT = 100


@dataclass(frozen=True)
class Status:
    last_tick: datetime | None
    lag_seconds: float | None
    next: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    stale_edits: list[dict[str, Any]]
    unreachable_channels: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "last_tick": self.last_tick.isoformat() if self.last_tick else None,
            "lag_seconds": round(self.lag_seconds, 1) if self.lag_seconds is not None else None,
            "next": self.next,
            "failed": self.failed,
            "stale_edits": self.stale_edits,
            "unreachable_channels": self.unreachable_channels,
        }

    @property
    def healthy(self) -> bool:
        return not (self.failed or self.stale_edits or self.unreachable_channels)


def mark_tick(session: Session, *, now: datetime) -> None:
    """Stamp the end of a tick (what ``last_tick`` reads)."""
    store.set_mark(session, LAST_TICK, planned_at=now)


def read_status(session: Session, *, now: datetime) -> Status:
    """The status as the database stands at ``now``: a handful of indexed queries."""
    committees = {c.id: c for c in session.exec(select(Committee)).all()}

    def committee_key(committee_id: int | None) -> str | None:
        committee = committees.get(committee_id) if committee_id is not None else None
        return committee.key if committee else None

    def local(moment: datetime | None, committee_id: int | None) -> str | None:
        if moment is None:
            return None
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        committee = committees.get(committee_id) if committee_id is not None else None
        return moment.astimezone(ZoneInfo(committee.timezone) if committee else UTC).isoformat()

    mark = store.get_mark(session, LAST_TICK)
    last = mark.planned_at if mark is not None else None
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    lag = max(0.0, (now - last).total_seconds()) if last is not None else None

    upcoming = session.exec(
        select(Notification)
        .where(Notification.state == store.PENDING)
        .order_by(col(Notification.due_at), col(Notification.id))
        .limit(NEXT_LIMIT)
    ).all()
    failed = session.exec(
        select(Notification)
        .where(Notification.state == store.FAILED)
        .order_by(col(Notification.updated_at).desc(), col(Notification.id).desc())
        .limit(LIST_LIMIT)
    ).all()
    stale = session.exec(
        select(Notification)
        .where(col(Notification.stale_since).is_not(None))
        .order_by(col(Notification.stale_since))
        .limit(LIST_LIMIT)
    ).all()
    return Status(
        last_tick=last,
        lag_seconds=lag,
        next=[
            {
                "kind": r.kind,
                "at": local(r.due_at, r.committee_id),
                "committee": committee_key(r.committee_id),
                "to": r.recipient,
            }
            for r in upcoming
        ],
        failed=[
            {
                "key": r.key,
                "kind": r.kind,
                "committee": committee_key(r.committee_id),
                "to": r.recipient,
                "error": r.error,
                "at": local(r.updated_at, r.committee_id),
            }
            for r in failed
        ],
        stale_edits=[
            {
                "key": r.key,
                "kind": r.kind,
                "committee": committee_key(r.committee_id),
                "to": r.channel or r.recipient,
                "since": local(r.stale_since, r.committee_id),
            }
            for r in stale
            if r.kind != ADMIN_PROBLEM
        ],
        unreachable_channels=_unreachable(session, committees),
    )


def _unreachable(session: Session, committees: dict[int | None, Committee]) -> list[dict[str, Any]]:
    """Active committees whose channel refused the last message posted to it (nothing sent since)."""
    by_channel: dict[str, list[Committee]] = {}
    for committee in committees.values():
        if committee.active:
            by_channel.setdefault(committee.channel, []).append(committee)
    if not by_channel:
        return []
    channels = list(by_channel)
    last_failed = session.execute(
        sa.select(col(Notification.recipient), col(Notification.error), col(Notification.updated_at))
        .where(col(Notification.state) == store.FAILED, col(Notification.recipient).in_(channels))
        .order_by(col(Notification.updated_at))
    ).all()
    failures: dict[str, tuple[str, datetime]] = {}
    for recipient, error, at in last_failed:
        code = error_code(error or "")
        if code in CHANNEL_ERRORS:
            failures[recipient] = (code, at)
    if not failures:
        return []
    last_sent: dict[str, datetime | None] = dict(
        session.execute(
            sa.select(col(Notification.recipient), sa.func.max(Notification.sent_at))
            .where(col(Notification.state) == store.SENT, col(Notification.recipient).in_(list(failures)))
            .group_by(Notification.recipient)
        ).all()
    )
    result = []
    for channel, (code, at) in sorted(failures.items()):
        sent = last_sent.get(channel)
        if sent is not None and sent > at:
            continue  # posted there since: fixed
        for committee in by_channel[channel]:
            result.append({"committee": committee.key, "channel": channel, "error": code})
    return sorted(result, key=lambda r: (r["committee"], r["channel"]))


def status_lines(status: Status) -> list[str]:
    """``committee-bot status`` as text."""
    lines = []
    if status.last_tick is None:
        lines.append("last tick: never (run `committee-bot tick`, `committee-bot scheduler` or `serve`)")
    else:
        lines.append(f"last tick: {status.last_tick.isoformat()} ({status.lag_seconds:.0f} s ago)")
    lines.append(f"next ({len(status.next)}):")
    lines.extend(f"  {n['at']}  {n['kind']:<18} {n['committee'] or '-':<14} → {n['to']}" for n in status.next)
    if not status.next:
        lines.append("  nothing planned")
    lines.append(f"failed ({len(status.failed)}):")
    lines.extend(
        f"  {f['at']}  {f['kind']:<18} {f['committee'] or '-':<14} → {f['to']}: {f['error']}  [{f['key']}]"
        for f in status.failed
    )
    lines.append(f"stale edits ({len(status.stale_edits)}):")
    lines.extend(
        f"  since {s['since']}  {s['kind']:<18} {s['committee'] or '-':<14} in {s['to']}"
        for s in status.stale_edits
    )
    lines.append(f"unreachable channels ({len(status.unreachable_channels)}):")
    lines.extend(f"  {u['committee']:<14} {u['channel']}: {u['error']}" for u in status.unreachable_channels)
    return lines
