"""Prometheus metrics (``GET /metrics``, text format), with prometheus-client.

What is counted, where:
- ``committee_bot_notifications_total{kind,outcome}``: each notification a tick handled (outcome
  ``sent``, ``failed``, ``retried``, ``skipped``), counted by the dispatcher;
- ``committee_bot_slack_ratelimited_total``: Slack answers HTTP 429 (the dispatcher waits and retries);
- ``committee_bot_ack_seconds{type}``: from a request's arrival to its answer on ``POST /slack/events``
  (the acknowledgement Slack waits 3 s for), by request type (``command``, ``block_actions``,
  ``view_submission``, ``event_callback``, ...), and the same for Socket Mode envelopes;
- ``committee_bot_tick_seconds`` and ``committee_bot_planning_seconds``: how long ticks and their
  planning pass take; ``committee_bot_last_tick_timestamp_seconds``: when the last one ended;
- ``committee_bot_oldest_due_seconds``: how late the oldest pending notification is, read from the
  database when ``/metrics`` is scraped (so the web process reports it even when the scheduler runs
  in another process).

Processes. ``serve --http`` runs one gunicorn worker (threads, not processes: see bot/serve.py), so
the process's default registry is the whole picture and no multiprocess directory is needed. A
separate ``committee-bot scheduler`` process counts its ticks and sends in its own memory: set
``METRICS_PORT`` to have it serve ``/metrics`` on that port too (``start_worker_metrics``).
"""

from __future__ import annotations

import contextlib
import os
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from sqlalchemy.engine import Engine
from sqlmodel import col

from storage.models import Notification

# Ack latencies: Slack gives up at 3 s; the buckets are finer where the answers should be.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
TICK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

NOTIFICATIONS = Counter(
    "committee_bot_notifications",
    "Notifications handled by the dispatcher, by kind and outcome (sent, failed, retried, skipped).",
    ("kind", "outcome"),
)
RATE_LIMITED = Counter("committee_bot_slack_ratelimited", "Slack Web API answers HTTP 429 (rate limited).")
ACK_SECONDS = Histogram(
    "committee_bot_ack_seconds",
    "Time from a Slack request's arrival to its acknowledgement, by request type.",
    ("type",),
    buckets=ACK_BUCKETS,
)
TICK_SECONDS = Histogram(
    "committee_bot_tick_seconds", "Duration of one dispatcher tick.", buckets=TICK_BUCKETS
)
PLANNING_SECONDS = Histogram(
    "committee_bot_planning_seconds", "Duration of one tick's planning pass.", buckets=TICK_BUCKETS
)
LAST_TICK = Gauge("committee_bot_last_tick_timestamp_seconds", "When the last tick of this process ended.")
OLDEST_DUE = Gauge(
    "committee_bot_oldest_due_seconds",
    "Age of the oldest pending notification that is due (0 when nothing is late).",
)


def count_notification(kind: str, outcome: str) -> None:
    """One notification handled: ``outcome`` is sent, failed, retried or skipped."""
    NOTIFICATIONS.labels(kind=kind, outcome=outcome).inc()


def count_rate_limited() -> None:
    RATE_LIMITED.inc()


def observe_ack(request_type: str, seconds: float) -> None:
    ACK_SECONDS.labels(type=request_type or "unknown").observe(seconds)


def observe_tick(seconds: float, *, planning: float | None) -> None:
    TICK_SECONDS.observe(seconds)
    if planning is not None:
        PLANNING_SECONDS.observe(planning)
    LAST_TICK.set_to_current_time()


def oldest_due_seconds(engine: Engine, *, now: datetime) -> float:
    """How late the oldest pending, due notification is (0 when none is), one indexed query."""
    with engine.connect() as connection:
        oldest = connection.execute(
            sa.select(sa.func.min(Notification.due_at)).where(
                col(Notification.state) == "pending", col(Notification.due_at) <= now
            )
        ).scalar()
    if oldest is None:
        return 0.0
    oldest = oldest.replace(tzinfo=UTC) if oldest.tzinfo is None else oldest
    return max(0.0, (now - oldest).total_seconds())


def exposition(engine: Engine | None = None, *, now: datetime | None = None) -> tuple[bytes, str]:
    """The text exposition (body, content type), the oldest-due gauge read first when ``engine``."""
    if engine is not None:
        # The database being down must not hide the other metrics.
        with contextlib.suppress(Exception):
            OLDEST_DUE.set(oldest_due_seconds(engine, now=now or datetime.now(UTC)))
    return generate_latest(), CONTENT_TYPE_LATEST


def start_worker_metrics(engine: Engine, environ: dict[str, str] | None = None) -> int | None:
    """In ``committee-bot scheduler``: serve ``/metrics`` on ``METRICS_PORT`` when it is set."""
    env = os.environ if environ is None else environ
    raw = env.get("METRICS_PORT")
    if not raw:
        return None
    port = int(raw)

    class _Oldest:
        def collect(self):  # type: ignore[no-untyped-def]
            with contextlib.suppress(Exception):
                OLDEST_DUE.set(oldest_due_seconds(engine, now=datetime.now(UTC)))
            return []

    REGISTRY.register(_Oldest())
    start_http_server(port)
    return port
