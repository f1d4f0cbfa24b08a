"""The demo's story: which scripted steps happen to which meeting, and when (``build_script``).

Apart from the step builders (``bot.demo.script``, ``bot.demo.changes``) so that both build on the
same ``Step`` and ``Slot`` without importing each other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.action_items.flows import snooze_choice
from bot.core.rules import requires_approval
from bot.demo import changes
from bot.demo.cast import JULIE, KARIM, MARIE, NICOLAS, SOPHIE, THOMAS
from bot.demo.script import (
    Slot,
    Step,
    action_done,
    action_progress,
    action_snooze,
    add_action,
    approve_minutes,
    propose_topic,
    share_deck,
    submit_minutes,
)


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

    # Changes to meetings (issue 9): a meeting moved twice, one cancelled then restored, minutes amended.
    if production:
        steps.append(changes.amend_minutes(production[0], p0.at(p0.bd(p0.day, 1), "10:30")))
    if len(production) > 2:
        p2 = production[2]
        moves, final_day = changes.move_twice(p2)
        steps.extend(moves)
        deck_day = p2.bd(p2.bd(final_day, -2), -1)  # the deck reminder of the final slot
        steps.append(share_deck(p2, p2.at(deck_day, "16:10")))
        steps.append(
            submit_minutes(p2, changes.minutes_time(p2, final_day, "14:00"), decisions=["decision_routine"])
        )
        special_deck.add(id(p2))
        special_minutes.add(id(p2))
    if len(production) > 3:
        steps.extend(changes.cancel_and_restore(production[3]))

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
