"""The demo's changes to meetings (issue 9): a production meeting moved twice, another cancelled then
restored, and the first minutes amended, each through the same flows the Slack listeners call
(``bot.surface.meeting_changes`` for the commands and their buttons, ``bot.meetings.flows`` for
the minutes).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.demo.script import Run, Slot, Step, StepResult
from bot.meetings import flows, minutes_versions, state
from bot.slack import ids
from bot.slack.outcome import Outcome as SlackOutcome
from bot.slack.users import Person
from bot.surface import meeting_changes as changes
from storage import meetings as meeting_store

TO = {"fr": "au", "en": "to"}

AMENDMENTS = {
    "fr": {
        "summary_amended": "Revue des indicateurs de la semaine, des actions ouvertes et des sujets proposés. "
        "Correction : le taux de décroché était de 91 %, non de 89 %.",
        "decision_amended": "Point d'étape sur le renfort à la prochaine réunion",
    },
    "en": {
        "summary_amended": "Review of the period's KPIs, the open actions and the proposed topics. "
        "Correction: the call take-up rate was 91 %, not 89 %.",
        "decision_amended": "Progress check on the reinforcement at the next meeting",
    },
}


def _chair(slot: Slot, run: Run) -> Person:
    return Person(user_id=slot.committee.chair, tz=slot.committee.timezone, locale=run.locale)


def _did(run: Run, outcome: SlackOutcome, line: str) -> StepResult:
    return StepResult(line, meeting_id=outcome.meeting_id)


def _dm(day: date) -> str:
    return f"{day:%d/%m}"


def move_twice(slot: Slot) -> tuple[list[Step], date]:
    """The chair moves the meeting to the day after, 15:00, then (two business days later) to two
    business days after its original date, 14:00, naming it by its original date both times.
    Returns the steps and the final day (the caller times the deck and the minutes from it)."""
    first_day, final_day = slot.bd(slot.day, 1), slot.bd(slot.day, 2)
    moves = [
        (
            slot.at(slot.bd(slot.day, -4), "11:00"),
            f"{_dm(slot.day)} {TO[slot.committee.locale]} {_dm(first_day)} 15:00",
        ),
        (
            slot.at(slot.bd(slot.day, -2), "11:00"),
            f"{_dm(slot.day)} {TO[slot.committee.locale]} {_dm(final_day)} 14:00",
        ),
    ]
    steps = []
    for at, text in moves:

        def act(run: Run, session: Session, now: datetime, text: str = text) -> StepResult:
            outcome = changes.move(
                session, committee=slot.committee, text=text, person=_chair(slot, run),
                channel=slot.committee.channel, now=now,
            )  # fmt: skip
            return _did(run, outcome, run.say("move_meeting", text=text))

        steps.append(Step(at, slot.committee.chair, f"move {slot.committee.key} {slot.day}", act))
    return steps, final_day


def cancel_and_restore(slot: Slot) -> list[Step]:
    """The chair cancels the meeting by mistake (the confirmation names it), then restores it."""
    day = slot.bd(slot.day, -5)

    def cancel(run: Run, session: Session, now: datetime) -> StepResult:
        person = _chair(slot, run)
        question = changes.cancel(
            session, committee=slot.committee, text=_dm(slot.day), person=person, channel=slot.committee.channel,
            now=now,
        )  # fmt: skip
        button = _button(question, ids.BTN_MEETING_CONFIRM)
        outcome = changes.confirmed(session, value=button["value"], person=person, now=now)
        return _did(run, outcome, run.say("cancel_meeting", day=_dm(slot.day), button=button["text"]["text"]))

    def restore(run: Run, session: Session, now: datetime) -> StepResult:
        outcome = changes.restore(
            session, committee=slot.committee, text=_dm(slot.day), person=_chair(slot, run),
            channel=slot.committee.channel, now=now,
        )  # fmt: skip
        return _did(run, outcome, run.say("restore_meeting", day=_dm(slot.day)))

    name = f"{slot.committee.key} {slot.day}"
    return [
        Step(slot.at(day, "10:00"), slot.committee.chair, f"cancel {name}", cancel),
        Step(slot.at(day, "10:40"), slot.committee.chair, f"restore {name}", restore),
    ]


def amend_minutes(slot: Slot, at: datetime) -> Step:
    """The secretary corrects the posted minutes: the summary, one decision more, the same action
    lines (their items are kept, not created again)."""
    actor = slot.committee.secretary

    def act(run: Run, session: Session, now: datetime) -> StepResult:
        meeting = state.meeting_for_series(
            session, committee=slot.committee, series_start=slot.occurrence.series_start, now=now
        )
        words = AMENDMENTS[run.locale]
        decisions = [d.text for d in meeting_store.decisions(session, meeting_id=meeting.id)]  # type: ignore[arg-type]
        items = minutes_versions.current_items(session, meeting_id=meeting.id)  # type: ignore[arg-type]
        result = flows.amend_minutes(
            session, meeting_id=meeting.id, summary=words["summary_amended"],  # type: ignore[arg-type]
            decisions=[*decisions, words["decision_amended"]], action_lines=[minutes_versions.line_of(a) for a in items],
            attendees=list(meeting.minutes_attendees or []), link=meeting.minutes_link, actor=actor, now=now,
        )  # fmt: skip
        line = run.say(
            "amend_minutes", meeting=run.meeting_label(slot), version=result.version,
            kept=", ".join(a.public_id for a in items) or "—",
        )  # fmt: skip
        return StepResult(line, meeting_id=meeting.id)

    return Step(at, actor, f"amend_minutes {slot.committee.key} {slot.day}", act)


def _button(outcome: SlackOutcome, action_id: str) -> dict[str, Any]:
    assert outcome.reply is not None
    for block in outcome.reply.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == action_id:
                return element
    raise AssertionError(f"no {action_id} button in the answer")


def minutes_time(slot: Slot, day: date, start_hhmm: str) -> datetime:
    """When the secretary submits the minutes of a meeting moved to ``day`` at ``start_hhmm``."""
    hour, minute = (int(p) for p in start_hhmm.split(":"))
    start = slot.at(day, f"{hour:02d}:{minute:02d}")
    end = start + (slot.occurrence.end - slot.occurrence.start)
    return max(slot.at(day, "16:30"), end + timedelta(minutes=45))
