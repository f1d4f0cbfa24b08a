"""The demo's printer: the intro, each message as text, the summary with health and delivery totals."""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.config.document import ConfigDoc
from bot.demo.cast import CAST, PRESETS, SHOWN_CALLS, DemoResult, Options
from bot.demo.offline import Call
from bot.demo.script import Run, say
from bot.demo.transcript import Names, Transcript, day_label, render_message, wrap
from bot.notices.health import Health, Rate, health_by_committee
from storage.committees import list_committees
from storage.db import session_scope
from storage.models import Committee, Notification


class Printer:
    """Turns the offline client's calls into transcript entries, once the tick or step is done
    (the notification rows then say which kind each message was)."""

    def __init__(self, run: Run, transcript: Transcript, locale: str) -> None:
        self.run = run
        self.transcript = transcript
        self.locale = locale
        self.calls: list[Call] = []
        self.shown: dict[str, tuple[list[str], datetime]] = {}  # ts -> (lines, posted at)
        self.posted = 0
        self.channel_posts = 0
        self.edited = 0

    def record(self, call: Call) -> None:
        self.calls.append(call)

    def flush(self) -> None:
        calls, self.calls = [p for p in self.calls if p.method in SHOWN_CALLS], []
        if not calls:
            return
        kinds = self._kinds(calls)
        names = self.transcript.names
        for call in calls:
            if not call.ok:
                self.transcript.note(
                    call.at,
                    say(self.locale, "slack_error", method=call.method, error=call.response.get("error")),
                )
                continue
            key = _key(call.params.get("metadata"))
            kind = kinds.get(key or "", None)
            to = str(call.params.get("channel") or "")
            if call.method == "chat.postMessage":
                lines = render_message(str(call.params.get("text") or ""), call.params.get("blocks"), names)
                self.shown[str(call.response.get("ts"))] = (lines, call.at)
                self.posted += 1
                self.channel_posts += to[:1] in ("C", "G")
                self.transcript.message(call.at, to=to, kind=kind, lines=lines)
            elif call.method == "chat.update":
                self._edit(call, to, kind)
            else:
                self.transcript.message(call.at, to=to, kind=kind, lines=[], note="🗑")

    def _edit(self, call: Call, to: str, kind: str | None) -> None:
        ts = str(call.params.get("ts"))
        lines = render_message(
            str(call.params.get("text") or ""), call.params.get("blocks"), self.transcript.names
        )
        before, posted_at = self.shown.get(ts, ([], call.at))
        self.shown[ts] = (lines, posted_at)
        if before == lines:
            return  # nothing a reader would notice (not counted either)
        self.edited += 1
        tz = ZoneInfo(self.transcript.names.timezone)
        posted_local, now_local = posted_at.astimezone(tz), call.at.astimezone(tz)
        when = f"{posted_local:%H:%M}"
        if posted_local.date() != now_local.date():
            when = f"{day_label(posted_local.date(), self.locale).rsplit(' ', 1)[0]} {when}"  # no year
        if difflib.SequenceMatcher(None, before, lines).ratio() < 0.5:
            # Rewritten rather than touched up (a reminder now saying "done"): shown whole.
            self.transcript.message(
                call.at, to=to, kind=kind, lines=lines, note=say(self.locale, "rewritten", time=when)
            )
            return
        changes = [
            ("+ " if line.startswith("+") else "- ") + line[1:]
            for line in difflib.unified_diff(before, lines, lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))
        ]
        self.transcript.message(
            call.at, to=to, kind=kind, lines=changes, note=say(self.locale, "edited", time=when)
        )

    def _kinds(self, calls: list[Call]) -> dict[str, str]:
        """Notification kind by idempotency key (a secondary DM's key hangs off its main one's)."""
        keys = {k for k in (_key(c.params.get("metadata")) for c in calls) if k}
        base = {k: k.split(":also:")[0] for k in keys}
        with Session(self.run.engine) as session:
            rows = session.exec(
                select(Notification.key, Notification.kind).where(
                    col(Notification.key).in_(set(base.values()))
                )
            ).all()
        by_key = dict(rows)
        return {k: by_key[b] for k, b in base.items() if b in by_key}


def _key(metadata: Any) -> str | None:
    if isinstance(metadata, dict):
        payload = metadata.get("event_payload") or {}
        key = payload.get("key")
        return str(key) if key else None
    return None


