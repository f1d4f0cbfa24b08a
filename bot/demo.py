"""``committee-bot demo``: the whole product, offline, on a simulated clock (SPEC §8).

A fresh SQLite file gets the contact-centre preset; then the clock runs over a few weeks. At each
instant the REAL dispatcher (``bot.dispatch.tick``) plans and sends what is due through an offline
Slack client (``bot.offline.OfflineSlack``), and scripted participants act through the real core
flows (``bot.meetings``, ``bot.actions``) at scripted instants: topics proposed, a deck shared late,
minutes submitted late, actions added, done, snoozed, left to go overdue. Every message the bot
posts or edits is printed as text (``bot.transcript``), so what the transcript shows is what the
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

import difflib
import io
import logging
import os
import sys
import tempfile
import time as time_mod
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot import dispatch, meetings, views
from bot.actions import complete_action, create_action, snooze_action, snooze_choice, update_progress
from bot.calendar import BusinessCalendar, Occurrence, business_calendar
from bot.demo_exports import export_demo_files
from bot.config import ConfigDoc, import_config, load_config, preset_path
from bot.errors import DomainError
from bot.health import Health, Rate, health_by_committee
from bot.offline import Call, OfflineSlack
from bot.parsing import parse_add
from bot.planning import calendar_window
from bot.render import environment
from bot.timeline import requires_approval
from bot.transcript import Names, Transcript, day_label, render_message, wrap
from storage.committees import get_workspace, list_committees
from storage.db import make_engine, session_scope, upgrade
from storage.models import Committee, Notification
from storage.users import upsert_user

PRESETS = {"fr": "contact-centre-fr", "en": "contact-centre-en"}
WORKER = "demo"
PLANNING_TICK = time(7, 0)  # a tick every morning, even on a day with nothing due: the dispatcher plans ahead
SHOWN_CALLS = ("chat.postMessage", "chat.update", "chat.delete")
SCRIPT_LOOKAHEAD = timedelta(weeks=3)


# ---------------------------------------------------------------------------------------------
# The cast: the preset's people, with names and roles


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    role: dict[str, str]


CAST: tuple[Person, ...] = (
    Person(
        "U06PILOTE1",
        "marie",
        {"fr": "pilote de la relation, donneur d'ordre", "en": "client's steering lead"},
    ),
    Person(
        "U06RESPSIT", "karim", {"fr": "responsable de site, prestataire", "en": "outsourcer's site manager"}
    ),
    Person("U06CHEFEQP", "julie", {"fr": "cheffe d'équipe, prestataire", "en": "outsourcer's team leader"}),
    Person(
        "U06QUALCLI", "sophie", {"fr": "responsable qualité, donneur d'ordre", "en": "client's quality lead"}
    ),
    Person(
        "U06QUALPRS", "thomas", {"fr": "responsable qualité, prestataire", "en": "outsourcer's quality lead"}
    ),
    Person(
        "U06DIROPS1",
        "claire",
        {"fr": "directrice des opérations, donneur d'ordre", "en": "client's operations director"},
    ),
    Person(
        "U06DIRCPT1",
        "nicolas",
        {"fr": "directeur de compte, prestataire", "en": "outsourcer's account director"},
    ),
    Person(
        "U06DGCLIEN", "anne", {"fr": "direction générale, donneur d'ordre", "en": "client's top management"}
    ),
    Person(
        "U06DGPREST", "pierre", {"fr": "direction générale, prestataire", "en": "outsourcer's top management"}
    ),
)
MARIE, KARIM, JULIE, SOPHIE, THOMAS, CLAIRE, NICOLAS = (p.user_id for p in CAST[:7])
SLACK_LOCALES = {"fr": "fr-FR", "en": "en-GB"}

# What the participants write, by locale. Dates are filled in from the calendar.
TEXTS: dict[str, dict[str, Any]] = {
    "fr": {
        "topic_renfort": "Plan de renfort de février",
        "topic_decroche": "Taux de décroché de la semaine passée",
        "topic_fibre": "Retours terrain sur l'offre fibre",
        "topic_calibration": "Calibration des réponses aux réclamations",
        "deck_link": "https://drive.example.com/supports/{key}-{day}.pptx",
        "minutes_link": "https://drive.example.com/cr/{key}-{day}.docx",
        "summary": "Revue des indicateurs de la semaine, des actions ouvertes et des sujets proposés.",
        "decision_production": "Renfort de 6 conseillers validé pour février",
        "decision_routine": "Indicateurs de la période validés",
        "decision_quality": "Nouvelle grille de calibration adoptée pour les réclamations",
        "decision_steering": "Objectif de NPS du trimestre maintenu à +35",
        "action_train": "Former 4 conseillers à l'offre fibre",
        "action_thresholds": "Recalibrer les seuils de débordement vers le site de secours",
        "action_scripts": "Réviser les scripts de relance",
        "action_grid": "Diffuser la grille de calibration aux superviseurs",
        "action_budget": "Chiffrer le plan de renfort de février",
        "due_words": "pour le {day:%d/%m}",
        "high": "!haute",
        "progress_comment": "Seuils du site principal faits, reste le site de secours",
    },
    "en": {
        "topic_renfort": "February reinforcement plan",
        "topic_decroche": "Last week's call take-up rate",
        "topic_fibre": "Field feedback on the fibre offer",
        "topic_calibration": "Calibration of answers to complaints",
        "deck_link": "https://drive.example.com/decks/{key}-{day}.pptx",
        "minutes_link": "https://drive.example.com/minutes/{key}-{day}.docx",
        "summary": "Review of the period's KPIs, the open actions and the proposed topics.",
        "decision_production": "Reinforcement of 6 agents approved for February",
        "decision_routine": "The period's KPIs approved",
        "decision_quality": "New calibration grid adopted for complaints",
        "decision_steering": "Quarterly NPS target kept at +35",
        "action_train": "Train 4 agents on the fibre offer",
        "action_thresholds": "Recalibrate the overflow thresholds to the backup site",
        "action_scripts": "Review the follow-up call scripts",
        "action_grid": "Send the calibration grid to the supervisors",
        "action_budget": "Cost the February reinforcement plan",
        "due_words": "by {day:%Y-%m-%d}",
        "high": "!high",
        "progress_comment": "Main site thresholds done, backup site still to do",
    },
}


# ---------------------------------------------------------------------------------------------
# Options and result


@dataclass(frozen=True)
class Options:
    """What ``committee-bot demo`` was asked for."""

    locale: str = "fr"
    weeks: int = 6
    start: date | None = None  # None: the Monday a week before the preset's first meeting
    db: Path | None = None  # None: a temporary file
    keep: bool = False
    quiet: bool = False
    width: int = 100


@dataclass
class DemoResult:
    """Figures of one run (the command prints them; tests read them)."""

    start: datetime
    end: datetime
    seconds: float = 0.0
    posted: int = 0
    edited: int = 0
    states: Counter[str] = field(default_factory=Counter)
    sent_kinds: Counter[str] = field(default_factory=Counter)
    step_errors: int = 0
    problems: list[str] = field(default_factory=list)  # warnings and errors the bot logged
    db_path: Path | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.step_errors or self.problems else 0


class DemoError(ValueError):
    """Bad options (the command line turns it into one line on stderr)."""


# ---------------------------------------------------------------------------------------------
# The scenario: timed steps


@dataclass(frozen=True)
class Outcome:
    """What a step did: the participant line to print, and the subject whose messages to refresh."""

    text: str
    meeting_id: int | None = None
    action_id: int | None = None


@dataclass(frozen=True)
class Step:
    """At ``at`` (aware), ``actor`` does ``act``; ``act`` returns None when it has nothing to do
    (the action it would act on was never created in this window)."""

    at: datetime
    actor: str
    name: str  # for refusals: which scripted step it was
    act: Callable[[Run, Session, datetime], Outcome | None]


@dataclass(frozen=True)
class Slot:
    """One meeting (occurrence) in the window, with what the script needs to time steps around it."""

    committee: Committee
    calendar: BusinessCalendar
    occurrence: Occurrence
    deck_due: datetime | None
    minutes_due: datetime | None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.committee.timezone)

    @property
    def day(self) -> date:
        return self.occurrence.start.astimezone(self.tz).date()

    def at(self, day: date, hhmm: str) -> datetime:
        """``hhmm`` on ``day`` in the committee's zone, as an aware instant."""
        hour, minute = (int(part) for part in hhmm.split(":"))
        return datetime.combine(day, time(hour, minute), self.tz)

    def bd(self, day: date, n: int) -> date:
        """``n`` business days after ``day`` (before, if negative), in the committee's calendar."""
        return self.calendar.add(day, n)


