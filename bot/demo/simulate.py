"""``committee-bot demo``: the whole product, offline, on a simulated clock (SPEC §8).

A fresh SQLite file gets the contact-centre preset; then the clock runs over a few weeks. At each
instant the REAL dispatcher (``bot.delivery.tick.tick``) plans and sends what is due through an offline
Slack client (``bot.demo.offline.OfflineSlack``), and scripted participants act through the real core
flows (``bot.meetings.flows``, ``bot.action_items.flows``) at scripted instants: topics proposed, a deck shared late,
minutes submitted late, actions added, done, snoozed, left to go overdue. Every message the bot
posts or edits is printed as text (``bot.demo.transcript``), so what the transcript shows is what the
product would send; the run ends with the governance health of each committee and the delivery
totals.

The clock does not tick every minute: it jumps from one instant to the next that matters, the
earliest of the next scripted step, the next notification due in the table, and a daily planning
tick at 07:00.

The scenario is written relative to the meetings the calendar yields in the window (the 2nd
production committee, the first quality committee…), so ``--start`` and ``--weeks`` move it along;
steps whose meeting falls outside the window are left out.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import tempfile
import time as time_mod
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from bot.config.document import ConfigDoc, preset_path
from bot.config.transfer import import_config
from bot.config.validation import load_config
from bot.core.calendar import business_calendar
from bot.delivery import tick
from bot.demo.cast import CAST, PRESETS, SLACK_LOCALES, DemoError, DemoResult, Options
from bot.demo.exports import export_demo_files
from bot.demo.offline import OfflineSlack
from bot.demo.printer import Printer, footer, intro, summary
from bot.demo.script import Run, Slot, Step
from bot.demo.storyline import build_script
from bot.demo.transcript import Names, Transcript
from bot.planning.window import calendar_window
from bot.surface.action_items import after_action_committed
from bot.surface.meetings import after_meeting_committed
from bot.text.errors import DomainError
from storage.committees import get_workspace, list_committees
from storage.db import make_engine, session_scope, upgrade, write_session
from storage.models import Notification
from storage.users import upsert_user

WORKER = "demo"
PLANNING_TICK = time(7, 0)  # a tick every morning, even on a day with nothing due: the dispatcher plans ahead
SCRIPT_LOOKAHEAD = timedelta(weeks=3)


# ---------------------------------------------------------------------------------------------
# The scenario: timed steps


# Each helper below makes one kind of step; the script (``build_script``) says which and when.


# ---------------------------------------------------------------------------------------------
# Running it


def run_demo(options: Options, out: IO[str] | None = None) -> DemoResult:
    """Run the demo and print its transcript and summary to ``out`` (default: stdout)."""
    out = out if out is not None else sys.stdout
    if options.locale not in PRESETS:
        raise DemoError(f'--locale must be one of {", ".join(PRESETS)} (got "{options.locale}")')
    if not 1 <= options.weeks <= 26:
        raise DemoError(f"--weeks must be between 1 and 26 (got {options.weeks})")
    preset = PRESETS[options.locale]
    doc = load_config(preset_path(preset), source=f"{preset}.yaml")
    start_day = options.start or default_start(doc)
    tz = ZoneInfo(doc.workspace.timezone or "Europe/Paris")
    # The bot starts on the first morning (what is already due goes out then), the run ends at midnight.
    start = datetime.combine(start_day, PLANNING_TICK, tz).astimezone(UTC)
    end = datetime.combine(start_day + timedelta(weeks=options.weeks), time(0, 0), tz).astimezone(UTC)

    if options.db is not None:
        path = options.db.expanduser().resolve()
        if path.exists() and path.stat().st_size > 0:
            raise DemoError(
                f"--db {options.db}: the file already exists; the demo needs a new file (or leave --db out)"
            )
        if not path.parent.is_dir():
            raise DemoError(
                f"--db {options.db}: no directory {path.parent}; give a file in an existing directory"
            )
        remove = False
    else:
        handle, raw = tempfile.mkstemp(prefix="committee-bot-demo-", suffix=".db")
        os.close(handle)
        path, remove = Path(raw), not options.keep

    result = DemoResult(start=start, end=end, db_path=path if not remove else None)
    clock_started = time_mod.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    # What the bot logs (a message it could not build, a Slack refusal) is part of the story:
    # collected here and shown in the transcript instead of tracebacks on stderr.
    collector = _LogCollector()
    root = logging.getLogger()
    root.addHandler(collector)
    try:
        _simulate(engine, doc, options, start, end, out, result, path, collector)
    finally:
        root.removeHandler(collector)
        engine.dispose()
        if remove:
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    result.seconds = time_mod.perf_counter() - clock_started
    footer(out, options, result)
    return result


def default_start(doc: ConfigDoc) -> date:
    """The Monday a week before the preset's first meeting: the run opens on its agenda requests."""
    first = min(spec.first.date() for spec in doc.committees)
    before = first - timedelta(weeks=1)
    return before - timedelta(days=before.weekday())


