"""iCalendar (RFC 5545) export of committee meetings and their deadlines (SPEC §8).

One VEVENT per meeting, identified by the committee key and the occurrence's series instant, so a
moved meeting keeps its UID and subscribed calendars update it in place instead of duplicating it.
Each meeting also gets two short, transparent events marking the deck due and the minutes due.
Start and end carry the committee's TZID, and the VTIMEZONE components they need are included.

SEQUENCE follows the meeting's state (0 as planned or held, 1 moved, 2 cancelled): a meeting only
ever moves forward through these states, so clients see each change as newer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vText
from sqlmodel import Session, select

from bot.core.calendar import Occurrence
from bot.planning.window import CommitteeCalendar, Deadlines, calendar_window
from bot.text.render import normalize_locale
from storage.models import Committee, MeetingStatus

PRODID = "-//committee-bot//committee-bot//EN"
UID_DOMAIN = "committee-bot"
DEADLINE_LENGTH = timedelta(minutes=15)
SEQUENCE = {MeetingStatus.moved.value: 1, MeetingStatus.cancelled.value: 2}
# How far a subscribed feed reaches around ``now``.
FEED_PAST = timedelta(days=92)
FEED_AHEAD = timedelta(days=400)
# How often calendar clients should re-read the feed.
REFRESH = timedelta(hours=1)

LABELS = {
    "fr": {
        "deck": "Support à partager : {name}",
        "minutes": "Compte rendu attendu : {name}",
        "channel": "Canal Slack : {channel}",
        "cancelled": "Réunion annulée.",
    },
    "en": {
        "deck": "Deck due: {name}",
        "minutes": "Minutes due: {name}",
        "channel": "Slack channel: {channel}",
        "cancelled": "Meeting cancelled.",
    },
}


def event_uid(committee_key: str, series_start: datetime, suffix: str = "") -> str:
    """``production-20270105T0900Z@committee-bot``; ``suffix`` (``deck``, ``minutes``) for deadlines."""
    stamp = series_start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    tail = f"-{suffix}" if suffix else ""
    return f"{committee_key}-{stamp}{tail}@{UID_DOMAIN}"


def committee_calendar(
    committee: Committee,
    occurrences: Iterable[Occurrence],
    deadlines: Mapping[datetime, Deadlines] | None = None,
    *,
    now: datetime,
) -> bytes:
    """One committee's meetings (and, from ``deadlines`` keyed by series start, its deadlines) as ICS.

    ``now`` (aware) stamps the events (DTSTAMP).
    """
    entry = CommitteeCalendar(
        committee=committee, calendar=None, occurrences=list(occurrences), deadlines=dict(deadlines or {})
    )
    return calendars_ics([entry], now=now, name=committee.name)


def calendars_ics(
    entries: Iterable[CommitteeCalendar], *, now: datetime, name: str = "committee-bot"
) -> bytes:
    """Several committees' meetings and deadlines in one VCALENDAR."""
    entries = list(entries)
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # An X- property is written as is unless typed: vText escapes "," ";" and "\\" (RFC 5545 §3.3.11),
    # so "Comité A, B" is not cut at the comma by calendar clients.
    calendar.add("x-wr-calname", vText(name))
    if len({entry.committee.timezone for entry in entries}) == 1:
        calendar.add("x-wr-timezone", entries[0].committee.timezone)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    stamp = now.astimezone(UTC)

    moments: list[datetime] = []
    for entry in entries:
        committee = entry.committee
        zone = ZoneInfo(committee.timezone)
        labels = LABELS[normalize_locale(committee.locale)]
        for occurrence in entry.occurrences:
            calendar.add_component(_meeting_event(committee, occurrence, labels, stamp))
            moments.append(occurrence.start)
            due = entry.deadlines.get(occurrence.series_start)
            if due is None or occurrence.status == MeetingStatus.cancelled.value:
                continue
            for suffix, moment in (("deck", due.deck_due), ("minutes", due.minutes_due)):
                local = moment.astimezone(zone)
                calendar.add_component(_deadline_event(committee, occurrence, suffix, local, labels, stamp))
                moments.append(local)
    if moments:
        # VTIMEZONE rules only for the years the events span, not 1970-2038.
        low, high = min(moments).date(), max(moments).date()
        calendar.add_missing_timezones(low - timedelta(days=366), high + timedelta(days=366))
        _sort_timezones(calendar)
    return calendar.to_ical()


def _sort_timezones(calendar: Calendar) -> None:
    """VTIMEZONE blocks first, by TZID: the same calendar always serialises to the same bytes
    (icalendar adds them in set order)."""
    zones = sorted(
        (c for c in calendar.subcomponents if isinstance(c, Timezone)), key=lambda c: str(c.get("tzid"))
    )
    others = [c for c in calendar.subcomponents if not isinstance(c, Timezone)]
    calendar.subcomponents[:] = zones + others


def _meeting_event(
    committee: Committee, occurrence: Occurrence, labels: dict[str, str], stamp: datetime
) -> Event:
    zone = ZoneInfo(committee.timezone)
    event = Event()
    event.add("uid", event_uid(committee.key, occurrence.series_start))
    event.add("dtstamp", stamp)
    event.add("dtstart", occurrence.start.astimezone(zone))
    event.add("dtend", occurrence.end.astimezone(zone))
    event.add("summary", committee.name)
    description = labels["channel"].format(channel=committee.channel)
    cancelled = occurrence.status == MeetingStatus.cancelled.value
    if cancelled:
        description = labels["cancelled"] + "\n" + description
    event.add("description", description)
    event.add("categories", [committee.kind])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", SEQUENCE.get(occurrence.status, 0))
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    return event


def _deadline_event(
    committee: Committee,
    occurrence: Occurrence,
    suffix: str,
    moment: datetime,
    labels: dict[str, str],
    stamp: datetime,
) -> Event:
    event = Event()
    event.add("uid", event_uid(committee.key, occurrence.series_start, suffix))
    event.add("dtstamp", stamp)
    event.add("dtstart", moment)
    event.add("dtend", moment + DEADLINE_LENGTH)
    event.add("summary", labels[suffix].format(name=committee.name))
    event.add("description", labels["channel"].format(channel=committee.channel))
    event.add("categories", [committee.kind])
    event.add("status", "CONFIRMED")
    event.add("sequence", SEQUENCE.get(occurrence.status, 0))
    event.add("transp", "TRANSPARENT")
    return event


def calendar_feed(session: Session, *, token: str, now: datetime) -> bytes | None:
    """The subscribable feed of the active committee whose ``feed_token`` is ``token`` (None if none
    matches: an unknown or rotated token, or a committee set ``active: false``).

    Meetings from about three months before ``now`` to a year and a month after, with deadlines.
    What ``GET /calendar/<feed-token>.ics`` serves.
    """
    committee = session.exec(select(Committee).where(Committee.feed_token == token)).first()
    if committee is None or not committee.active:  # a retired committee's feed is gone, like a revoked one
        return None
    entries = calendar_window(
        session, start=now - FEED_PAST, end=now + FEED_AHEAD, committee_key=committee.key, with_deadlines=True
    )
    return calendars_ics(entries, now=now, name=committee.name)
