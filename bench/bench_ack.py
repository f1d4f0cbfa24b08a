"""Ack latency of ``committee-bot serve --http`` against a bare Bolt app, and the memory it takes.

What it does, on loopback only and in bounded time (about 20 s with the defaults):

1. a SQLite database with 1,000 committees and 100,000 action items;
2. the fake Slack Web API (tests/fakeslack.py) in its own process;
3. ``committee-bot serve --http --no-scheduler`` (gunicorn, gthread) and, beside it, a bare Bolt app
   (``process_before_response=True``, a slash command answered with ``ack()`` only) served by the same
   gunicorn configuration;
4. 20 concurrent clients with keep-alive connections send signed ``/action`` commands for a few
   seconds to each: the bare app, ``/action list all`` and ``/action add …``; the latency of each
   HTTP answer (the ack) is recorded;
5. prints p50/p99/max per target, the ratio to the bare app's p99, and the RSS of the ``serve``
   worker (and master) after the load.

Run it from the repository root: ``.venv/bin/python bench/bench_ack.py [--seconds 3] [--clients 20]``.
Targets: p99 within 1.5x the bare app and under 100 ms; RSS under 150 MB.
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-signing-secret"
COMMITTEES = 1_000
ACTIONS = 100_000
USERS = 500


# -- the database ---------------------------------------------------------------------------


def seed(url: str) -> None:
    """1,000 committees (channel C0001…), 100,000 open items, 500 users with a cached profile."""
    import sqlalchemy as sa

    from storage.db import make_engine, upgrade
    from storage.models import ActionItem, Committee, SlackUser, WorkspaceSettings

    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            sa.insert(WorkspaceSettings),
            [
                {
                    "team_id": "default",
                    "timezone": "Europe/Paris",
                    "locale": "fr",
                    "holidays": "FR",
                    "workdays": "mon,tue,wed,thu,fri",
                    "admins": [],
                }
            ],
        )
        connection.execute(
            sa.insert(Committee),
            [
                {
                    "key": f"committee-{n:04d}",
                    "name": f"Comité {n:04d}",
                    "kind": "production",
                    "channel": f"C{n:04d}",
                    "cadence": "weekly",
                    "first": datetime(2027, 1, 5, 10, 0),
                    "duration": 60,
                    "timezone": "Europe/Paris",
                    "locale": "fr",
                    "chair": user(n),
                    "secretary": user(n + 1),
                    "deck_owner": user(n + 2),
                    "holiday_policy": "next_business_day",
                    "timeline": {},
                    "feed_token": f"feed-{n:04d}",
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(1, COMMITTEES + 1)
            ],
        )
        connection.execute(
            sa.insert(SlackUser),
            [
                {
                    "user_id": user(n),
                    "tz": "Europe/Paris",
                    "locale": "fr-FR",
                    "deleted": False,
                    "is_admin": False,
                    "fetched_at": now,
                }
                for n in range(USERS)
            ],
        )
        today = date.today()
        rows = [
            {
                "title": f"Action {n}",
                "owner": user(n),
                "creator": user(n + 7),
                "committee_id": 1 + n % COMMITTEES,
                "due": today + timedelta(days=n % 60 - 20),
                "priority": "medium",
                "status": "open",
                "progress": 0,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(ACTIONS)
        ]
        for start in range(0, len(rows), 10_000):
            connection.execute(sa.insert(ActionItem), rows[start : start + 10_000])
    engine.dispose()


def user(n: int) -> str:
    return f"U{n % USERS:05d}"


# -- the processes --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_fake() -> None:
    """``--fake``: the fake Slack Web API until stdin closes."""
    from tests.support.fakeslack import FakeSlack

    with FakeSlack() as fake:
        for n in range(USERS):
            fake.add_user(user(n))
        print(fake.api_url.removesuffix("/api/"), flush=True)
        sys.stdin.read()


def run_bare(port: int, api_url: str) -> None:
    """``--bare PORT``: a bare Bolt app (ack only) under the same gunicorn configuration as serve."""
    from gunicorn.app.base import BaseApplication
    from slack_bolt import App
    from slack_bolt.adapter.wsgi import SlackRequestHandler
    from slack_sdk import WebClient

    from bot.run.serve import gunicorn_options

    class Bare(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(host="127.0.0.1", port=port).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            app = App(
                client=WebClient(token="xoxb-bench", base_url=api_url),
                signing_secret=SECRET,
                process_before_response=True,
                token_verification_enabled=False,
            )

            @app.command("/action")
            def ack_only(ack: Any) -> None:
                ack()

            return SlackRequestHandler(app)

    Bare().run()


def wait_up(port: int, path: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"process {process.args!r} exited with {process.returncode}"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            connection.getresponse().read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"port {port} did not come up")


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in kB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def pss_kb(pid: int) -> int:
    """Proportional set size in kB: pages shared with the master after the fork count by half."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


