"""Benchmark of the first plan of a fresh installation: N committees just imported, one tick plans them.

What an operator sees after `config import` of a large file: the first `tick` (or the scheduler's
first pass) writes every committee's notifications for the coming 14 days, from 120 days back.
Planning must grow linearly with the number of committees (target: 5,000 within 10x the time of
500, and under 60 s).

Run from the repository root::

    python -m bench.bench_planning
    python -m bench.bench_planning --backend postgresql --scales 500 5000 10000
"""

from __future__ import annotations

import argparse
import time

import sqlalchemy as sa

from bench.bench_storage import NOW, database, load_committees, postgres_reachable
from bot import dispatch
from storage.db import write_session


def first_plan(backend: str, committees: int) -> tuple[float, int]:
    """Seconds taken by the first planning pass over ``committees`` new committees, and rows written."""
    with database(backend) as engine:
        load_committees(engine, committees, now=NOW)
        started = time.perf_counter()
        with write_session(engine) as session:
            rows = dispatch.plan_horizon(session, now=NOW, budget=None)
        elapsed = time.perf_counter() - started
        with engine.connect() as connection:
            stored = connection.execute(sa.text("select count(*) from notification")).scalar()
        assert stored == rows, (stored, rows)
        return elapsed, rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--scales", type=int, nargs="+", default=[500, 5_000, 10_000])
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not postgres_reachable():
        print("PostgreSQL unreachable (TEST_DATABASE_URL): skipping it")
        backends.remove("postgresql")
    for backend in backends:
        times: dict[int, float] = {}
        for scale in args.scales:
            elapsed, rows = first_plan(backend, scale)
            times[scale] = elapsed
            print(
                f"{backend:<10} {scale:>6} committees: first plan {elapsed:7.2f} s, {rows} notifications "
                f"({elapsed / scale * 1000:.2f} ms a committee)",
                flush=True,
            )
        if 500 in times and 5_000 in times:
            ratio = times[5_000] / times[500]
            verdict = "ok" if ratio <= 10 and times[5_000] < 60 else "TOO SLOW"
            print(f"{backend:<10} 5,000 / 500 = {ratio:.1f}x (target: at most 10x and under 60 s): {verdict}")


if __name__ == "__main__":
    main()
