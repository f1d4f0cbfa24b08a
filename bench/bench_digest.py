"""Benchmark: the weekly digests of 2,000 channels (SPEC §6), target under 5 seconds.

Fills a fresh database with committees that each have twelve weeks of meetings (decks and minutes,
some late), topics, decisions and open actions, then renders every channel's digest at Monday 09:00:

- ``bulk``: ``weekly_digests`` over all committees at once (a fixed number of queries);
- ``build_many``: the dispatcher's batch entry point over every channel's ``weekly_digest`` row;
- ``one by one``: ``notices.build`` for each row (shown for comparison: ~6 queries per digest).

Usage::

    python bench/bench_digest.py [--channels 2000] [--url sqlite:///...|postgresql+psycopg://...]

Without ``--url`` it uses a SQLite file in a temporary directory.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from sqlmodel import Session, select

from bot.notices.digest import weekly_digests
from bot.notices.registry import build, build_many
from storage.db import make_engine, upgrade
from storage.models import (
    ActionItem,
    AgendaItem,
    Committee,
    Decision,
    Meeting,
    Notification,
    WorkspaceSettings,
    id_of,
)

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # Monday 09:00 Paris
PARIS = ZoneInfo("Europe/Paris")
TARGET_SECONDS = 5.0


def fill(session: Session, channels: int, seed: int = 7) -> list[Committee]:
    """``channels`` committees, each with 13 weekly meetings around NOW, topics, decisions, actions."""
    rng = random.Random(seed)
    session.add(WorkspaceSettings(timezone="Europe/Paris", locale="fr", holidays="FR"))
    committees = [
        Committee(
            key=f"c{i:05d}",
            name=f"Comité {i}",
            kind=("production", "qualite", "pilotage", "strategique")[i % 4],
            channel=f"C{i:08d}",
            cadence="weekly",
            first=datetime(2026, 9, 1 + i % 5, 9 + i % 8, 0),
            timezone="Europe/Paris",
            locale=("fr", "en")[i % 2],
            chair=f"UCHAIR{i}",
            secretary=f"USEC{i}",
            deck_owner=f"UDECK{i}",
            feed_token=f"feed-{i}",
        )
        for i in range(channels)
    ]
    session.add_all(committees)
    session.flush()

    meetings: list[Meeting] = []
    for committee in committees:
        first = committee.first.replace(tzinfo=PARIS)
        weeks = (NOW - first.astimezone(UTC)).days // 7
        for week in range(weeks - 12, weeks + 2):
            start = (first + timedelta(weeks=week)).astimezone(UTC)
            late = rng.random() < 0.25
            meeting = Meeting(
                committee_id=id_of(committee),
                series_start=start,
                start=start,
                end=start + timedelta(hours=1),
                deck_shared_at=start - timedelta(days=(1 if late else 3)),
                deck_link="https://drive.example.com/deck",
            )
            if start + timedelta(days=2) < NOW:
                meeting.minutes_submitted_at = meeting.minutes_posted_at = start + timedelta(
                    days=(4 if late else 1)
                )
            meetings.append(meeting)
    session.add_all(meetings)
    session.flush()

    rows: list[object] = []
    for meeting in meetings:
        if meeting.start > NOW - timedelta(days=8):
            rows += [
                AgendaItem(meeting_id=id_of(meeting), title=f"Sujet {n}", proposer="UMEMBER", duration=15)
                for n in range(3)
            ]
        if NOW - timedelta(days=7) <= meeting.start < NOW:
            rows += [
                Decision(
                    meeting_id=id_of(meeting),
                    text=f"Décision {n} & <suite>",
                    recorded_by="USEC",
                    recorded_at=meeting.end,
                )
                for n in range(2)
            ]
    for committee in committees:
        for n in range(8):
            due = date(2027, 2, 1) + timedelta(days=rng.randrange(0, 90))
            done = n < 3
            rows.append(
                ActionItem(
                    title=f"Action {n} du comité {committee.id}",
                    owner=f"UOWNER{rng.randrange(5)}",
                    creator=committee.chair,
                    committee_id=id_of(committee),
                    due=due,
                    status="done" if done else "open",
                    closed_at=datetime.combine(due, datetime.min.time(), PARIS)
                    + timedelta(hours=rng.choice((10, 40)))
                    if done
                    else None,
                )
            )
        rows.append(
            Notification(
                key=f"d:{committee.key}:2027-03-22",
                kind="weekly_digest",
                due_at=NOW,
                recipient=committee.channel,
                committee_id=id_of(committee),
                data={"week": "2027-03-22"},
            )
        )
    session.add_all(rows)
    session.commit()
    return committees


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=2000)
    parser.add_argument("--url", help="database URL (default: a SQLite file in a temporary directory)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench.db"
        schema = None
        if url.startswith("postgresql"):
            # A schema of its own, dropped at the end: the server may be shared.
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with make_engine(url).begin() as connection:
                connection.execute(sa.text(f'create schema "{schema}"'))
        engine = make_engine(url, schema=schema)
        upgrade(engine)
        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            committees = fill(session, args.channels)
        print(
            f"filled {args.channels} channels in {time.perf_counter() - started:.1f} s ({engine.dialect.name})"
        )

        with Session(engine) as session:
            started, cpu = time.perf_counter(), time.process_time()
            digests = weekly_digests(session, committees=committees, now=NOW)
            bulk, bulk_cpu = time.perf_counter() - started, time.process_time() - cpu
        blocks = [len(d.blocks) for d in digests.values()]
        chars = [sum(len(str(b)) for b in d.blocks) for d in digests.values()]
        # CPU time too: on a shared machine the wall clock also counts other processes' turns.
        print(
            f"bulk:       {len(digests)} digests in {bulk:.2f} s, {bulk_cpu:.2f} s CPU ({1000 * bulk / len(digests):.2f} ms each)"
        )
        print(
            f"            blocks per digest: median {statistics.median(blocks)}, max {max(blocks)}; "
            f"payload median {statistics.median(chars)} chars"
        )

        with Session(engine) as session:
            notifications = session.exec(
                select(Notification).where(Notification.kind == "weekly_digest")
            ).all()
            started, cpu = time.perf_counter(), time.process_time()
            batch = build_many(session, notifications, now=NOW)
            batched, batched_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert all(m is not None for m in batch)
        print(
            f"build_many: {len(batch)} digests in {batched:.2f} s, {batched_cpu:.2f} s CPU ({1000 * batched / len(batch):.2f} ms each)"
        )

        with Session(engine) as session:
            notifications = session.exec(
                select(Notification).where(Notification.kind == "weekly_digest")
            ).all()
            started, cpu = time.perf_counter(), time.process_time()
            built = [build(session, n, now=NOW) for n in notifications]
            one_by_one, one_cpu = time.perf_counter() - started, time.process_time() - cpu
        assert all(m is not None for m in built)
        print(
            f"one by one: {len(built)} digests in {one_by_one:.2f} s, {one_cpu:.2f} s CPU ({1000 * one_by_one / len(built):.2f} ms each)"
        )
        engine.dispose()
        if schema:
            with make_engine(url).begin() as connection:
                connection.execute(sa.text(f'drop schema "{schema}" cascade'))

    # The target holds for the batch paths; one-by-one ``build`` is shown for comparison.
    verdict = "OK" if max(bulk, batched) < TARGET_SECONDS else "SLOW"
    print(f"target < {TARGET_SECONDS:.0f} s for {args.channels} channels: {verdict}")
    return 0 if verdict == "OK" else 1


if __name__ == "__main__":
    sys.exit(main())