def intro(
    out: IO[str],
    doc: ConfigDoc,
    options: Options,
    start: datetime,
    end: datetime,
    names: Names,
    committees: list[Committee],
    kept: Path | None,
) -> None:
    locale = options.locale
    tz = ZoneInfo(names.timezone)
    transcript = Transcript(out, names, width=options.width)
    transcript.heading(say(locale, "title", preset=PRESETS[locale]))
    first, last = start.astimezone(tz).date(), (end - timedelta(seconds=1)).astimezone(tz).date()
    db = say(locale, "named_db", path=kept) if kept else say(locale, "temporary_db")
    for line in wrap(
        [
            say(
                locale,
                "intro",
                first=day_label(first, locale),
                last=day_label(last, locale),
                weeks=options.weeks,
                db=db,
                quiet=options.quiet,
            )
        ],
        options.width,
    ):
        transcript.line(line)
    if options.quiet:
        return
    transcript.line()
    transcript.line(say(locale, "cast_title") + " :" if locale == "fr" else say(locale, "cast_title") + ":")
    for person in CAST:
        transcript.line(f"  @{person.name:<9} {person.role[locale]}")
    transcript.line()
    transcript.line(say(locale, "committees_title") + (" :" if locale == "fr" else ":"))
    for committee in committees:
        line = say(
            locale,
            "committee_line",
            name=committee.name,
            cadence=say(locale, "cadence", cadence=committee.cadence),
            channel=names.channel(committee.channel),
            chair=names.user(committee.chair),
            secretary=names.user(committee.secretary),
            deck_owner=names.user(committee.deck_owner),
        )
        for wrapped in wrap(["  " + line], options.width):
            transcript.line(wrapped)


def summary(
    out: IO[str],
    engine: Engine,
    printer: Printer,
    options: Options,
    end: datetime,
    result: DemoResult,
    names: Names,
) -> None:
    locale = options.locale
    result.posted, result.edited = printer.posted, printer.edited
    with session_scope(engine) as session:
        committees = list_committees(session)
        health = health_by_committee(
            session, committee_ids=[c.id for c in committees if c.id], now=end, weeks=options.weeks
        )
        rows = session.execute(
            sa.select(col(Notification.state), col(Notification.kind), col(Notification.due_at))
        ).all()
    for state, kind, _ in rows:
        result.states[state] += 1  # pending: planned past the end of the run
        if state == "sent":
            result.sent_kinds[kind] += 1

    out.write("\n")
    transcript = Transcript(out, names, width=options.width)
    last_day = (end - timedelta(seconds=1)).astimezone(ZoneInfo(names.timezone)).date()
    transcript.heading(say(locale, "health_title", day=day_label(last_day, locale), weeks=options.weeks))
    transcript.line(say(locale, "health_header"))
    total = Health(weeks=options.weeks)
    for committee in committees:
        figures = health.get(committee.id or 0, Health(weeks=options.weeks))
        total = total + figures
        transcript.line(_health_line(committee.name, figures))
    transcript.line(_health_line(say(locale, "health_all"), total))
    transcript.line(say(locale, "health_note"))
    out.write("\n")
    transcript.heading(say(locale, "totals_title"))
    states = ", ".join(
        f"{result.states[state]} {say(locale, 'state_' + state)}"
        for state in ("sent", "skipped", "failed", "pending")
    )
    text = say(
        locale,
        "totals",
        sent=printer.posted,
        channel=printer.channel_posts,
        dm=printer.posted - printer.channel_posts,
        edited=printer.edited,
        states=states,
    )
    for line in wrap([text], options.width):
        transcript.line(line)
    kinds = ", ".join(
        f"{kind} {count}" for kind, count in sorted(result.sent_kinds.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    for line in wrap([say(locale, "by_kind", kinds=kinds)], options.width):
        transcript.line(line)


def _health_line(label: str, health: Health) -> str:
    return f"{label[:25]:<26}{_rate(health.minutes):<22}{_rate(health.decks):<22}{_rate(health.actions)}"


def _rate(rate: Rate) -> str:
    if rate.percent is None:
        return "—"
    return f"{rate.on_time}/{rate.total}  {rate.percent} %"


def footer(out: IO[str], options: Options, result: DemoResult) -> None:
    locale = options.locale
    seconds = f"{result.seconds:.1f}".replace(".", ",") if locale == "fr" else f"{result.seconds:.1f}"
    out.write("\n" + say(locale, "footer", weeks=options.weeks, seconds=seconds) + "\n")
    if result.db_path is not None:
        out.write(say(locale, "kept", path=result.db_path) + "\n")
    if result.step_errors:
        out.write(say(locale, "step_errors", count=result.step_errors) + "\n")
    if result.problems:
        out.write(say(locale, "problems", count=len(result.problems), first=result.problems[0]) + "\n")
