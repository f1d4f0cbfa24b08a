"""Benchmarks of the outbox's storage (SPEC §9), on SQLite and PostgreSQL.

1. The dispatcher's hot query — pending notifications due now, oldest first — over 1,000,000
   notification rows: its query plan (it must use ix_notification_pending_due) and its time
   (target: under 20 ms), with the claim itself (select + mark claimed, rolled back).
2. Planning one year for 1,000 committees: ``plan_window`` over the year, then writing the rows
   the way the dispatcher's horizon does (``outbox.upsert``: meetings materialised, keys inserted).

Run from the repository root::

    python -m bench.bench_storage                       # SQLite in a temp dir, PostgreSQL if reachable
    python -m bench.bench_storage --rows 200000 --committees 200 --backend sqlite

PostgreSQL comes from TEST_DATABASE_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test);
each run works in a schema of its own, dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import make_engine, session_scope, upgrade, write_session

PG_URL = os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
KINDS = (
    "agenda_request",
    "deck_reminder",
    "agenda_published",
    "meeting_reminder",
    "minutes_request",
    "minutes_overdue",
    "weekly_digest",
    "action_due_soon",
    "action_overdue",
)

NOTIFICATION_COLUMNS = (
    "key",
    "kind",
    "due_at",
    "expires_at",
    "recipient",
    "committee_id",
    "meeting_id",
    "action_id",
    "state",
    "attempts",
    "next_attempt_at",
    "claimed_at",
    "claimed_by",
    "sent_at",
    "channel",
    "ts",
    "error",
    "data",
    "created_at",
    "updated_at",
)


# -- databases ---------------------------------------------------------------------------------


@contextlib.contextmanager
def database(backend: str) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file in a temp dir, or a PostgreSQL schema dropped after."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
            upgrade(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'create schema "{schema}"'))
    engine = make_engine(PG_URL, schema=schema)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(sa.text(f'drop schema if exists "{schema}" cascade'))
        admin.dispose()


def postgres_reachable() -> bool:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as connection:
            connection.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _sqlite_value(value):
    """What SQLAlchemy stores on SQLite: UTC datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff', JSON as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def bulk_insert(engine: Engine, table: str, columns: tuple[str, ...], rows) -> int:
    """Fast load: COPY on PostgreSQL, one executemany on SQLite. ``rows`` yields tuples."""
    count = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([json.dumps(v) if isinstance(v, (dict, list)) else v for v in row])
                    count += 1
        else:
            cursor.execute("PRAGMA synchronous=OFF")
            batch: list[tuple] = []
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
            cursor.execute("BEGIN")
            for row in rows:
                batch.append(tuple(_sqlite_value(v) for v in row))
                if len(batch) == 50_000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch.clear()
            cursor.executemany(sql, batch)
            count += len(batch)
            cursor.execute("COMMIT")
            cursor.execute("PRAGMA synchronous=NORMAL")
        raw.commit()
    finally:
        raw.close()
    return count


def analyze(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(sa.text("ANALYZE"))


def notification_rows(
    total: int, *, due_now: int, now: datetime = NOW, seed: int = 1, committees: int = 0, actions: int = 0
) -> Iterator[tuple]:
    """``total`` rows like a year of service: 70 % sent, 5 % skipped or failed, the rest pending in
    the coming month, ``due_now`` pending and due in the last ten minutes, 100 waiting for a retry."""
    rng = random.Random(seed)
    year = 365 * 24 * 3600
    retry = 100
    for i in range(total):
        kind = KINDS[i % len(KINDS)]
        committee_id = (i % committees) + 1 if committees else None
        action_id = (i % actions) + 1 if actions and kind.startswith("action_") else None
        attempts, next_attempt_at, sent_at, ts, channel = 0, None, None, None, None
        if i < due_now:
            state, due = "pending", now - timedelta(seconds=rng.randrange(1, 600))
        elif i < due_now + retry:
            state, due = "pending", now - timedelta(minutes=rng.randrange(10, 120))
            attempts, next_attempt_at = 2, now + timedelta(minutes=5)
        else:
            roll = rng.random()
            if roll < 0.70:
                state, due = "sent", now - timedelta(seconds=rng.randrange(600, year))
                sent_at, ts, channel = due, f"{int(due.timestamp())}.{i % 1_000_000:06d}", "C0BENCH"
            elif roll < 0.75:
                state, due = (
                    ("skipped" if roll < 0.74 else "failed"),
                    now - timedelta(seconds=rng.randrange(600, year)),
                )
            else:
                state, due = "pending", now + timedelta(seconds=rng.randrange(60, 30 * 24 * 3600))
        recipient = (
            f"U{i % 5000:06d}" if kind in ("deck_reminder", "minutes_request") or action_id else "C0BENCH"
        )
        yield (
            f"bench:{i}",
            kind,
            due,
            None,
            recipient,
            committee_id,
            None,
            action_id,
            state,
            attempts,
            next_attempt_at,
            None,
            None,
            sent_at,
            channel,
            ts,
            None,
            {},
            now,
            now,
        )


# -- 1. the due query --------------------------------------------------------------------------


def explain(engine: Engine, query: sa.Select) -> str:
    compiled = query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(prefix + str(compiled)).all()
    if engine.dialect.name == "sqlite":
        return "\n".join(str(row[-1]) for row in rows)
    return "\n".join(str(row[0]) for row in rows)


def timed(function, *, runs: int = 30) -> tuple[float, float]:
    """(median, max) milliseconds over ``runs`` runs, after one warm-up."""
    function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), max(samples)