# -- the load -------------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    latencies: list[float]
    errors: int
    seconds: float

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    def line(self, floor: float | None) -> str:
        p50, p99 = self.pct(0.50), self.pct(0.99)
        ratio = f"{p99 / floor:5.2f}x" if floor else "   — "
        rate = len(self.latencies) / self.seconds
        return f"{self.name:<22} {len(self.latencies):>6} {rate:>8.0f}/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  max {max(self.latencies) * 1000:6.1f} ms  {ratio}  errors {self.errors}"


def load(
    name: str,
    port: int,
    texts: list[str],
    fake_url: str,
    *,
    clients: int,
    seconds: float,
    warmup: float = 0.5,
) -> Result:
    """``clients`` threads, each on one keep-alive connection, sending signed commands in a closed loop."""
    from tests.support.slackhttp import command_body, sign

    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    start = time.monotonic()
    measure_from, end = start + warmup, start + warmup + seconds

    def client(index: int) -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = 0
        while True:
            now = time.monotonic()
            if now >= end:
                break
            who = user(index)
            text = texts[n % len(texts)].format(n=n, client=index)
            channel = f"C{1 + index % 50:04d}"
            body = command_body(
                "/action",
                text,
                user=who,
                channel=channel,
                trigger_id=f"t{index}-{n}",
                response_url=f"{fake_url}/response/{channel}/{who}",
            )
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret=SECRET)}
            sent = time.perf_counter()
            try:
                connection.request("POST", "/slack/events", body=body.encode(), headers=headers)
                answer = connection.getresponse()
                answer.read()
                ok = answer.status == 200
            except OSError:
                ok = False
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            took = time.perf_counter() - sent
            if now >= measure_from:
                with lock:
                    if ok:
                        latencies.append(took)
                    else:
                        errors += 1
            n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(name, latencies, errors, seconds)


def warm_up(port: int, fake_url: str) -> None:
    """Every code path once or more, one request at a time: lists, adds, App Homes."""
    from tests.support.slackhttp import command_body, event_body, sign

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def send(body: str, content_type: str) -> None:
        connection.request(
            "POST",
            "/slack/events",
            body=body.encode(),
            headers={"Content-Type": content_type, **sign(body, secret=SECRET)},
        )
        connection.getresponse().read()

    for n in range(50):
        for text in ("list all", f"add <@U00002> Warm-up {n} d'ici vendredi"):
            body = command_body(
                "/action",
                text,
                user=user(n),
                channel="C0001",
                response_url=f"{fake_url}/response/C0001/{user(n)}",
            )
            send(body, "application/x-www-form-urlencoded")
            time.sleep(0.02)
    for n in range(20):
        send(
            event_body(
                {
                    "type": "app_home_opened",
                    "user": user(100 + n),
                    "channel": "D0",
                    "tab": "home",
                    "event_ts": f"{n}.0",
                }
            ),
            "application/json",
        )
        time.sleep(0.05)


