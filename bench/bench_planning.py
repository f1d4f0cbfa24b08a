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
from bot.planning import horizon
from storage.db import write_session


def first_plan(backend: str, committees: int) -> tuple[float, float, int]:
    """Wall and CPU seconds (this process) of the first planning pass over ``committees`` new
    committees, and the rows written. CPU time is what to compare on a shared, busy machine."""
    with database(backend) as engine:
        load_committees(engine, committees, now=NOW)
        started, cpu = time.perf_counter(), time.process_time()
        with write_session(engine) as session:
            rows = horizon.plan_horizon(session, now=NOW, budget=None)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        with engine.connect() as connection:
            stored = connection.execute(sa.text("select count(*) from notification")).scalar()
        assert stored == rows, (stored, rows)
        return elapsed, cpu, rows


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
        cpus: dict[int, float] = {}
        for scale in args.scales:
            elapsed, cpu, rows = first_plan(backend, scale)
            times[scale], cpus[scale] = elapsed, cpu
            print(
                f"{backend:<10} {scale:>6} committees: first plan {elapsed:7.2f} s wall, {cpu:7.2f} s CPU, "
                f"{rows} notifications ({elapsed / scale * 1000:.2f} ms wall a committee)",
                flush=True,
            )
        if 500 in times and 5_000 in times:
            ratio, cpu_ratio = times[5_000] / times[500], cpus[5_000] / cpus[500]
            verdict = "ok" if ratio <= 10 and times[5_000] < 60 else "TOO SLOW"
            print(
                f"{backend:<10} 5,000 / 500 = {ratio:.1f}x wall, {cpu_ratio:.1f}x CPU "
                f"(target: at most 10x and under 60 s): {verdict}"
            )


if __name__ == "__main__":
    main()