class Run:
    """The state a scenario shares while it runs: engine, client, wording, actions created so far."""

    def __init__(self, engine: Engine, client: OfflineSlack, locale: str) -> None:
        self.engine = engine
        self.client = client
        self.locale = locale
        self.texts = TEXTS[locale]
        self.memo: dict[str, int] = {}  # script names -> action ids ("thresholds" -> 2)

    def say(self, block: str, /, **values: Any) -> str:
        return say(self.locale, block, **values)

    def meeting_label(self, meeting: Slot) -> str:
        day = day_label(meeting.day, self.locale).rsplit(" ", 1)[0]  # no year
        return self.say("meeting", committee=meeting.committee.name, day=day)


def say(locale: str, block: str, /, **values: Any) -> str:
    """One line of ``templates/<locale>/demo.j2`` (its Jinja block ``block``)."""
    template = environment().get_template(f"{locale}/demo.j2")
    return "".join(template.blocks[block](template.new_context(values))).strip()


def _meeting_row(session: Session, meeting: Slot, now: datetime) -> int:
    row = meetings.meeting_for_series(
        session, committee=meeting.committee, series_start=meeting.occurrence.series_start, now=now
    )
    assert row.id is not None
    return row.id


# Each helper below makes one kind of step; the script (``build_script``) says which and when.


