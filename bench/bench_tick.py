"""Benchmarks of one dispatcher tick (SPEC §9), on SQLite and PostgreSQL, against the fake Slack.

1. One tick with 10,000 committees, 500,000 open actions and 200 notifications due (target on
   PostgreSQL: under 1 s): plan (nothing new), claim, check, render, post, record — 200 times.
2. A tick with nothing due, at 1,000 and at 10,000 committees (target: less than 2x apart):
   what every tick costs when there is nothing to do.

The database is in steady state, as after days of service: each committee planned 14 days ahead
(its ``plan_mark``), a history of sent notifications and pending ones for the coming weeks. Data is
bulk-loaded (COPY on PostgreSQL, executemany on SQLite).

Messages are rendered by ``bot.notices.registry`` (the due rows are overdue chases: action, owner, committee
read, Block Kit built); ``--stand-in`` renders a one-section message instead, to isolate the
dispatcher's own cost.

Run from the repository root::

    python -m bench.bench_tick
    python -m bench.bench_tick --backend postgresql --scales 1000 10000
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import random
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from slack_sdk import WebClient

from bench.bench_storage import (
    NOTIFICATION_COLUMNS,
    PG_URL,
    analyze,
    bulk_insert,
    database,
    load_committees,
    postgres_reachable,
)
from bot.delivery import tick as dispatch
from bot.notices import message
from bot.notices import registry as notices
from bot.planning import outbox
from storage.models import ActionItem, Notification, SlackUser
from tests.support.fakeslack import FakeSlack

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
USERS = 5_000


def stand_in_build(session, notification: Notification, *, now: datetime) -> message.OutgoingMessage | None:
    """Reads what a real builder reads for an action chase (the action, its owner), renders one section."""
    action = session.get(ActionItem, notification.action_id) if notification.action_id else None
    if action is not None and action.status not in ("open", "in_progress"):
        return None
    session.get(SlackUser, notification.recipient)
    text = f"{notification.kind}: {action.title if action else notification.key}"
    return message.OutgoingMessage(
        text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    )


def notification_row(
    key: str,
    kind: str,
    at: datetime,
    expires_at: datetime | None,
    recipient: str,
    *,
    committee_id: int,
    action_id: int | None = None,
    state: str = "pending",
    sent: tuple[datetime, str, str] | None = None,
) -> tuple:
    """One row in ``NOTIFICATION_COLUMNS`` order; ``sent``: (sent_at, channel, ts) of a posted one."""
    sent_at, channel, ts = sent if sent is not None else (None, None, None)
    attempts = 1 if sent is not None else 0
    return (
        key, kind, at, expires_at, recipient, committee_id, None, action_id, state, attempts,
        None, None, None, sent_at, channel, ts, None, {}, NOW, NOW,
    )  # fmt: skip


def load(engine, *, committees: int, actions: int, due: int) -> None:
    """A steady-state database of ``committees`` committees and ``actions`` open actions, ``due`` rows due now."""
    load_committees(engine, committees, now=NOW)
    rng = random.Random(3)
    bulk_insert(
        engine,
        "slack_user",
        ("user_id", "tz", "locale", "deleted", "is_admin"),
        ((f"U{i:06d}", "Europe/Paris", "fr-FR", False, False) for i in range(USERS)),
    )

    def action_rows() -> Iterator[tuple]:
        for i in range(actions):
            # The first ``due`` are overdue (chased now); the others due over the coming months.
            due_day = (
                NOW.date() - timedelta(days=5)
                if i < due
                else NOW.date() + timedelta(days=rng.randrange(-20, 200))
            )
            yield (
                f"Action {i}",
                f"U{i % USERS:06d}",
                "U000000",
                i % committees + 1,
                due_day,
                "medium",
                "open",
                0,
                NOW,
                NOW,
            )

    bulk_insert(
        engine,
        "action_item",
        (
            "title",
            "owner",
            "creator",
            "committee_id",
            "due",
            "priority",
            "status",
            "progress",
            "created_at",
            "updated_at",
        ),
        action_rows(),
    )

    def notification_rows() -> Iterator[tuple]:
        i = 0
        # Due now: overdue chases of the first ``due`` actions, to their owners.
        for n in range(due):
            at = NOW - timedelta(seconds=rng.randrange(1, 600))
            yield notification_row(
                f"a:{n + 1}:due:action_overdue:1", "action_overdue", at, at + timedelta(days=2),
                f"U{n % USERS:06d}", committee_id=n % committees + 1, action_id=n + 1,
            )  # fmt: skip
        # History and the coming weeks: 60 sent and 20 pending per committee, one pending per action.
        for c in range(committees):
            for k in range(80):
                i += 1
                if k < 60:
                    at = NOW - timedelta(hours=rng.randrange(1, 24 * 365))
                    yield notification_row(
                        f"h:{c}:{k}", "weekly_digest", at, None, f"C{c:07d}", committee_id=c + 1,
                        state="sent", sent=(at, f"C{c:07d}", f"{int(at.timestamp())}.{i % 1_000_000:06d}"),
                    )  # fmt: skip
                else:
                    at = NOW + timedelta(hours=rng.randrange(1, 24 * 14))
                    yield notification_row(
                        f"p:{c}:{k}", "meeting_reminder", at, at + timedelta(hours=1), f"C{c:07d}",
                        committee_id=c + 1,
                    )  # fmt: skip
        for a in range(due, actions):
            at = NOW + timedelta(hours=rng.randrange(1, 24 * 14))
            yield notification_row(
                f"a:{a + 1}:future", "action_due_soon", at, None, f"U{a % USERS:06d}",
                committee_id=a % committees + 1, action_id=a + 1,
            )  # fmt: skip

    bulk_insert(engine, "notification", NOTIFICATION_COLUMNS, notification_rows())
    marks: list[tuple[str, datetime | None, datetime, int | None]] = [
        (f"committee:{c + 1}", NOW + outbox.HORIZON, NOW, None) for c in range(committees)
    ]
    marks += [("seen:committee", None, NOW, committees), ("seen:action", None, NOW, actions)]
    bulk_insert(engine, "plan_mark", ("subject", "planned_until", "planned_at", "last_id"), marks)
    analyze(engine)


@contextlib.contextmanager
def slack_elsewhere() -> Iterator[str]:
    """The fake Slack in a process of its own (Slack is another machine): yields its API URL.

    In the benchmark's process it would compete with the dispatcher for the interpreter lock.
    """
    parent, child = multiprocessing.Pipe()

    def serve(connection) -> None:
        with FakeSlack() as fake:
            connection.send(fake.api_url)
            connection.recv()  # until told to stop

    process = multiprocessing.get_context("fork").Process(target=serve, args=(child,), daemon=True)
    process.start()
    try:
        yield parent.recv()
    finally:
        parent.send("stop")
        process.join(timeout=10)


def run(backend: str, committees: int, actions: int, due: int, quiet_runs: int) -> dict[str, float]:
    with database(backend) as engine, slack_elsewhere() as api_url:
        started = time.perf_counter()
        load(engine, committees=committees, actions=actions, due=due)
        loaded = time.perf_counter() - started
        client = WebClient(token="xoxb-bench", base_url=api_url)
        dispatch.tick(engine, client, now=NOW - timedelta(hours=1), worker="warm-up")  # connections, caches

        started = time.perf_counter()
        summary = dispatch.tick(engine, client, now=NOW, worker="bench")
        busy = time.perf_counter() - started
        assert summary.sent == due and summary.planned == 0 and summary.skipped == 0, summary

        quiet = []
        for n in range(quiet_runs):
            started = time.perf_counter()
            idle = dispatch.tick(engine, client, now=NOW + timedelta(seconds=n + 1), worker="bench")
            quiet.append(time.perf_counter() - started)
            assert idle.sent == 0 and idle.planned == 0, idle
    print(
        f"[{backend}] {committees:>6,} committees, {actions:>7,} actions (loaded in {loaded:5.1f} s): "
        f"tick with {due} due {busy * 1000:7.1f} ms ({busy * 1000 / max(due, 1):.2f} ms/message); "
        f"nothing due: median {statistics.median(quiet) * 1000:5.2f} ms, max {max(quiet) * 1000:5.2f} ms"
    )
    return {"busy": busy, "quiet": statistics.median(quiet)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--scales", type=int, nargs="+", default=[1_000, 10_000], help="committee counts (50 actions each)"
    )
    parser.add_argument("--due", type=int, default=200)
    parser.add_argument("--quiet-runs", type=int, default=30)
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="render a one-section stand-in instead of bot.notices.registry",
    )
    args = parser.parse_args()
    if args.stand_in:
        notices.build = stand_in_build
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not postgres_reachable():
        print(f"PostgreSQL unreachable at {PG_URL}: SQLite only")
        backends.remove("postgresql")
    for backend in backends:
        figures = {scale: run(backend, scale, scale * 50, args.due, args.quiet_runs) for scale in args.scales}
        if len(args.scales) >= 2:
            low, high = min(args.scales), max(args.scales)
            ratio = figures[high]["quiet"] / figures[low]["quiet"]
            print(f"[{backend}] nothing-due tick, {high:,} vs {low:,} committees: x{ratio:.2f} (target < 2)")


if __name__ == "__main__":
    main()