# -- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds of load per target (default 3)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--fake", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fake:
        return run_fake()
    if args.bare:
        return run_bare(args.bare, args.api_url)

    workdir = Path(tempfile.mkdtemp(prefix="bench-ack-"))
    url = f"sqlite:///{workdir}/bench.db"
    started = time.monotonic()
    seed(url)
    print(
        f"seeded {COMMITTEES} committees and {ACTIONS} action items in {time.monotonic() - started:.1f} s ({workdir}/bench.db)"
    )

    python = sys.executable
    fake = subprocess.Popen(
        [python, __file__, "--fake"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    fake_url = fake.stdout.readline().strip()  # type: ignore[union-attr]
    bare_port, serve_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake_url + "/api/",
        "HOST": "127.0.0.1",
    }
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    bare = subprocess.Popen(
        [python, __file__, "--bare", str(bare_port), "--api-url", fake_url + "/api/"],
        cwd=ROOT,
        env=env,
        **quiet,
    )  # type: ignore[call-overload]
    serve = subprocess.Popen(
        [
            str(Path(python).parent / "committee-bot"),
            "serve",
            "--http",
            "--port",
            str(serve_port),
            "--no-scheduler",
        ],
        cwd=workdir,
        env=env,
        **quiet,
    )  # type: ignore[call-overload]
    try:
        wait_up(bare_port, "/slack/events", bare)
        wait_up(serve_port, "/healthz", serve)
        worker = children(serve.pid)[0]
        started_rss = rss_kb(worker)[0]
        warm_up(serve_port, fake_url)
        time.sleep(2)  # the work after the acks
        warm_rss = rss_kb(worker)[0]
        warm_pss = pss_kb(worker) + pss_kb(serve.pid)
        print(
            f"serve worker RSS: {started_rss / 1024:.1f} MB at start, {warm_rss / 1024:.1f} MB after a warm-up "
            f"(50 lists, 50 adds, 20 App Homes of 200-item owners, one at a time); "
            f"master + worker PSS {warm_pss / 1024:.1f} MB"
        )

        results = [
            load(
                "bare Bolt app (ack)", bare_port, [""], fake_url, clients=args.clients, seconds=args.seconds
            ),
            load(
                "/action list all",
                serve_port,
                ["list all"],
                fake_url,
                clients=args.clients,
                seconds=args.seconds,
            ),
            load(
                "/action add",
                serve_port,
                ["add <@U00001> Bench {client}-{n} d'ici vendredi !high"],
                fake_url,
                clients=args.clients,
                seconds=args.seconds,
            ),
            load(
                "bare Bolt app (again)", bare_port, [""], fake_url, clients=args.clients, seconds=args.seconds
            ),
        ]
        floor = min(results[0].pct(0.99), results[-1].pct(0.99))
        print(f"\n{args.clients} concurrent clients, {args.seconds:g} s each, gunicorn gthread (1 worker):")
        for result in results:
            print(result.line(None if result.name.startswith("bare") else floor))
        rss, hwm = rss_kb(worker)
        master, _ = rss_kb(serve.pid)
        print(
            f"\nserve RSS with {COMMITTEES} committees and {ACTIONS} action items: worker {warm_rss / 1024:.1f} MB warm "
            f"(master {master / 1024:.1f} MB, mostly shared: both together {warm_pss / 1024:.1f} MB PSS); after the load {rss / 1024:.1f} MB (peak {hwm / 1024:.1f} MB, holding the work "
            f"queued behind {sum(len(r.latencies) for r in results[1:3])} acks)"
        )
        ok_latency = all(
            r.pct(0.99) < 100 and r.pct(0.99) <= 1.5 * floor for r in results if not r.name.startswith("bare")
        )
        print(
            f"targets: p99 < 100 ms and <= 1.5x bare: {'met' if ok_latency else 'NOT met'}; warm RSS < 150 MB: {'met' if warm_rss < 150 * 1024 else 'NOT met'}"
        )
    finally:
        stop(serve)
        stop(bare)
        fake.stdin.close()  # type: ignore[union-attr]
        stop(fake)


if __name__ == "__main__":
    main()