def propose_topic(
    meeting: Slot, at: datetime, actor: str, text_key: str, *, presenter: str, duration: int
) -> Step:
    def act(run: Run, session: Session, now: datetime) -> Outcome:
        meeting_id = _meeting_row(session, meeting, now)
        title = run.texts[text_key]
        meetings.add_topic(
            session,
            meeting_id=meeting_id,
            title=title,
            presenter=presenter,
            duration=duration,
            proposer=actor,
            now=now,
        )
        return Outcome(
            run.say("propose_topic", meeting=run.meeting_label(meeting), title=title, duration=duration),
            meeting_id=meeting_id,
        )

    return Step(at, actor, f"propose_topic {meeting.committee.key} {meeting.day}", act)


def share_deck(meeting: Slot, at: datetime, *, late: bool = False) -> Step:
    actor = meeting.committee.deck_owner

    def act(run: Run, session: Session, now: datetime) -> Outcome:
        meeting_id = _meeting_row(session, meeting, now)
        link = run.texts["deck_link"].format(key=meeting.committee.key, day=meeting.day)
        meetings.mark_deck_shared(session, meeting_id=meeting_id, link=link, actor=actor, now=now)
        line = "share_deck_late" if late else "share_deck"
        return Outcome(run.say(line, meeting=run.meeting_label(meeting), link=link), meeting_id=meeting_id)

    return Step(at, actor, f"share_deck {meeting.committee.key} {meeting.day}", act)


