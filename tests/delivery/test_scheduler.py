"""The scheduler only ticks (SPEC §9): one in-memory job, coalesced, one at a time, clean shutdown.

These tests run on the real clock (the scheduler is the one place that reads it), with short
intervals; the rows they send are due "now".
"""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery.scheduler import (
    JOB_ID,
    MISFIRE_GRACE_SECONDS,
    DispatchScheduler,
    start_background_scheduler,
)
from bot.planning import outbox
from storage.db import session_scope
from tests.support.chaos import cli, posts_of, slow_posts
from tests.support.outbox import TEST_KIND, posted_keys, rows


def due_now(engine, count: int) -> list[str]:
    """``count`` rows due a minute ago (real time), not tied to any committee."""
    now = datetime.now(UTC)
    keys = [f"sched:{i}" for i in range(count)]
    with session_scope(engine) as session:
        for key in keys:
            outbox.enqueue(
                session, kind=TEST_KIND, to="C0PROD", key=key, now=now, due_at=now - timedelta(minutes=1)
            )
    return keys


def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_one_tick_job_with_a_fixed_id_in_memory_coalesced_one_at_a_time(engine, client) -> None:
    scheduler = DispatchScheduler(engine, client, interval=45)
    scheduler.start(paused=True)  # job defaults apply when the job reaches its store
    try:
        [job] = scheduler.get_jobs()
        assert job.id == JOB_ID == "dispatch-tick"
        assert isinstance(job.trigger, IntervalTrigger) and job.trigger.interval == timedelta(seconds=45)
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, MISFIRE_GRACE_SECONDS)
        assert [type(store) for store in scheduler._jobstores.values()] == [MemoryJobStore]
    finally:
        scheduler.shutdown()


def test_the_background_scheduler_sends_what_is_due_then_stops(engine, fake, client) -> None:
    keys = due_now(engine, 5)

    scheduler = start_background_scheduler(engine, client, interval=0.2)
    try:
        wait_for(lambda: len(posted_keys(fake)) == 5)
        time.sleep(0.5)  # more ticks: nothing more to send
    finally:
        scheduler.shutdown()

    assert posted_keys(fake) == dict.fromkeys(keys, 1)
    assert {r.state for r in rows(engine, kind=TEST_KIND)} == {"sent"}


def test_shutdown_finishes_the_row_being_sent_and_gives_back_the_others(engine, fake, client) -> None:
    keys = due_now(engine, 20)
    slow_posts(fake, 0.2)

    scheduler = start_background_scheduler(engine, client, interval=60)
    wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 2)
    scheduler.shutdown()

    sent = [r for r in rows(engine, kind=TEST_KIND) if r.state == "sent"]
    pending = [r for r in rows(engine, kind=TEST_KIND) if r.state == "pending"]
    assert len(sent) == posts_of(fake, keys) and len(sent) < 20  # every post was recorded
    assert len(pending) == 20 - len(sent) and {r.claimed_by for r in pending} == {None}  # released


@pytest.mark.slow
def test_the_scheduler_command_stops_cleanly_on_sigterm_and_a_restart_finishes(
    engine, database, fake
) -> None:
    keys = due_now(engine, 15)
    slow_posts(fake, 0.2)

    worker = cli(database, fake, "scheduler", stand_in=True)
    wait_for(lambda: len(fake.calls_to("chat.postMessage")) >= 3, timeout=60)
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0, worker.stderr.read()

    pending = [r for r in rows(engine, kind=TEST_KIND) if r.state == "pending"]
    assert pending and {r.claimed_by for r in pending} == {None}
    fake._dispatch = type(fake)._dispatch.__get__(fake)

    again = cli(database, fake, "scheduler", stand_in=True)  # claims were released: no lease to wait for
    try:
        wait_for(lambda: {r.state for r in rows(engine, kind=TEST_KIND)} == {"sent"}, timeout=60)
    finally:
        again.send_signal(signal.SIGINT)
        assert again.wait(timeout=30) == 0, again.stderr.read()
    assert posted_keys(fake) == dict.fromkeys(keys, 1)