def bench_due_query(backend: str, total: int) -> None:
    from bot.delivery import tick as dispatch
    from storage import notifications as store

    with database(backend) as engine:
        started = time.perf_counter()
        loaded = bulk_insert(
            engine, "notification", NOTIFICATION_COLUMNS, notification_rows(total, due_now=200)
        )
        analyze(engine)
        load_s = time.perf_counter() - started
        query = store.due_query(now=NOW, stale_before=NOW - dispatch.LEASE, limit=200)
        plan = explain(engine, query)

        def select_due() -> None:
            with engine.connect() as connection:
                found = connection.execute(query).all()
            assert len(found) == 200, len(found)

        def claim_and_roll_back() -> None:
            with engine.connect() as connection:
                if backend == "sqlite":
                    connection.info["sqlite_begin"] = "BEGIN IMMEDIATE"
                transaction = connection.begin()
                claimed = store.claim_due(
                    connection, now=NOW, stale_before=NOW - dispatch.LEASE, worker="bench", limit=200
                )
                transaction.rollback()
            assert len(claimed) == 200

        query_ms = timed(select_due)
        claim_ms = timed(claim_and_roll_back)
    uses_index = "ix_notification_pending_due" in plan
    print(f"\n[{backend}] pending notifications due now, {loaded:,} rows (loaded in {load_s:.1f} s)")
    print("  plan: " + plan.replace("\n", "\n        "))
    print(f"  uses ix_notification_pending_due: {'yes' if uses_index else 'NO'}")
    print(
        f"  select 200 due rows : median {query_ms[0]:6.2f} ms, max {query_ms[1]:6.2f} ms  (target < 20 ms)"
    )
    print(f"  claim 200 (+rollback): median {claim_ms[0]:6.2f} ms, max {claim_ms[1]:6.2f} ms")


# -- 2. planning a year ------------------------------------------------------------------------

CADENCES = (
    ("production", "weekly"),
    ("qualite", "monthly"),
    ("pilotage", "monthly"),
    ("strategique", "semiannual"),
)


def load_committees(engine: Engine, count: int, *, now: datetime = NOW) -> None:
    """``count`` committees of the four kinds (weekly, monthly, monthly, semiannual), Paris, French holidays."""
    with session_scope(engine) as session:
        from storage.committees import get_workspace

        get_workspace(session)
    columns = (
        "key",
        "name",
        "kind",
        "channel",
        "cadence",
        "first",
        "duration",
        "timezone",
        "locale",
        "chair",
        "secretary",
        "deck_owner",
        "holiday_policy",
        "timeline",
        "feed_token",
        "active",
        "created_at",
        "updated_at",
    )

    def rows() -> Iterator[tuple]:
        for i in range(count):
            kind, cadence = CADENCES[i % len(CADENCES)]
            first = datetime(2027, 1, 4 + i % 5, 9 + i % 8, 0)  # naive local wall-clock time
            yield (
                f"c{i:05d}",
                f"Committee {i}",
                kind,
                f"C{i:07d}",
                cadence,
                first,
                60,
                "Europe/Paris",
                "fr",
                f"U{i % 5000:06d}",
                f"U{(i + 1) % 5000:06d}",
                f"U{(i + 2) % 5000:06d}",
                "next_business_day",
                {},
                uuid.uuid4().hex,
                True,
                now,
                now,
            )

    bulk_insert(engine, "committee", columns, rows())


def bench_plan_year(backend: str, committees: int) -> None:
    from bot.planning import outbox
    from bot.planning.window import plan_window

    start, end = datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC)
    with database(backend) as engine:
        load_committees(engine, committees)
        analyze(engine)
        with session_scope(engine) as session:
            t0 = time.perf_counter()
            planned = plan_window(session, start=start, end=end)
            t1 = time.perf_counter()
        with write_session(engine) as session:
            t2 = time.perf_counter()
            result = outbox.upsert(session, planned, now=start)
            t3 = time.perf_counter()
        with engine.connect() as connection:
            meetings = connection.execute(sa.text("select count(*) from meeting")).scalar()
    print(
        f"\n[{backend}] planning one year for {committees:,} committees (weekly/monthly/monthly/semiannual)"
    )
    print(f"  plan_window            : {len(planned):,} notifications in {t1 - t0:6.2f} s")
    print(f"  write (upsert + meetings): {result.inserted:,} rows, {meetings:,} meetings in {t3 - t2:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="notification rows for the due query")
    parser.add_argument("--committees", type=int, default=1_000, help="committees planned for a year")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--skip", choices=("query", "plan"), action="append", default=[])
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not postgres_reachable():
        print(f"PostgreSQL unreachable at {PG_URL}: SQLite only")
        backends.remove("postgresql")
    for backend in backends:
        if "query" not in args.skip:
            bench_due_query(backend, args.rows)
        if "plan" not in args.skip:
            bench_plan_year(backend, args.committees)


if __name__ == "__main__":
    main()