def submit_minutes(
    meeting: Slot,
    at: datetime,
    *,
    decisions: list[str],
    actions: Sequence[tuple[str, str, str, date, bool]] = (),
    late_days: int | None = None,
) -> Step:
    """The secretary submits the minutes; ``actions`` are (memo name, owner, text key, due, high)."""
    actor = meeting.committee.secretary

    def act(run: Run, session: Session, now: datetime) -> Outcome:
        meeting_id = _meeting_row(session, meeting, now)
        lines = [_action_text(run, owner, run.texts[key], due, high) for _, owner, key, due, high in actions]
        result = meetings.submit_minutes(
            session,
            meeting_id=meeting_id,
            summary=run.texts["summary"],
            decisions=[run.texts[d] for d in decisions],
            action_lines=lines,
            link=run.texts["minutes_link"].format(key=meeting.committee.key, day=meeting.day),
            actor=actor,
            now=now,
        )
        for (memo, *_), public_id in zip(actions, result.actions):
            run.memo[memo] = int(public_id.lstrip("A"))
        values = dict(
            meeting=run.meeting_label(meeting),
            decisions=len(result.decisions),
            actions=", ".join(result.actions),
        )
        if late_days is not None:
            return Outcome(run.say("submit_minutes_late", days=late_days, **values), meeting_id=meeting_id)
        return Outcome(run.say("submit_minutes", **values), meeting_id=meeting_id)

    return Step(at, actor, f"submit_minutes {meeting.committee.key} {meeting.day}", act)


def approve_minutes(meeting: Slot, at: datetime) -> Step:
    actor = meeting.committee.chair

    def act(run: Run, session: Session, now: datetime) -> Outcome:
        meeting_id = _meeting_row(session, meeting, now)
        meetings.approve_minutes(session, meeting_id=meeting_id, actor=actor, now=now)
        return Outcome(run.say("approve_minutes", meeting=run.meeting_label(meeting)), meeting_id=meeting_id)

    return Step(at, actor, f"approve_minutes {meeting.committee.key} {meeting.day}", act)


def add_action(
    meeting: Slot, at: datetime, actor: str, memo: str, *, owner: str, text_key: str, due: date, high: bool
) -> Step:
    """``/action add`` typed in the committee's channel, read by the real parser."""

    def act(run: Run, session: Session, now: datetime) -> Outcome:
        text = _action_text(run, owner, run.texts[text_key], due, high)
        draft = parse_add(text, now=now, tz=meeting.committee.timezone, locale=run.locale)
        assert draft.owner and draft.due, draft.missing  # the script writes complete commands
        action = create_action(
            session, title=draft.title, owner=draft.owner, creator=actor, due=draft.due, priority=draft.priority,
            committee_id=meeting.committee.id, now=now,
        )  # fmt: skip
        assert action.id is not None
        run.memo[memo] = action.id
        dispatch.replan_action(session, action_id=action.id, now=now)
        shown = text.replace(f"<@{owner}>", "@" + _name(owner))
        return Outcome(run.say("action_add", text=shown, action=action.public_id), action_id=action.id)

    return Step(at, actor, f"add_action {memo}", act)


def action_done(at: datetime, actor: str, memo: str) -> Step:
    def act(run: Run, session: Session, now: datetime) -> Outcome | None:
        if memo not in run.memo:
            return None
        action = complete_action(session, action_id=run.memo[memo], actor=actor, now=now)
        dispatch.replan_action(session, action_id=run.memo[memo], now=now)
        label = views.labels(run.locale)["done"]
        return Outcome(
            run.say("action_done", button=label, action=action.public_id, title=action.title),
            action_id=action.id,
        )

    return Step(at, actor, f"action_done {memo}", act)


def action_snooze(at: datetime, actor: str, memo: str, calendar: BusinessCalendar, tz: ZoneInfo) -> Step:
    def act(run: Run, session: Session, now: datetime) -> Outcome | None:
        if memo not in run.memo:
            return None
        today = now.astimezone(tz).date()
        until = snooze_choice("1w", today, calendar)
        action = snooze_action(
            session, action_id=run.memo[memo], actor=actor, until=until, now=now, today=today
        )
        dispatch.replan_action(session, action_id=run.memo[memo], now=now)
        labels = views.labels(run.locale)
        return Outcome(
            run.say("action_snooze", button=labels["snooze"], choice=labels["snooze_1w"], action=action.public_id,
                    until=day_label(until, run.locale)),
            action_id=action.id,
        )  # fmt: skip

    return Step(at, actor, f"action_snooze {memo}", act)


