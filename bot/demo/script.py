"""The demo's scenario: timed steps in which the cast acts through the real flows."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.action_items import views
from bot.action_items.flows import (
    complete_action,
    create_action,
    snooze_action,
    snooze_choice,
    update_progress,
)
from bot.core.calendar import BusinessCalendar, Occurrence
from bot.core.parsing import parse_add
from bot.core.rules import requires_approval
from bot.demo.cast import CAST, JULIE, KARIM, MARIE, NICOLAS, SOPHIE, TEXTS, THOMAS
from bot.demo.offline import OfflineSlack
from bot.demo.transcript import day_label
from bot.meetings import flows as meetings
from bot.meetings import state
from bot.text.render import environment
from storage.models import Committee


@dataclass(frozen=True)
class StepResult:
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
    act: Callable[[Run, Session, datetime], StepResult | None]


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
    row = state.meeting_for_series(
        session, committee=meeting.committee, series_start=meeting.occurrence.series_start, now=now
    )
    assert row.id is not None
    return row.id


def propose_topic(
    meeting: Slot, at: datetime, actor: str, text_key: str, *, presenter: str, duration: int
) -> Step:
    def act(run: Run, session: Session, now: datetime) -> StepResult:
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
        return StepResult(
            run.say("propose_topic", meeting=run.meeting_label(meeting), title=title, duration=duration),
            meeting_id=meeting_id,
        )

    return Step(at, actor, f"propose_topic {meeting.committee.key} {meeting.day}", act)


def share_deck(meeting: Slot, at: datetime, *, late: bool = False) -> Step:
    actor = meeting.committee.deck_owner

    def act(run: Run, session: Session, now: datetime) -> StepResult:
        meeting_id = _meeting_row(session, meeting, now)
        link = run.texts["deck_link"].format(key=meeting.committee.key, day=meeting.day)
        meetings.mark_deck_shared(session, meeting_id=meeting_id, link=link, actor=actor, now=now)
        line = "share_deck_late" if late else "share_deck"
        return StepResult(run.say(line, meeting=run.meeting_label(meeting), link=link), meeting_id=meeting_id)

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

    def act(run: Run, session: Session, now: datetime) -> StepResult:
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
        for (memo, *_), public_id in zip(actions, result.actions, strict=True):
            run.memo[memo] = int(public_id.lstrip("A"))
        values = {
            "meeting": run.meeting_label(meeting),
            "decisions": len(result.decisions),
            "actions": ", ".join(result.actions),
        }
        if late_days is not None:
            return StepResult(run.say("submit_minutes_late", days=late_days, **values), meeting_id=meeting_id)
        return StepResult(run.say("submit_minutes", **values), meeting_id=meeting_id)

    return Step(at, actor, f"submit_minutes {meeting.committee.key} {meeting.day}", act)


def approve_minutes(meeting: Slot, at: datetime) -> Step:
    actor = meeting.committee.chair

    def act(run: Run, session: Session, now: datetime) -> StepResult:
        meeting_id = _meeting_row(session, meeting, now)
        meetings.approve_minutes(session, meeting_id=meeting_id, actor=actor, now=now)
        return StepResult(
            run.say("approve_minutes", meeting=run.meeting_label(meeting)), meeting_id=meeting_id
        )

    return Step(at, actor, f"approve_minutes {meeting.committee.key} {meeting.day}", act)


def add_action(
    meeting: Slot, at: datetime, actor: str, memo: str, *, owner: str, text_key: str, due: date, high: bool
) -> Step:
    """``/action add`` typed in the committee's channel, read by the real parser."""

    def act(run: Run, session: Session, now: datetime) -> StepResult:
        text = _action_text(run, owner, run.texts[text_key], due, high)
        draft = parse_add(text, now=now, tz=meeting.committee.timezone, locale=run.locale)
        assert draft.owner and draft.due, draft.missing  # the script writes complete commands
        action = create_action(
            session,
            title=draft.title,
            owner=draft.owner,
            creator=actor,
            due=draft.due,
            priority=draft.priority,
            committee_id=meeting.committee.id,
            now=now,
        )
        assert action.id is not None
        run.memo[memo] = action.id
        shown = text.replace(f"<@{owner}>", "@" + _name(owner))
        return StepResult(run.say("action_add", text=shown, action=action.public_id), action_id=action.id)

    return Step(at, actor, f"add_action {memo}", act)


def action_done(at: datetime, actor: str, memo: str) -> Step:
    def act(run: Run, session: Session, now: datetime) -> StepResult | None:
        if memo not in run.memo:
            return None
        action = complete_action(session, action_id=run.memo[memo], actor=actor, now=now)
        label = views.labels(run.locale)["done"]
        return StepResult(
            run.say("action_done", button=label, action=action.public_id, title=action.title),
            action_id=action.id,
        )

    return Step(at, actor, f"action_done {memo}", act)


def action_snooze(at: datetime, actor: str, memo: str, calendar: BusinessCalendar, tz: ZoneInfo) -> Step:
    def act(run: Run, session: Session, now: datetime) -> StepResult | None:
        if memo not in run.memo:
            return None
        today = now.astimezone(tz).date()
        until = snooze_choice("1w", today, calendar)
        action = snooze_action(
            session, action_id=run.memo[memo], actor=actor, until=until, now=now, today=today
        )
        labels = views.labels(run.locale)
        return StepResult(
            run.say(
                "action_snooze",
                button=labels["snooze"],
                choice=labels["snooze_1w"],
                action=action.public_id,
                until=day_label(until, run.locale),
            ),
            action_id=action.id,
        )

    return Step(at, actor, f"action_snooze {memo}", act)


def action_progress(at: datetime, actor: str, memo: str, *, progress: int) -> Step:
    def act(run: Run, session: Session, now: datetime) -> StepResult | None:
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
        status = views.labels(run.locale)["status_in_progress"]
        return StepResult(
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
        steps.append(
            submit_minutes(
                p0,
                p0.at(p0.day, "16:30"),
                decisions=["decision_production"],
                actions=[
                    ("train", JULIE, "action_train", train_due, False),
                    ("thresholds", KARIM, "action_thresholds", thresholds_due, True),
                ],
            )
        )
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
            steps.append(
                submit_minutes(
                    q0,
                    q0.at(late_day, "11:00"),
                    decisions=["decision_quality"],
                    late_days=3,
                    actions=[("grid", THOMAS, "action_grid", grid_due, False)],
                )
            )
            special_minutes.add(id(q0))

    if steering:
        s0 = steering[0]
        budget_due = s0.bd(s0.day, 5)
        steps.append(
            submit_minutes(
                s0,
                s0.at(s0.bd(s0.day, 1), "16:00"),
                decisions=["decision_steering"],
                actions=[("budget", NICOLAS, "action_budget", budget_due, False)],
            )
        )
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