class _LogCollector(logging.Handler):
    """Keeps the warnings and errors logged during the run, one line each."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            line += f" ({type(error).__name__}: {error})"
        self.lines.append(" ".join(line.split()))

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


def _simulate(
    engine: Engine,
    doc: ConfigDoc,
    options: Options,
    start: datetime,
    end: datetime,
    out: IO[str],
    result: DemoResult,
    path: Path,
    collector: _LogCollector,
) -> None:
    locale = options.locale
    upgrade(engine)
    with session_scope(engine) as session:
        import_config(session, doc, now=start)
        for person in CAST:
            upsert_user(
                session,
                user_id=person.user_id,
                now=start,
                tz=doc.workspace.timezone,
                locale=SLACK_LOCALES[locale],
            )
    with session_scope(engine) as session:
        committees = list_committees(session)
        workspace_tz = get_workspace(session).timezone
        names = Names(
            users={p.user_id: p.name for p in CAST},
            channels={c.channel: channel_name(c.name) for c in committees},
            timezone=workspace_tz,
            locale=locale,
        )
        # Meetings a little past the end too: their deck is shared (or not) within the window.
        meetings_by_key = _meetings_in(session, start, end + SCRIPT_LOOKAHEAD)

    clock = [start]
    client = OfflineSlack(
        clock=lambda: clock[0],
        users={
            p.user_id: {
                "name": p.name,
                "real_name": p.name.title(),
                "tz": workspace_tz,
                "locale": SLACK_LOCALES[locale],
            }
            for p in CAST
        },
    )
    run = Run(engine, client, locale)
    transcript = Transcript(io.StringIO() if options.quiet else out, names, width=options.width)
    printer = Printer(run, transcript, locale)
    client.listener = printer.record

    intro(out, doc, options, start, end, names, committees, path if options.keep or options.db else None)
    steps = build_script(meetings_by_key, (start, end))
    position = 0
    now = start
    while now < end:
        clock[0] = now
        while position < len(steps) and steps[position].at <= now:
            result.step_errors += _run_step(run, steps[position], now, transcript, printer)
            position += 1
        tick.tick(engine, client, now=now, worker=WORKER)
        printer.flush()
        for problem in collector.take():
            result.problems.append(problem)
            transcript.note(now, "⚠ " + problem)
        upcoming = steps[position].at if position < len(steps) else None
        now = _next_instant(engine, now, end, upcoming, ZoneInfo(workspace_tz))
    clock[0] = end
    summary(out, engine, printer, options, end, result, names)
    kept = path.parent if options.keep or options.db else None
    out.write("\n" + export_demo_files(engine, locale=locale, directory=kept, now=end) + "\n")


def channel_name(name: str) -> str:
    """A Slack-like channel name from a committee's name: ``Comité de production`` → ``comite-de-production``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = "".join(ch if ch.isalnum() else " " for ch in plain).split()
    return "-".join(words)


def _meetings_in(session: Session, start: datetime, end: datetime) -> dict[str, list[Slot]]:
    workspace = get_workspace(session)
    found: dict[str, list[Slot]] = {}
    for entry in calendar_window(session, start=start, end=end, with_deadlines=True):
        calendar = entry.calendar or business_calendar(entry.committee, workspace)
        for occurrence in entry.occurrences:
            deadlines = entry.deadlines.get(occurrence.series_start)
            found.setdefault(entry.committee.key, []).append(
                Slot(
                    entry.committee,
                    calendar,
                    occurrence,
                    deadlines.deck_due if deadlines else None,
                    deadlines.minutes_due if deadlines else None,
                )
            )
    return found


def _run_step(run: Run, step: Step, now: datetime, transcript: Transcript, printer: Printer) -> int:
    """Run one scripted step as a Slack listener would: the flow in one unit of work (which re-plans
    its subject), then, once committed, the messages about its subject edited. Returns 1 when the
    flow refused it (a script bug)."""
    try:
        with write_session(run.engine) as session:
            outcome = step.act(run, session, now)
    except DomainError as error:
        transcript.participant(
            now, step.actor, run.say("refused", error=f"{step.name}: {error.in_locale(run.locale)}")
        )
        return 1
    if outcome is None:
        return 0
    transcript.participant(now, step.actor, outcome.text)
    # What handlers.common.deliver does once a listener's change is committed (no App Home here).
    if outcome.meeting_id is not None:
        after_meeting_committed(run.engine, run.client, meeting_id=outcome.meeting_id, now=now, users=())
    if outcome.action_id is not None:
        after_action_committed(run.engine, run.client, action_id=outcome.action_id, now=now, users=())
    printer.flush()
    return 0


def _next_instant(
    engine: Engine, now: datetime, end: datetime, step_at: datetime | None, tz: ZoneInfo
) -> datetime:
    """The next instant worth a tick: a scripted step, a notification due, or tomorrow's planning tick."""
    local = now.astimezone(tz)
    planning = datetime.combine(local.date() + timedelta(days=1), PLANNING_TICK, tz)
    if local.time() < PLANNING_TICK:
        planning = datetime.combine(local.date(), PLANNING_TICK, tz)
    candidates = [planning.astimezone(UTC), end]
    if step_at is not None:
        candidates.append(step_at)
    due = sa.func.coalesce(Notification.next_attempt_at, Notification.due_at)
    with Session(engine) as session:
        upcoming = session.execute(
            sa.select(sa.func.min(due)).where(col(Notification.state) == "pending", due > now)
        ).scalar()
    if upcoming is not None:
        candidates.append(upcoming if upcoming.tzinfo else upcoming.replace(tzinfo=UTC))
    return max(min(candidates), now + timedelta(seconds=1))