def action_progress(at: datetime, actor: str, memo: str, *, progress: int) -> Step:
    def act(run: Run, session: Session, now: datetime) -> Outcome | None:
        if memo not in run.memo:
            return None
        comment = run.texts["progress_comment"]
        action = update_progress(
            session,
            action_id=run.memo[memo],
            actor=actor,
            status="in_progress",
            progress=progress,
            comment=comment,
            now=now,
        )
        dispatch.replan_action(session, action_id=run.memo[memo], now=now)
        status = views.labels(run.locale)["status_in_progress"]
        return Outcome(
            run.say(
                "action_progress", action=action.public_id, status=status, progress=progress, comment=comment
            ),
            action_id=action.id,
        )

    return Step(at, actor, f"action_progress {memo}", act)


def _action_text(run: Run, owner: str, title: str, due: date, high: bool) -> str:
    words = [f"<@{owner}>", title, run.texts["due_words"].format(day=due)]
    if high:
        words.append(run.texts["high"])
    return " ".join(words)


def _name(user_id: str) -> str:
    return next((p.name for p in CAST if p.user_id == user_id), user_id)


def build_script(meetings_by_key: dict[str, list[Slot]], window: tuple[datetime, datetime]) -> list[Step]:
    """The scripted participants' steps, timed from the meetings in the window.

    Every meeting gets the routine (deck shared the day of the deck reminder, minutes submitted the
    afternoon of the meeting, approved the next morning when the committee requires it), except
    where the story says otherwise:

    - 1st production committee: two topics proposed; its minutes create two actions, one done on
      time, one (high priority) left to go overdue until the chair is told, then done late;
    - 2nd production committee: the deck is shared late (after the agenda went out without it);
      the chair adds an action with ``/action add``; its owner snoozes it a week, then closes it;
    - 1st quality committee: a topic proposed; the minutes come three business days late, after
      the reminder and the overdue chase to the chair and the channel;
    - 1st steering committee: its minutes create an action, closed on its due date.
    """
    steps: list[Step] = []
    production = meetings_by_key.get("production", [])
    quality = meetings_by_key.get("qualite", [])
    steering = meetings_by_key.get("pilotage", [])
    special_deck: set[int] = set()
    special_minutes: set[int] = set()

    if production:
        p0 = production[0]
        request_day = p0.bd(p0.day, -3)  # the weekly agenda request: 3 business days before
        steps.append(
            propose_topic(
                p0, p0.at(request_day, "09:12"), JULIE, "topic_renfort", presenter=JULIE, duration=20
            )
        )
        steps.append(
            propose_topic(
                p0, p0.at(request_day, "14:05"), MARIE, "topic_decroche", presenter=KARIM, duration=10
            )
        )
        train_due, thresholds_due = p0.bd(p0.day, 4), p0.bd(p0.day, 6)
        steps.append(submit_minutes(p0, p0.at(p0.day, "16:30"), decisions=["decision_production"], actions=[
            ("train", JULIE, "action_train", train_due, False),
            ("thresholds", KARIM, "action_thresholds", thresholds_due, True),
        ]))  # fmt: skip
        special_minutes.add(id(p0))
        steps.append(action_done(p0.at(p0.bd(train_due, -1), "15:04"), JULIE, "train"))
        # Overdue chases: 1, 3 and 5 business days after the due date; the 3rd goes to the chair too.
        steps.append(
            action_progress(p0.at(p0.bd(thresholds_due, 5), "10:15"), KARIM, "thresholds", progress=50)
        )
        steps.append(action_done(p0.at(p0.bd(thresholds_due, 6), "16:40"), KARIM, "thresholds"))

    if len(production) > 1:
        p1 = production[1]
        if p1.deck_due is not None:
            # After the deck deadline (the agenda went out saying the deck is missing), before the meeting.
            late = p1.at(p1.bd(p1.deck_due.astimezone(p1.tz).date(), 1), "17:45")
            steps.append(share_deck(p1, late, late=True))
            special_deck.add(id(p1))
        steps.append(
            propose_topic(
                p1, p1.at(p1.bd(p1.day, -3), "10:02"), JULIE, "topic_fibre", presenter=JULIE, duration=15
            )
        )
        scripts_due = p1.bd(p1.day, 6)
        steps.append(
            add_action(
                p1,
                p1.at(p1.day, "11:20"),
                MARIE,
                "scripts",
                owner=JULIE,
                text_key="action_scripts",
                due=scripts_due,
                high=True,
            )
        )
        # The due-soon reminder comes 1 business day before at 09:00: snoozed a week from there.
        snooze_day = p1.bd(scripts_due, -1)
        steps.append(action_snooze(p1.at(snooze_day, "09:20"), JULIE, "scripts", p1.calendar, p1.tz))
        back = snooze_choice("1w", snooze_day, p1.calendar)
        steps.append(action_done(p1.at(back, "14:30"), JULIE, "scripts"))

    if quality:
        q0 = quality[0]
        steps.append(
            propose_topic(
                q0,
                q0.at(q0.bd(q0.day, -4), "11:30"),
                SOPHIE,
                "topic_calibration",
                presenter=THOMAS,
                duration=30,
            )
        )
        if q0.minutes_due is not None:
            late_day = q0.bd(q0.minutes_due.astimezone(q0.tz).date(), 3)
            grid_due = q0.bd(late_day, 5)
            steps.append(submit_minutes(q0, q0.at(late_day, "11:00"), decisions=["decision_quality"], late_days=3,
                                        actions=[("grid", THOMAS, "action_grid", grid_due, False)]))  # fmt: skip
            special_minutes.add(id(q0))

    if steering:
        s0 = steering[0]
        budget_due = s0.bd(s0.day, 5)
        steps.append(submit_minutes(s0, s0.at(s0.bd(s0.day, 1), "16:00"), decisions=["decision_steering"],
                                    actions=[("budget", NICOLAS, "action_budget", budget_due, False)]))  # fmt: skip
        special_minutes.add(id(s0))
        steps.append(approve_minutes(s0, s0.at(s0.bd(s0.day, 2), "09:40")))
        steps.append(action_done(s0.at(budget_due, "11:10"), NICOLAS, "budget"))

    # The routine, for every other meeting.
    start, end = window
    for series in meetings_by_key.values():
        for meeting in series:
            if id(meeting) not in special_deck and meeting.deck_due is not None:
                reminder_day = meeting.bd(meeting.deck_due.astimezone(meeting.tz).date(), -1)
                at = meeting.at(reminder_day, "16:10")
                if at < start:
                    # A run that starts mid-series: the deck owner shares it on the first morning.
                    at = meeting.at(
                        meeting.calendar.on_or_after(start.astimezone(meeting.tz).date()), "08:30"
                    )
                steps.append(share_deck(meeting, at))
            if id(meeting) not in special_minutes:
                finish = meeting.occurrence.end.astimezone(meeting.tz)
                submitted = max(meeting.at(meeting.day, "16:30"), finish + timedelta(minutes=45))
                steps.append(submit_minutes(meeting, submitted, decisions=["decision_routine"]))
                if requires_approval(meeting.committee):
                    steps.append(approve_minutes(meeting, meeting.at(meeting.bd(meeting.day, 1), "09:40")))

    kept = [step for step in steps if start <= step.at < end]
    return sorted(kept, key=lambda step: step.at)


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
    _footer(out, options, result)
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


