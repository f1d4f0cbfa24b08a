"""Committee queries and ``plan_window``: what the bot will send, read from the database.

Expected instants are computed by hand from SPEC §3–§6 for the SPEC §8 example (weekly, Tuesdays
10:00 Europe/Paris from 2027-01-05, French holidays; Easter Monday is 2027-03-29, DST starts 2027-03-28).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.config.document import preset_path
from bot.config.transfer import import_config
from bot.config.validation import load_config
from bot.core.calendar import Occurrence
from bot.planning.window import calendar_days, day_window, plan_days, plan_window
from storage.committees import (
    UnknownCommittee,
    committee_by_channel,
    get_committee,
    get_or_create_meeting,
    get_workspace,
    list_committees,
    meetings_between,
    require_committee,
)
from storage.db import session_scope
from storage.models import ActionItem, Meeting, SlackUser, WorkspaceSettings
from tests.support.config_examples import NOW, SECOND_COMMITTEE, SPEC_EXAMPLE, import_text

PARIS = ZoneInfo("Europe/Paris")
TIMELINE_KINDS = {
    "agenda_request",
    "deck_reminder",
    "agenda_published",
    "meeting_reminder",
    "minutes_request",
    "minutes_reminder",
    "minutes_overdue",
}


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def occurrence(start: datetime, *, minutes: int = 60, status: str = "scheduled") -> Occurrence:
    return Occurrence("production", start.astimezone(UTC), start, start + timedelta(minutes=minutes), status)


def year_2027(session, committee_key: str | None = None):
    start, end = day_window(date(2027, 1, 1), date(2027, 12, 31), "Europe/Paris")
    return plan_window(session, start=start, end=end, committee_key=committee_key)


def add_action(
    session, *, owner: str = "U0A", due: date = date(2027, 3, 19), status: str = "open", committee_id=1
) -> ActionItem:
    action = ActionItem(
        title="Relancer le prestataire",
        owner=owner,
        creator="U0CHAIR",
        committee_id=committee_id,
        due=due,
        status=status,
        created_at=NOW,
    )
    session.add(action)
    session.flush()
    return action


# --- storage/committees.py -------------------------------------------------------------------


def test_workspace_row_is_created_with_defaults_when_missing(engine) -> None:
    with session_scope(engine) as session:
        workspace = get_workspace(session)
        assert (workspace.team_id, workspace.timezone, workspace.locale) == ("default", "Europe/Paris", "fr")
    with session_scope(engine) as session:
        assert get_workspace(session).id == workspace.id
        assert len(session.exec(select(WorkspaceSettings)).all()) == 1


def test_committees_are_found_by_key_and_channel(engine) -> None:
    import_text(engine, SPEC_EXAMPLE + SECOND_COMMITTEE + "    active: false\n")
    with session_scope(engine) as session:
        assert get_committee(session, key="production").channel == "C0PROD"
        assert get_committee(session, key="nope") is None
        assert committee_by_channel(session, channel="C0PROD").key == "production"
        assert committee_by_channel(session, channel="C0QUAL") is None  # inactive
        assert [c.key for c in list_committees(session)] == ["production"]
        assert [c.key for c in list_committees(session, active=None)] == ["production", "qualite"]
        assert [c.key for c in list_committees(session, active=None, key="qualite")] == ["qualite"]
        with pytest.raises(
            UnknownCommittee, match=r'unknown committee "nope" \(known: production, qualite\)'
        ):
            require_committee(session, key="nope")


def test_meetings_are_found_by_series_slot_or_by_start(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        committee = get_committee(session, key="production")
        # Moved from 2027-03-23 to 2027-04-06: found from either week.
        moved = get_or_create_meeting(
            session, committee=committee, occurrence=occurrence(paris(2027, 3, 23, 10)), now=NOW
        )
        moved.start, moved.end, moved.status = paris(2027, 4, 6, 14), paris(2027, 4, 6, 15), "moved"
        get_or_create_meeting(
            session, committee=committee, occurrence=occurrence(paris(2027, 5, 4, 10)), now=NOW
        )

    with session_scope(engine) as session:
        ids = [committee.id]
        march = meetings_between(session, committee_ids=ids, start=paris(2027, 3, 22), end=paris(2027, 3, 29))
        april = meetings_between(session, committee_ids=ids, start=paris(2027, 4, 5), end=paris(2027, 4, 12))
        may = meetings_between(
            session, committee_ids=ids, start=paris(2027, 5, 4, 10), end=paris(2027, 5, 4, 10)
        )
        assert [m.id for m in march] == [m.id for m in april] == [moved.id]
        assert may == []  # [start, end) is empty
        assert (
            meetings_between(session, committee_ids=[], start=paris(2027, 1, 1), end=paris(2028, 1, 1)) == []
        )


def test_get_or_create_meeting_returns_the_stored_row(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    slot = occurrence(paris(2027, 3, 30, 10))
    with session_scope(engine) as session:
        committee = get_committee(session, key="production")
        first = get_or_create_meeting(session, committee=committee, occurrence=slot, now=NOW)
    with session_scope(engine) as session:
        again = get_or_create_meeting(session, committee=committee, occurrence=slot, now=NOW)
        assert again.id == first.id
        assert again.start == paris(2027, 3, 30, 10) and again.series_start.tzinfo is not None
        assert len(session.exec(select(Meeting)).all()) == 1


# --- calendars -------------------------------------------------------------------------------


def test_spec_example_meets_every_tuesday_of_2027_at_ten_paris_time(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        (entry,) = calendar_days(session, first=date(2027, 1, 1), last=date(2027, 12, 31))

    starts = [o.start.isoformat() for o in entry.occurrences]
    assert len(starts) == 52
    assert starts[0] == "2027-01-05T10:00:00+01:00"
    assert "2027-03-30T10:00:00+02:00" in starts
    assert starts[-1] == "2027-12-28T10:00:00+01:00"


# --- plan_window -----------------------------------------------------------------------------


def test_plan_of_a_weekly_committee_holds_every_timeline_kind_but_save_the_date(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        add_action(session)
        planned = year_2027(session)

    kinds = {item.kind for item in planned}
    assert (
        TIMELINE_KINDS | {"weekly_digest", "action_due_soon", "action_overdue", "action_escalation"} <= kinds
    )
    assert "save_the_date" not in kinds
    assert planned == sorted(planned, key=lambda item: (item.at, item.key))
    assert len({item.key for item in planned}) == len(planned)


def test_timeline_of_the_meeting_after_easter_monday(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        planned = year_2027(session)

    meeting = [item for item in planned if item.meeting_start == paris(2027, 3, 30, 10)]
    seen = {(item.kind, item.at.astimezone(PARIS).isoformat(), item.to) for item in meeting}
    assert {
        # 3 bd before Tue 30 March, Easter Monday skipped: Wed 24, 09:00 (still winter time)
        ("agenda_request", "2027-03-24T09:00:00+01:00", "C0PROD"),
        # deck due 2 bd before T at T's time: Thu 25, 10:00; its reminder 1 bd earlier at 09:00
        ("agenda_published", "2027-03-25T10:00:00+01:00", "C0PROD"),
        ("deck_reminder", "2027-03-24T09:00:00+01:00", "U0DECK"),
        ("meeting_reminder", "2027-03-30T09:00:00+02:00", "C0PROD"),
        ("minutes_request", "2027-03-30T11:00:00+02:00", "U0SEC"),
        ("minutes_reminder", "2027-03-31T11:00:00+02:00", "U0SEC"),
    } <= seen
    overdue = sorted(item.at for item in meeting if item.kind == "minutes_overdue")
    # minutes due 2 bd after E at E's time: Thu 1 April, 11:00
    assert overdue[0] == paris(2027, 4, 1, 11)
    assert {item.to for item in meeting if item.kind == "minutes_overdue"} <= {"U0SEC", "U0CHAIR", "C0PROD"}
    assert all(item.committee_key == "production" for item in meeting)


def test_weekly_digest_goes_out_on_the_first_business_day_of_each_week(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        planned = year_2027(session)

    digests = [item.at.astimezone(PARIS) for item in planned if item.kind == "weekly_digest"]
    assert paris(2027, 1, 4, 9) in digests
    assert paris(2027, 3, 30, 9) in digests  # Monday 29 March is Easter Monday
    assert paris(2027, 3, 29, 9) not in digests
    assert {item.to for item in planned if item.kind == "weekly_digest"} == {"C0PROD"}


def test_only_instants_inside_the_window_are_planned(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        at_start = plan_window(session, start=paris(2027, 3, 31, 11), end=paris(2027, 3, 31, 11, 1))
        before_end = plan_window(session, start=paris(2027, 3, 31, 10), end=paris(2027, 3, 31, 11))

    assert [(item.kind, item.at) for item in at_start] == [("minutes_reminder", paris(2027, 3, 31, 11))]
    assert before_end == []


def test_action_chases_run_in_the_owner_zone_else_the_committee_zone(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        session.add(SlackUser(user_id="U0B", tz="America/New_York"))
        in_paris = add_action(session, owner="U0A")
        in_new_york = add_action(session, owner="U0B")
        add_action(session, owner="U0A", status="done")
        planned = plan_window(session, start=paris(2027, 3, 15), end=paris(2027, 3, 29))

    chases = {(item.kind, item.action_id, item.at, item.to) for item in planned if item.action_id is not None}
    assert {
        # 1 bd before Fri 19 March, 09:00
        ("action_due_soon", in_paris.id, paris(2027, 3, 18, 9), "U0A"),
        # 09:00 in New York (UTC-4 since 14 March) is 14:00 in Paris
        ("action_due_soon", in_new_york.id, paris(2027, 3, 18, 14), "U0B"),
        # first business day after due, then every 2 bd; the 3rd chase also goes to the chair
        ("action_overdue", in_paris.id, paris(2027, 3, 22, 9), "U0A"),
        ("action_overdue", in_paris.id, paris(2027, 3, 24, 9), "U0A"),
        ("action_overdue", in_paris.id, paris(2027, 3, 26, 9), "U0A"),
        ("action_escalation", in_paris.id, paris(2027, 3, 26, 9), "U0CHAIR"),
    } <= chases
    assert {action_id for _, action_id, _, _ in chases} == {in_paris.id, in_new_york.id}


def test_cancelled_meeting_sends_nothing_and_moved_meeting_replans(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session:
        committee = get_committee(session, key="production")
        cancelled = get_or_create_meeting(
            session, committee=committee, occurrence=occurrence(paris(2027, 3, 23, 10)), now=NOW
        )
        cancelled.status = "cancelled"
        moved = get_or_create_meeting(
            session, committee=committee, occurrence=occurrence(paris(2027, 3, 30, 10)), now=NOW
        )
        moved.status, moved.start, moved.end = "moved", paris(2027, 3, 31, 14), paris(2027, 3, 31, 15)

    with session_scope(engine) as session:
        planned = plan_window(session, start=paris(2027, 3, 15), end=paris(2027, 4, 10))
        (entry,) = calendar_days(session, first=date(2027, 3, 22), last=date(2027, 4, 2))

    meeting_starts = {item.meeting_start for item in planned if item.meeting_start}
    assert paris(2027, 3, 23, 10) not in meeting_starts
    assert paris(2027, 3, 30, 10) not in meeting_starts
    reminders = [item for item in planned if item.kind == "meeting_reminder"]
    assert (paris(2027, 3, 31, 13), paris(2027, 3, 31, 14)) in {
        (item.at, item.meeting_start) for item in reminders
    }
    assert [(o.start, o.status) for o in entry.occurrences] == [
        (paris(2027, 3, 23, 10), "cancelled"),
        (paris(2027, 3, 31, 14), "moved"),
    ]


def test_plan_days_uses_each_committee_zone(engine) -> None:
    import_text(
        engine,
        SPEC_EXAMPLE
        + SECOND_COMMITTEE.replace("first: 2027-01-14T14:00", "first: 2027-01-14T08:00")
        + "    timezone: America/Montreal\n",
    )
    with session_scope(engine) as session:
        planned = plan_days(session, first=date(2027, 1, 14), last=date(2027, 1, 14))

    # 08:00 in Montreal on 14 January is 14:00 in Paris: the Montreal day, not Paris's, decides.
    minutes_request = [
        item for item in planned if item.kind == "minutes_request" and item.committee_key == "qualite"
    ]
    assert [item.at for item in minutes_request] == [datetime(2027, 1, 14, 14, tzinfo=UTC)]
    for item in planned:
        zone = ZoneInfo("America/Montreal" if item.committee_key == "qualite" else "Europe/Paris")
        assert item.at.astimezone(zone).date() == date(2027, 1, 14)


def test_deadlines_follow_the_timeline_overrides(engine) -> None:
    overrides = "    timeline: {deck_due: {business_days: 3}, minutes_due: {business_days: 1}}\n"
    import_text(engine, SPEC_EXAMPLE + overrides)
    with session_scope(engine) as session:
        (entry,) = calendar_days(
            session, first=date(2027, 3, 23), last=date(2027, 3, 23), with_deadlines=True
        )

    (meeting,) = entry.occurrences
    deadlines = entry.deadlines[meeting.series_start]
    assert deadlines.deck_due == paris(2027, 3, 18, 10)  # 3 bd before Tue 23 March, at 10:00
    assert deadlines.minutes_due == paris(2027, 3, 24, 11)  # 1 bd after the 11:00 end


def test_unknown_committee_is_refused(engine) -> None:
    import_text(engine, SPEC_EXAMPLE)
    with session_scope(engine) as session, pytest.raises(UnknownCommittee, match="known: production"):
        year_2027(session, committee_key="quality")


def test_a_year_of_the_preset_is_planned_in_a_handful_of_queries(engine) -> None:
    with session_scope(engine) as session:
        import_config(session, load_config(preset_path("contact-centre")), now=NOW)
        for owner in ("U06PILOTE1", "U06RESPSIT", "U06CHEFEQP") * 4:
            add_action(session, owner=owner)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))

    with session_scope(engine) as session:
        planned = year_2027(session)

    assert len(statements) <= 10
    assert {"production", "qualite", "pilotage", "strategique"} == {item.committee_key for item in planned}
    assert "save_the_date" in {item.kind for item in planned if item.committee_key == "strategique"}
