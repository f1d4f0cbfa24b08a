"""The iCalendar export: valid RFC 5545 that parses back, stable UIDs, cancellations, deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar
from sqlmodel import select

from bot.core.calendar import Occurrence
from bot.planning.ics import calendar_feed, committee_calendar, event_uid
from bot.planning.window import Deadlines
from storage.committees import get_committee, get_or_create_meeting
from storage.db import session_scope
from storage.models import Committee
from tests.support.config_examples import NOW, SPEC_EXAMPLE, import_text

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def production() -> Committee:
    return Committee(
        key="production",
        name="Comité de production",
        kind="production",
        channel="C0PROD",
        cadence="weekly",
        first=datetime(2027, 1, 5, 10),
        duration=60,
        timezone="Europe/Paris",
        locale="fr",
        chair="U0CHAIR",
        secretary="U0SEC",
        deck_owner="U0DECK",
        feed_token="token",
    )


def meeting(start: datetime, status: str = "scheduled", *, moved_to: datetime | None = None) -> Occurrence:
    begin = moved_to or start
    return Occurrence("production", start.astimezone(UTC), begin, begin + timedelta(hours=1), status)


def events(ics: bytes) -> dict[str, object]:
    return {str(event["UID"]): event for event in Calendar.from_ical(ics).walk("VEVENT")}


OCCURRENCES = [
    meeting(paris(2027, 3, 23, 10)),
    meeting(paris(2027, 3, 30, 10), "cancelled"),
    meeting(paris(2027, 4, 6, 10), "moved", moved_to=paris(2027, 4, 7, 14)),
]
DEADLINES = {
    OCCURRENCES[0].series_start: Deadlines(
        deck_due=paris(2027, 3, 19, 10), minutes_due=paris(2027, 3, 25, 11)
    ),
    OCCURRENCES[1].series_start: Deadlines(
        deck_due=paris(2027, 3, 25, 10), minutes_due=paris(2027, 4, 1, 11)
    ),
}


def test_calendar_is_valid_rfc5545_with_its_time_zone() -> None:
    ics = committee_calendar(production(), OCCURRENCES, DEADLINES, now=NOW)

    calendar = Calendar.from_ical(ics)
    assert calendar["VERSION"] == "2.0"
    assert "committee-bot" in str(calendar["PRODID"])
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert calendar.get_missing_tzids() == set()
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n") and ics.endswith(b"END:VCALENDAR\r\n")
    for event in calendar.walk("VEVENT"):
        assert {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY"} <= set(event)


def test_meeting_keeps_its_local_time_and_zone() -> None:
    found = events(committee_calendar(production(), OCCURRENCES, now=NOW))

    event = found["production-20270323T0900Z@committee-bot"]
    assert event.decoded("DTSTART") == paris(2027, 3, 23, 10)
    assert event.decoded("DTSTART").tzinfo.key == "Europe/Paris"
    assert event.decoded("DTEND") == paris(2027, 3, 23, 11)
    assert str(event["SUMMARY"]) == "Comité de production"
    assert str(event["STATUS"]) == "CONFIRMED" and event["SEQUENCE"] == 0


def test_cancelled_meeting_is_marked_cancelled_with_a_higher_sequence() -> None:
    found = events(committee_calendar(production(), OCCURRENCES, DEADLINES, now=NOW))

    cancelled = found[event_uid("production", OCCURRENCES[1].series_start)]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] > found[event_uid("production", OCCURRENCES[0].series_start)]["SEQUENCE"]
    # A cancelled meeting has no deadlines left.
    assert event_uid("production", OCCURRENCES[1].series_start, "deck") not in found


def test_moved_meeting_keeps_the_uid_of_its_series_slot() -> None:
    found = events(committee_calendar(production(), OCCURRENCES, now=NOW))

    moved = found["production-20270406T0800Z@committee-bot"]
    assert moved.decoded("DTSTART") == paris(2027, 4, 7, 14)
    assert moved["SEQUENCE"] == 1


def test_deck_and_minutes_deadlines_are_short_events_of_their_own() -> None:
    found = events(committee_calendar(production(), OCCURRENCES, DEADLINES, now=NOW))

    deck = found["production-20270323T0900Z-deck@committee-bot"]
    minutes = found["production-20270323T0900Z-minutes@committee-bot"]
    assert deck.decoded("DTSTART") == paris(2027, 3, 19, 10)
    assert minutes.decoded("DTSTART") == paris(2027, 3, 25, 11)
    assert str(deck["SUMMARY"]) == "Support à partager : Comité de production"
    assert str(deck["TRANSP"]) == "TRANSPARENT"
    assert deck.decoded("DTEND") - deck.decoded("DTSTART") == timedelta(minutes=15)


def test_uids_are_stable_across_exports() -> None:
    first = committee_calendar(production(), OCCURRENCES, DEADLINES, now=NOW)
    second = committee_calendar(production(), OCCURRENCES, DEADLINES, now=NOW + timedelta(days=3))

    assert sorted(events(first)) == sorted(events(second))
    assert len(events(first)) == 3 + 2


def test_empty_calendar_is_still_valid() -> None:
    calendar = Calendar.from_ical(committee_calendar(production(), [], now=NOW))

    assert calendar.walk("VEVENT") == [] and calendar["VERSION"] == "2.0"


def test_feed_serves_the_committee_of_the_token_with_its_deadlines(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        committee = get_committee(session, key="production")
        slot = Occurrence(
            "production",
            paris(2027, 3, 30, 10).astimezone(UTC),
            paris(2027, 3, 30, 10),
            paris(2027, 3, 30, 11),
            "scheduled",
        )
        get_or_create_meeting(session, committee=committee, occurrence=slot, now=NOW).status = "cancelled"
        token = session.exec(select(Committee.feed_token)).one()

    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    with session_scope(engine) as session:
        ics = calendar_feed(session, token=token, now=now)
        assert calendar_feed(session, token="not-a-token", now=now) is None

    found = events(ics)
    assert str(found["production-20270330T0800Z@committee-bot"]["STATUS"]) == "CANCELLED"
    deck = found["production-20270323T0900Z-deck@committee-bot"]
    # deck due 2 bd before Tue 23 March at 10:00: Fri 19 March; minutes due 2 bd after 11:00: Thu 25
    assert deck.decoded("DTSTART") == paris(2027, 3, 19, 10)
    assert found["production-20270323T0900Z-minutes@committee-bot"].decoded("DTSTART") == paris(
        2027, 3, 25, 11
    )
    meetings = [
        e for uid, e in found.items() if not uid.endswith(("-deck@committee-bot", "-minutes@committee-bot"))
    ]
    starts = sorted(e.decoded("DTSTART").date() for e in meetings)
    assert starts[0] >= (now - timedelta(days=92)).date() and date(2027, 12, 28) in starts