def _simulate(engine: Engine, doc: ConfigDoc, options: Options, start: datetime, end: datetime,
              out: IO[str], result: DemoResult, path: Path, collector: _LogCollector) -> None:  # fmt: skip
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
    printer = _Printer(run, transcript, locale)
    client.listener = printer.record

    _intro(out, doc, options, start, end, names, committees, path if options.keep or options.db else None)
    steps = build_script(meetings_by_key, (start, end))
    position = 0
    now = start
    while now < end:
        clock[0] = now
        while position < len(steps) and steps[position].at <= now:
            result.step_errors += _run_step(run, steps[position], now, transcript, printer)
            position += 1
        dispatch.tick(engine, client, now=now, worker=WORKER)
        printer.flush()
        for problem in collector.take():
            result.problems.append(problem)
            transcript.note(now, "⚠ " + problem)
        upcoming = steps[position].at if position < len(steps) else None
        now = _next_instant(engine, now, end, upcoming, ZoneInfo(workspace_tz))
    clock[0] = end
    _summary(out, engine, printer, options, end, result, names)
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
                Slot(entry.committee, calendar, occurrence,
                        deadlines.deck_due if deadlines else None, deadlines.minutes_due if deadlines else None)
            )  # fmt: skip
    return found


def _run_step(run: Run, step: Step, now: datetime, transcript: Transcript, printer: _Printer) -> int:
    """Run one scripted step as a Slack listener would: the flow in one unit of work, then the
    messages about its subject refreshed. Returns 1 when the flow refused it (a script bug)."""
    try:
        with session_scope(run.engine) as session:
            outcome = step.act(run, session, now)
    except DomainError as error:
        transcript.participant(
            now, step.actor, run.say("refused", error=f"{step.name}: {error.in_locale(run.locale)}")
        )
        return 1
    if outcome is None:
        return 0
    transcript.participant(now, step.actor, outcome.text)
    if outcome.meeting_id is not None:
        meetings.refresh_messages(run.engine, run.client, meeting_id=outcome.meeting_id, now=now)
    if outcome.action_id is not None:
        with session_scope(run.engine) as session:
            dispatch.refresh(session, run.client, action_id=outcome.action_id, now=now)
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
            sa.select(sa.func.min(due)).where(Notification.state == "pending", due > now)
        ).scalar()  # fmt: skip
    if upcoming is not None:
        candidates.append(upcoming if upcoming.tzinfo else upcoming.replace(tzinfo=UTC))
    return max(min(candidates), now + timedelta(seconds=1))


