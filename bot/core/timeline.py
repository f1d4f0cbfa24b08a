"""What the bot will send, and when: the timeline of one meeting (SPEC §4), the chase of one action
item (SPEC §5) and the weekly digest (SPEC §6).

Pure functions: they take a committee, an occurrence or an action and a business calendar, and
return ``Planned`` notifications with their exact instant, recipient and idempotency key. Whether a
conditional message is still needed (minutes already in? action done?) is decided again at send time.

Every delay has the SPEC default and can be overridden per committee in its ``timeline`` mapping
(YAML in ``config import``); each key is optional::

    timeline:
      agenda_request: {business_days: 3, time: "09:00"}   # default by cadence: weekly 3, monthly/quarterly 5,
                                                          # semiannual/annual 15
      deck_due: {business_days: 2}                        # deck due (= agenda published) before T, at T's time
      deck_reminder: {business_days: 1, time: "09:00"}    # before the deck due date
      meeting_reminder: {minutes: 60}                     # before T
      minutes_due: {business_days: 2}                     # after E, at E's time of day
      minutes_reminder: {business_days: 1}                # after E, at E's time of day
      minutes_overdue: {time: "09:00", max: 3}            # first at minutes due, then each business day
      save_the_date: {days: 60}                           # default only for semiannual/annual committees;
                                                          # setting it turns it on for any cadence
      digest: {time: "09:00"}                             # first business day of each week
      action_chase: {due_soon_business_days: 1, overdue_every_business_days: 2,
                     escalate_on_chase: 3, time: "09:00"}  # in the owner's time zone
      off: [meeting_reminder, weekly_digest]              # kinds never planned

Times are ``"HH:MM"`` strings (quote them in YAML: unquoted ``9:00`` is read as the number 540).
Each number has a maximum (``bounds.TIMELINE_LIMITS``, listed in SECURITY.md) that keeps a meeting's
notifications within the window the planner reads around it.

Idempotency keys are stable across re-plans: a meeting's keys hang on the committee key and the
occurrence's ``series_start`` (so a moved meeting keeps its keys and its pending rows follow the
move); an action's keys include its due date and snooze, so that changing either plans fresh chases
instead of colliding with those already sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.calendar import BusinessCalendar, Occurrence, localize, zone
from bot.core.kinds import DIGEST_KIND, PRE_MEETING_KINDS
from bot.core.rules import TimelineRules, rules_for
from storage.models import OPEN_ACTION_STATUSES, ActionItem, Committee, MeetingStatus


@dataclass(frozen=True)
class Planned:
    kind: str
    at: datetime  # aware UTC
    to: str  # channel or user id
    key: str  # idempotency key, stable across re-plans
    committee_key: str | None = None
    meeting_start: datetime | None = None  # aware, the committee's zone; None when not tied to a meeting
    series_start: datetime | None = None  # aware UTC, identity of the meeting
    action_id: int | None = None
    expires_at: datetime | None = None  # aware UTC; pre-meeting kinds expire at T
    data: dict[str, Any] = field(default_factory=dict, compare=False)


# ---------------------------------------------------------------------------------------------
# Planning


def _wall(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """``day`` at wall-clock ``clock`` in ``tz`` (aware; DST gaps normalized)."""
    return localize(datetime.combine(day, clock.replace(tzinfo=None)), tz)


@dataclass(frozen=True)
class Deadlines:
    """When a meeting's deck and minutes are due (aware, in the committee's zone)."""

    deck_due: datetime
    minutes_due: datetime


def meeting_deadlines(
    committee: Committee,
    start: datetime,
    end: datetime,
    calendar: BusinessCalendar,
    rules: TimelineRules | None = None,
) -> Deadlines:
    """Deck due: n business days before ``start`` at its time of day; minutes due: n business days
    after ``end`` at its time of day (SPEC §4, with the committee's overrides)."""
    rules = rules or rules_for(committee)
    return _deadlines(
        committee.timezone,
        start,
        end,
        calendar,
        rules.deck_due_business_days,
        rules.minutes_due_business_days,
    )


@lru_cache(maxsize=65536)
def _deadlines(
    tz_name: str, start: datetime, end: datetime, calendar: BusinessCalendar, deck_bd: int, minutes_bd: int
) -> Deadlines:
    # Committees share zones, calendars and meeting times: digests and health figures ask for the
    # same deadlines many times over.
    tz = zone(tz_name)
    start, end = start.astimezone(tz), end.astimezone(tz)
    return Deadlines(
        deck_due=_wall(calendar.add(start.date(), -deck_bd), start.time(), tz),
        minutes_due=_wall(calendar.add(end.date(), minutes_bd), end.time(), tz),
    )


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def plan_meeting(
    committee: Committee,
    occurrence: Occurrence,
    calendar: BusinessCalendar,
    *,
    rules: TimelineRules | None = None,
) -> list[Planned]:
    """Every time-driven notification of SPEC §4 for one occurrence (none when cancelled), by instant.

    Pre-meeting kinds expire at T and are left out when their instant is at or after T; one that
    lands on a non-business day moves to the same local time on the previous business day (except
    the meeting reminder, which stays exactly N minutes before T). Post-meeting kinds landing on a
    non-business day move to the next one. ``minutes_overdue`` goes to the secretary (while the
    minutes are not submitted), the chair and the channel: three rows per instance. ``rules``
    defaults to ``rules_for(committee)``.
    """
    if occurrence.status == MeetingStatus.cancelled.value:
        return []
    rules = rules or rules_for(committee)
    tz = zone(committee.timezone)
    start = occurrence.start.astimezone(tz)
    end = occurrence.end.astimezone(tz)
    start_utc = start.astimezone(UTC)
    series_start = occurrence.series_start.astimezone(UTC)
    base_key = f"m:{committee.key}:{_stamp(series_start)}"

    deadlines = meeting_deadlines(committee, start, end, calendar, rules)
    deck_due, minutes_due = deadlines.deck_due, deadlines.minutes_due
    common = {
        "deck_due": deck_due.isoformat(),
        "minutes_due": minutes_due.isoformat(),
        "meeting_end": end.isoformat(),
    }

    planned: list[Planned] = []

    def add(
        kind: str, at: datetime, to: str, suffix: str = "", expires: datetime | None = None, **data: Any
    ) -> None:
        pre = kind in PRE_MEETING_KINDS
        if kind != "meeting_reminder" and not calendar.is_business_day(at.date()):
            day = calendar.on_or_before(at.date()) if pre else calendar.on_or_after(at.date())
            at = _wall(day, at.time(), tz)
        at = at.astimezone(UTC)
        if pre and at >= start_utc:
            return
        planned.append(
            Planned(
                kind=kind,
                at=at,
                to=to,
                key=f"{base_key}:{kind}{suffix}",
                committee_key=committee.key,
                meeting_start=start,
                series_start=series_start,
                expires_at=start_utc if pre else expires,
                data={**common, **data},
            )
        )

    if rules.save_the_date_days is not None and rules.on("save_the_date"):
        day = start.date() - timedelta(days=rules.save_the_date_days)
        add("save_the_date", _wall(day, start.time(), tz), committee.channel)
    if rules.on("agenda_request"):
        day = calendar.add(start.date(), -rules.agenda_request_business_days)
        add("agenda_request", _wall(day, rules.agenda_request_time, tz), committee.channel)
    if rules.on("deck_reminder"):
        day = calendar.add(deck_due.date(), -rules.deck_reminder_business_days)
        add("deck_reminder", _wall(day, rules.deck_reminder_time, tz), committee.deck_owner)
    if rules.on("agenda_published"):
        add("agenda_published", deck_due, committee.channel)
    if rules.on("meeting_reminder"):
        # Absolute minutes: the reminder stays N minutes before T even across a DST change.
        at = (start_utc - timedelta(minutes=rules.meeting_reminder_minutes)).astimezone(tz)
        add("meeting_reminder", at, committee.channel)
    if rules.on("minutes_request"):
        add("minutes_request", end, committee.secretary)
    if rules.on("minutes_reminder"):
        day = calendar.add(end.date(), rules.minutes_reminder_business_days)
        add("minutes_reminder", _wall(day, end.time(), tz), committee.secretary)
    if rules.on("minutes_overdue"):
        instants = [minutes_due] + [
            _wall(calendar.add(minutes_due.date(), n - 1), rules.minutes_overdue_time, tz)
            for n in range(2, rules.minutes_overdue_max + 1)
        ]
        for n, at in enumerate(instants, start=1):
            # Each chase expires when the next one is due: a catch-up after downtime sends only the
            # latest, not a burst of stale ones; the last runs until the minutes are in.
            following = instants[n].astimezone(UTC) if n < len(instants) else None
            data = {"n": n, "max": rules.minutes_overdue_max}
            # Whoever holds the minutes is chased: the secretary until submission (this row; the
            # message drops it once submitted), the chair while approval waits (the chair's row).
            if committee.secretary and committee.secretary != committee.chair:
                add("minutes_overdue", at, committee.secretary, f":{n}:secretary", following, **data)
            add("minutes_overdue", at, committee.chair, f":{n}:chair", following, **data)
            add("minutes_overdue", at, committee.channel, f":{n}:channel", following, **data)

    planned.sort(key=lambda p: p.at)  # stable: SPEC table order at equal instants
    return planned


def plan_action(
    action: ActionItem,
    *,
    owner_tz: str,
    calendar: BusinessCalendar,
    chair: str | None,
    until: date,
    rules: TimelineRules | None = None,
    committee_key: str | None = None,
) -> list[Planned]:
    """The chase of SPEC §5 for one open action, up to ``until`` (owner's local dates, inclusive).

    All at the chase time (09:00) in the owner's zone, on business days: ``action_due_soon`` 1 bd
    before the due date; ``action_overdue`` on the first business day after it, then every 2 bd;
    ``action_escalation`` to ``chair`` with the 3rd overdue chase (none when the chair is unknown or
    owns the action). A snooze suppresses every chase before ``snoozed_until``; chasing resumes on
    the first business day on or after it and the chase count starts again there (a snooze is an
    agreed delay). Done or cancelled: nothing.

    Each overdue chase expires when the next one is due, so a catch-up after downtime sends only the
    latest; ``action_due_soon`` expires at the end of the due date. ``rules`` defaults to the SPEC
    defaults (pass ``rules_for(committee)`` to honour the committee's ``action_chase`` overrides).
    """
    if action.status not in OPEN_ACTION_STATUSES:
        return []
    rules = rules or TimelineRules()
    tz = zone(owner_tz)
    due, snooze = action.due, action.snoozed_until
    base_key = f"a:{action.id}:{due.isoformat()}:{snooze.isoformat() if snooze else '-'}"

    def chase_at(day: date) -> datetime:
        return _wall(day, rules.action_chase_time, tz).astimezone(UTC)

    def snoozed(day: date) -> bool:
        return snooze is not None and day < snooze

    def planned(
        kind: str, day: date, to: str, suffix: str, expires_at: datetime | None, **data: Any
    ) -> Planned:
        return Planned(
            kind=kind,
            at=chase_at(day),
            to=to,
            key=f"{base_key}:{kind}{suffix}",
            committee_key=committee_key,
            action_id=action.id,
            expires_at=expires_at,
            data={"due": due.isoformat(), **data},
        )

    chases: list[Planned] = []
    if rules.on("action_due_soon"):
        lead = rules.action_due_soon_business_days
        day = calendar.add(due, -lead) if lead else calendar.on_or_before(due)
        if day <= until and not snoozed(day):
            end_of_due_day = _wall(due + timedelta(days=1), time(0, 0), tz).astimezone(UTC)
            chases.append(planned("action_due_soon", day, action.owner, "", end_of_due_day))

    if rules.on("action_overdue") or rules.on("action_escalation"):
        every = rules.action_overdue_every_business_days
        day = calendar.add(due, 1)
        if snooze is not None and snoozed(day):
            day = calendar.on_or_after(snooze)
        n = 1
        while day <= until:
            following = calendar.add(day, every)
            if rules.on("action_overdue"):
                chases.append(
                    planned("action_overdue", day, action.owner, f":{n}", chase_at(following), chase=n)
                )
            if (
                n == rules.action_escalate_on_chase
                and chair
                and chair != action.owner
                and rules.on("action_escalation")
            ):
                chases.append(planned("action_escalation", day, chair, "", None, chase=n, owner=action.owner))
            day, n = following, n + 1

    chases.sort(key=lambda p: p.at)  # stable: the overdue chase before its escalation
    return chases


def plan_digest(
    committee: Committee,
    calendar: BusinessCalendar,
    start: date,
    end: date,
    *,
    rules: TimelineRules | None = None,
) -> list[Planned]:
    """Weekly digests (first business day of each week, 09:00) whose date falls in [start, end].

    A week without any business day has no digest. Each digest expires at the end of its week.
    """
    rules = rules or rules_for(committee)
    if not rules.on(DIGEST_KIND):
        return []
    tz = zone(committee.timezone)
    digests = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end:
        week = [monday + timedelta(days=i) for i in range(7)]
        day = next((d for d in week if calendar.is_business_day(d)), None)
        if day is not None and start <= day <= end:
            digests.append(
                Planned(
                    kind=DIGEST_KIND,
                    at=_wall(day, rules.digest_time, tz).astimezone(UTC),
                    to=committee.channel,
                    key=f"d:{committee.key}:{monday.isoformat()}",
                    committee_key=committee.key,
                    expires_at=_wall(monday + timedelta(days=7), time(0, 0), tz).astimezone(UTC),
                    data={"week": monday.isoformat()},
                )
            )
        monday += timedelta(days=7)
    return digests
