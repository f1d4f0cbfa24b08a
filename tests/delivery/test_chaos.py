"""Exactly-once delivery under failure (SPEC §9): flaky Slack, killed processes, concurrent ticks.

Each scenario ends with the same two checks: every notification that was due is in Slack exactly
once (by the idempotency key in its message metadata), and the table says ``sent`` with that ts.
"""

from __future__ import annotations

import signal
import time
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.delivery import tick as dispatch
from bot.planning import outbox
from storage.db import session_scope
from storage.models import Notification
from tests.support.chaos import cli, posts_of, slow_posts
from tests.support.fakeslack import FakeSlack
from tests.support.outbox import (
    ONE_COMMITTEE,
    add_action,
    declare,
    due_rows,
    paris,
    planned_in,
    posted_keys,
    rows,
    tick,
)

pytestmark = pytest.mark.slow  # subprocesses and real servers: outside the quick loop


def many_committees(count: int) -> str:
    """``count`` weekly committees like the SPEC example, each with its own channel and people."""
    head, committee = ONE_COMMITTEE.split("committees:\n")
    blocks = [
        committee.replace("key: production", f"key: production{i}")
        .replace("C0PROD", f"C0PROD{i}")
        .replace("U0DECK", f"U0DECK{i}")
        .replace("U0SEC", f"U0SEC{i}")
        for i in range(count)
    ]
    return head + "committees:\n" + "".join(blocks)


def assert_each_sent_once(engine, fake: FakeSlack, keys) -> None:
    posted = posted_keys(fake)
    assert {key: posted[key] for key in keys} == dict.fromkeys(keys, 1)
    assert [key for key, count in posted.items() if count > 1] == []
    ts_by_key = {m.metadata["event_payload"]["key"]: m.ts for m in fake.messages() if m.metadata}
    for key in keys:
        [stored] = rows(engine, key=key)
        assert (key, stored.state, stored.ts) == (key, "sent", ts_by_key[key])


def travel(engine, client, start: datetime, end: datetime) -> int:
    """Tick at each instant something is due (planned or retried) from ``start`` to ``end``."""
    now, ticks = start, 0
    while now < end:
        tick(engine, client, now)
        ticks += 1
        with session_scope(engine) as session:
            pending = session.exec(select(Notification).where(Notification.state == "pending")).all()
        upcoming = [max(r.due_at, r.next_attempt_at or r.due_at) for r in pending]
        upcoming = [moment for moment in upcoming if moment > now] + [now + outbox.REFILL]
        now = min(upcoming)
    return ticks


# -- flaky Slack -----------------------------------------------------------------------------


def test_thirty_percent_of_calls_failing_still_delivers_everything_once(
    engine, fake, client, real_notices
) -> None:
    declare(engine, ONE_COMMITTEE)
    add_action(engine, due=date(2027, 1, 13))
    add_action(engine, owner="U0B", due=date(2027, 1, 20))
    start, end = paris(2027, 1, 4, 8, 0), paris(2027, 2, 1, 0, 0)
    due = [item.key for item in planned_in(engine, start, end)]
    fake.chaos(0.3, seed=7)

    travel(engine, client, start, end + timedelta(days=1))

    assert_each_sent_once(engine, fake, due)
    assert rows(engine, state="failed") == []
    failures = [c for c in fake.calls_to("chat.postMessage") if c.status != 200]
    assert len(failures) > 10  # the chaos did happen
    assert {c.status for c in failures} == {429, 500}


def test_posted_but_answered_500_under_load_is_never_posted_twice(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    keys = due_rows(engine, now, 20)
    fake.server_error("chat.postMessage", after_effect=True, times=7)

    travel(engine, client, now, now + timedelta(hours=3))

    assert_each_sent_once(engine, fake, keys)
    assert posts_of(fake, keys) == 20  # 7 posted-but-500, found again by key


# -- killed processes ------------------------------------------------------------------------


def test_a_tick_killed_mid_batch_then_restarted_loses_and_duplicates_nothing(engine, database, fake) -> None:
    declare(engine, many_committees(20))
    now = paris(2026, 12, 31, 9, 0)  # each committee: this week's digest, agenda request, deck reminder
    slow_posts(fake, 0.3)

    process = cli(database, fake, "tick", "--now", now.isoformat())
    deadline = time.monotonic() + 60
    while len(fake.calls_to("chat.postMessage")) < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)  # mid-send: messages are in Slack whose answers were not read
    process.wait(timeout=10)
    fake._dispatch = FakeSlack._dispatch.__get__(fake)  # Slack is fast again

    stranded = rows(engine, state="pending")
    assert any(r.claimed_by for r in stranded if r.due_at <= now)  # claims of the dead process
    assert len(posted_keys(fake)) > len(rows(engine, state="sent"))  # posted, not recorded

    # Restarted before the lease ends, the dead claims wait; after it, they are taken over.
    for later in (now + timedelta(minutes=1), now + dispatch.LEASE + timedelta(seconds=1)):
        restart = cli(database, fake, "tick", "--now", later.isoformat())
        assert restart.wait(timeout=120) == 0, restart.stderr.read()

    due = [r for r in rows(engine) if r.due_at <= now]
    assert len(due) == 60 and {r.state for r in due} == {"sent"}
    assert_each_sent_once(engine, fake, [r.key for r in due])
    assert posts_of(fake, [r.key for r in due]) == 60  # those posted at the kill were found, not re-posted


# -- concurrent ticks ------------------------------------------------------------------------


def test_three_ticks_at_once_send_each_notification_once(engine, database, fake) -> None:
    declare(engine, many_committees(20))
    add_action(engine, due=date(2027, 1, 4), committee="production0")  # due soon on the 31st, 09:00
    now = paris(2026, 12, 31, 9, 0)
    slow_posts(fake, 0.01)

    processes = [cli(database, fake, "tick", "--now", now.isoformat()) for _ in range(3)]
    outputs = [p.communicate(timeout=180) for p in processes]

    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    summaries = [out.strip().splitlines()[-1] for out, _err in outputs]
    assert all(s.startswith(f"tick {now.isoformat()}: planned ") for s in summaries), summaries
    due = [r for r in rows(engine) if r.due_at <= now]
    assert len(due) == 61 and {r.state for r in due} == {"sent"}
    assert_each_sent_once(engine, fake, [r.key for r in due])
    sent_by = [int(s.split("sent ")[1].split(",")[0]) for s in summaries]
    assert sum(sent_by) == 61 == len(fake.calls_to("chat.postMessage"))


def test_tick_refuses_an_instant_without_offset_and_changes_nothing(engine, database, fake) -> None:
    declare(engine, ONE_COMMITTEE)
    process = cli(database, fake, "tick", "--now", "2027-01-05T09:00")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "has no UTC offset (write e.g. 2027-01-05T09:00+01:00 or 2027-01-05T09:00Z)" in err
    assert rows(engine) == [] and fake.calls == []