# ---------------------------------------------------------------------------------------------
# Printing


class _Printer:
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


def _intro(out: IO[str], doc: ConfigDoc, options: Options, start: datetime, end: datetime, names: Names,
           committees: list[Committee], kept: Path | None) -> None:  # fmt: skip
    locale = options.locale
    tz = ZoneInfo(names.timezone)
    transcript = Transcript(out, names, width=options.width)
    transcript.heading(say(locale, "title", preset=PRESETS[locale]))
    first, last = start.astimezone(tz).date(), (end - timedelta(seconds=1)).astimezone(tz).date()
    db = say(locale, "named_db", path=kept) if kept else say(locale, "temporary_db")
    for line in wrap([say(locale, "intro", first=day_label(first, locale), last=day_label(last, locale),
                          weeks=options.weeks, db=db, quiet=options.quiet)], options.width):  # fmt: skip
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
        line = say(locale, "committee_line", name=committee.name, cadence=say(locale, "cadence", cadence=committee.cadence),
                   channel=names.channel(committee.channel), chair=names.user(committee.chair),
                   secretary=names.user(committee.secretary), deck_owner=names.user(committee.deck_owner))  # fmt: skip
        for wrapped in wrap(["  " + line], options.width):
            transcript.line(wrapped)


def _summary(
    out: IO[str],
    engine: Engine,
    printer: _Printer,
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
        rows = session.execute(sa.select(Notification.state, Notification.kind, Notification.due_at)).all()
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
    text = say(locale, "totals", sent=printer.posted, channel=printer.channel_posts, dm=printer.posted - printer.channel_posts,
               edited=printer.edited, states=states)  # fmt: skip
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


def _footer(out: IO[str], options: Options, result: DemoResult) -> None:
    locale = options.locale
    seconds = f"{result.seconds:.1f}".replace(".", ",") if locale == "fr" else f"{result.seconds:.1f}"
    out.write("\n" + say(locale, "footer", weeks=options.weeks, seconds=seconds) + "\n")
    if result.db_path is not None:
        out.write(say(locale, "kept", path=result.db_path) + "\n")
    if result.step_errors:
        out.write(say(locale, "step_errors", count=result.step_errors) + "\n")
    if result.problems:
        out.write(say(locale, "problems", count=len(result.problems), first=result.problems[0]) + "\n")


__all__ = [
    "CAST",
    "DemoError",
    "DemoResult",
    "Options",
    "build_script",
    "channel_name",
    "default_start",
    "run_demo",
]
