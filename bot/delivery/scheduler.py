"""The clock that drives the dispatcher (SPEC §9): one APScheduler 3 job that ticks.

APScheduler keeps no state here: one interval job with a fixed id (``dispatch-tick``) in the
in-memory job store, coalesced, one instance at a time. What is due lives in the notification
table, so any number of processes may run this; never an SQLAlchemy job store, which APScheduler's
own FAQ says duplicates and misses jobs when processes share it.

This is the one place that reads the wall clock: each tick passes the real time to ``tick``.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot.delivery import tick

log = logging.getLogger(__name__)

JOB_ID = "dispatch-tick"
INTERVAL_SECONDS = 30
# A tick that could not start on time (the previous one ran long, the machine slept) still runs
# if it is less than this late; coalescing folds a backlog of missed ticks into one.
MISFIRE_GRACE_SECONDS = 60


class DispatchScheduler(BackgroundScheduler):
    """A background scheduler whose ``shutdown`` first asks the running tick to stop.

    The tick finishes the row it is sending, gives back the claims it has not started, and returns;
    then the scheduler stops.
    """

    def __init__(
        self,
        engine: Engine,
        client: WebClient,
        *,
        interval: float = INTERVAL_SECONDS,
        worker: str | None = None,
    ) -> None:
        super().__init__(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
            timezone=UTC,
        )
        self.stopping = threading.Event()
        self.engine = engine
        self.client = client
        self.worker = worker or tick.default_worker()
        self.add_job(
            self.run_tick,
            IntervalTrigger(seconds=interval, timezone=UTC),
            id=JOB_ID,
            name="dispatch due notifications",
            replace_existing=True,
            next_run_time=datetime.now(UTC),  # a first tick at once: catch up after downtime
        )

    def run_tick(self) -> tick.TickSummary | None:
        """One tick at the current time; errors are logged, the next tick tries again."""
        if self.stopping.is_set():
            return None
        now = datetime.now(UTC)
        try:
            summary = tick.tick(
                self.engine, self.client, now=now, worker=self.worker, should_stop=self.stopping.is_set
            )
        except Exception:
            log.exception("dispatch tick at %s failed", now.isoformat())
            return None
        if summary.sent or summary.failed or summary.retried or summary.stopped:
            log.info(summary.line(now))
        return summary

    def shutdown(self, wait: bool = True) -> None:
        self.stopping.set()
        super().shutdown(wait=wait)


def start_background_scheduler(
    engine: Engine, client: WebClient, *, interval: float = INTERVAL_SECONDS
) -> DispatchScheduler:
    """Start ticking in a background thread (``committee-bot serve``); call ``shutdown()`` to stop."""
    scheduler = DispatchScheduler(engine, client, interval=interval)
    scheduler.start()
    log.info("dispatcher ticking every %ss (worker %s)", interval, scheduler.worker)
    return scheduler


def run_worker(engine: Engine, client: WebClient, *, interval: float = INTERVAL_SECONDS) -> None:
    """Tick until SIGTERM or SIGINT (``committee-bot scheduler``), then stop cleanly.

    On a signal the tick in progress finishes the row it is sending, releases its other claims
    (they stay pending, for the next process) and the function returns.
    """
    done = threading.Event()

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping after the current send", signum)
        done.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler = start_background_scheduler(engine, client, interval=interval)
    try:
        while not done.wait(timeout=1.0):
            pass
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
