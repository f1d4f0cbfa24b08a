"""Timeline planning (SPEC §4), action chasing (SPEC §5) and the weekly digest instant (SPEC §6).

Expected instants are computed by hand in the comments, with the French public holidays of the
``holidays`` package (2027: Easter Monday 03-29, Ascension 05-06, Whit Monday 05-17, All Saints
11-01; 2026: Easter Monday 04-06). Europe/Paris is UTC+1 in winter, UTC+2 in summer (2027: from
03-28 to 10-31; 2026: from 03-29). "bd" = business day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.calendar import Occurrence, business_calendar
from bot.core.rules import TimelineRules, check_timeline, requires_approval, rules_for
from bot.core.timeline import plan_action, plan_digest, plan_meeting
from storage.models import ActionItem, Committee, WorkspaceSettings

PARIS = ZoneInfo("Europe/Paris")
WORKSPACE = WorkspaceSettings(timezone="Europe/Paris", locale="fr", holidays="FR")
CALENDAR = business_calendar(None, WORKSPACE)  # Mon–Fri, French holidays


def committee(**fields) -> Committee:
    """An unsaved weekly production committee (Thursdays 10:00 Europe/Paris, 60 min)."""
    values = {
        "key": "prod",
        "name": "Comité de production",
        "kind": "production",
        "channel": "C0PROD",
        "cadence": "weekly",
        "first": datetime(2027, 1, 7, 10, 0),
        "duration": 60,
        "timezone": "Europe/Paris",
        "locale": "fr",
        "chair": "U0CHAIR",
        "secretary": "U0SEC",
        "deck_owner": "U0DECK",
        "feed_token": "feed-prod",
    }
    values.update(fields)
    return Committee(**values)


def strategic() -> Committee:
    """Semiannual strategic committee: 2nd Thursday of March and September, 14:00, 3 h."""
    return committee(
        key="strat",
        kind="strategique",
        channel="C0STRAT",
        cadence="semiannual",
        first=datetime(2027, 3, 11, 14),
        duration=180,
    )


def occurrence(
    c: Committee, start: datetime, *, series_start: datetime | None = None, status: str = "scheduled"
) -> Occurrence:
    """The occurrence of ``c`` starting at naive local ``start``."""
    local = start.replace(tzinfo=PARIS)
    return Occurrence(
        committee_key=c.key,
        series_start=(series_start or local).astimezone(UTC),
        start=local,
        end=local + timedelta(minutes=c.duration),
        status=status,
    )


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def table(planned) -> list[tuple[str, datetime, str]]:
    return [(p.kind, p.at, p.to) for p in planned]


# --- one weekly meeting, every kind -----------------------------------------------------------


def test_weekly_meeting_plans_every_kind_at_its_instant() -> None:
    # T = Thursday 2027-06-10 10:00 CEST (08:00Z), E = 11:00 CEST (09:00Z); no holiday nearby.
    c = committee()
    planned = plan_meeting(c, occurrence(c, datetime(2027, 6, 10, 10)), CALENDAR)
    assert table(planned) == [
        # 3 bd before Thursday: Wed 9, Tue 8, Mon 7 -> Monday 06-07 09:00 CEST.
        ("agenda_request", utc(2027, 6, 7, 7), "C0PROD"),
        # deck due = 2 bd before T = Tuesday 06-08 10:00; its reminder 1 bd before = Monday 06-07 09:00.
        ("deck_reminder", utc(2027, 6, 7, 7), "U0DECK"),
        ("agenda_published", utc(2027, 6, 8, 8), "C0PROD"),
        # 60 minutes before T.
        ("meeting_reminder", utc(2027, 6, 10, 7), "C0PROD"),
        # At E.
        ("minutes_request", utc(2027, 6, 10, 9), "U0SEC"),
        # 1 bd after E at E's time: Friday 06-11 11:00.
        ("minutes_reminder", utc(2027, 6, 11, 9), "U0SEC"),
        # Minutes due 2 bd after E across the weekend: Fri 11, Mon 14 -> Monday 06-14 11:00,
        # then Tuesday 06-15 and Wednesday 06-16 at 09:00; secretary DM, chair DM and channel each time.
        ("minutes_overdue", utc(2027, 6, 14, 9), "U0SEC"),
        ("minutes_overdue", utc(2027, 6, 14, 9), "U0CHAIR"),
        ("minutes_overdue", utc(2027, 6, 14, 9), "C0PROD"),
        ("minutes_overdue", utc(2027, 6, 15, 7), "U0SEC"),
        ("minutes_overdue", utc(2027, 6, 15, 7), "U0CHAIR"),
        ("minutes_overdue", utc(2027, 6, 15, 7), "C0PROD"),
        ("minutes_overdue", utc(2027, 6, 16, 7), "U0SEC"),
        ("minutes_overdue", utc(2027, 6, 16, 7), "U0CHAIR"),
        ("minutes_overdue", utc(2027, 6, 16, 7), "C0PROD"),
    ]


def test_weekly_meeting_has_no_save_the_date() -> None:
    c = committee()
    assert "save_the_date" not in {
        p.kind for p in plan_meeting(c, occurrence(c, datetime(2027, 6, 10, 10)), CALENDAR)
    }


def test_meeting_plan_carries_identity_expiry_keys_and_data() -> None:
    c = committee()
    planned = {p.key: p for p in plan_meeting(c, occurrence(c, datetime(2027, 6, 10, 10)), CALENDAR)}
    assert sorted(planned) == [
        "m:prod:20270610T0800Z:agenda_published",
        "m:prod:20270610T0800Z:agenda_request",
        "m:prod:20270610T0800Z:deck_reminder",
        "m:prod:20270610T0800Z:meeting_reminder",
        "m:prod:20270610T0800Z:minutes_overdue:1:chair",
        "m:prod:20270610T0800Z:minutes_overdue:1:channel",
        "m:prod:20270610T0800Z:minutes_overdue:1:secretary",
        "m:prod:20270610T0800Z:minutes_overdue:2:chair",
        "m:prod:20270610T0800Z:minutes_overdue:2:channel",
        "m:prod:20270610T0800Z:minutes_overdue:2:secretary",
        "m:prod:20270610T0800Z:minutes_overdue:3:chair",
        "m:prod:20270610T0800Z:minutes_overdue:3:channel",
        "m:prod:20270610T0800Z:minutes_overdue:3:secretary",
        "m:prod:20270610T0800Z:minutes_reminder",
        "m:prod:20270610T0800Z:minutes_request",
    ]
    request = planned["m:prod:20270610T0800Z:agenda_request"]
    assert request.expires_at == utc(2027, 6, 10, 8)  # pre-meeting: expires at T
    assert request.meeting_start == datetime(2027, 6, 10, 10, tzinfo=PARIS)
    assert request.series_start == utc(2027, 6, 10, 8) and request.committee_key == "prod"
    assert request.data["deck_due"] == "2027-06-08T10:00:00+02:00"
    assert request.data["minutes_due"] == "2027-06-14T11:00:00+02:00"
    assert planned["m:prod:20270610T0800Z:minutes_request"].expires_at is None  # chasers run until resolved
    assert planned["m:prod:20270610T0800Z:minutes_overdue:2:chair"].data["n"] == 2
    assert all(p.at.tzinfo == UTC for p in planned.values())


# --- one semiannual meeting, every kind -------------------------------------------------------


def test_semiannual_meeting_plans_every_kind_at_its_instant() -> None:
    # T = Thursday 2027-09-09 14:00 CEST (12:00Z), E = 17:00 CEST (15:00Z).
    c = strategic()
    planned = plan_meeting(c, occurrence(c, datetime(2027, 9, 9, 14)), CALENDAR)
    assert table(planned) == [
        # 60 days before: 09-09 -> 08-31 (9 days) -> 07-31 (31) -> 07-11 (20): a Sunday, so the
        # previous business day, Friday 07-09, at T's 14:00.
        ("save_the_date", utc(2027, 7, 9, 12), "C0STRAT"),
        # 15 bd before (no weekday holiday in Aug/Sep 2027): Sep 8,7,6,3,2,1, Aug 31,30,27,26,25,24,
        # 23,20,19 -> Thursday 08-19 09:00.
        ("agenda_request", utc(2027, 8, 19, 7), "C0STRAT"),
        # Deck due Tuesday 09-07 14:00; reminder Monday 09-06 09:00.
        ("deck_reminder", utc(2027, 9, 6, 7), "U0DECK"),
        ("agenda_published", utc(2027, 9, 7, 12), "C0STRAT"),
        ("meeting_reminder", utc(2027, 9, 9, 11), "C0STRAT"),
        ("minutes_request", utc(2027, 9, 9, 15), "U0SEC"),
        # Friday 09-10 17:00.
        ("minutes_reminder", utc(2027, 9, 10, 15), "U0SEC"),
        # Due Monday 09-13 17:00, then Tuesday 09-14 and Wednesday 09-15 at 09:00.
        ("minutes_overdue", utc(2027, 9, 13, 15), "U0SEC"),
        ("minutes_overdue", utc(2027, 9, 13, 15), "U0CHAIR"),
        ("minutes_overdue", utc(2027, 9, 13, 15), "C0STRAT"),
        ("minutes_overdue", utc(2027, 9, 14, 7), "U0SEC"),
        ("minutes_overdue", utc(2027, 9, 14, 7), "U0CHAIR"),
        ("minutes_overdue", utc(2027, 9, 14, 7), "C0STRAT"),
        ("minutes_overdue", utc(2027, 9, 15, 7), "U0SEC"),
        ("minutes_overdue", utc(2027, 9, 15, 7), "U0CHAIR"),
        ("minutes_overdue", utc(2027, 9, 15, 7), "C0STRAT"),
    ]


@pytest.mark.parametrize(
    "cadence, lead",
    [
        ("weekly", 3),
        ("biweekly", 3),
        ("monthly", 5),
        ("monthly-business-day:3", 5),
        ("quarterly", 5),
        ("semiannual", 15),
        ("annual", 15),
        ("FREQ=MONTHLY;INTERVAL=6", 15),
    ],
)
def test_agenda_request_lead_depends_on_the_cadence(cadence: str, lead: int) -> None:
    assert rules_for(committee(cadence=cadence)).agenda_request_business_days == lead


@pytest.mark.parametrize(
    "cadence, days",
    [("weekly", None), ("monthly", None), ("quarterly", None), ("semiannual", 60), ("annual", 60)],
)
def test_save_the_date_only_for_semiannual_and_annual(cadence: str, days: int | None) -> None:
    assert rules_for(committee(cadence=cadence)).save_the_date_days == days


@pytest.mark.parametrize(
    "kind, approval, expected",
    [
        ("production", None, False),
        ("qualite", None, False),
        ("pilotage", None, True),
        ("strategique", None, True),
        ("production", True, True),
        ("pilotage", False, False),
    ],
)
def test_minutes_approval_default_depends_on_the_kind(
    kind: str, approval: bool | None, expected: bool
) -> None:
    assert requires_approval(committee(kind=kind, minutes_approval=approval)) is expected


# --- business-day moves ----------------------------------------------------------------------


def kinds_at(planned) -> dict[str, datetime]:
    """First instant of each kind."""
    found: dict[str, datetime] = {}
    for p in planned:
        found.setdefault(p.kind, p.at)
    return found


def test_minutes_deadline_skips_weekend() -> None:
    # Thursday 2027-06-10 ends 11:00: 2 bd after is Fri 11, Mon 14 -> Monday 06-14 11:00 CEST.
    c = committee()
    planned = plan_meeting(c, occurrence(c, datetime(2027, 6, 10, 10)), CALENDAR)
    assert kinds_at(planned)["minutes_overdue"] == utc(2027, 6, 14, 9)
    assert planned[0].data["minutes_due"] == "2027-06-14T11:00:00+02:00"


def test_agenda_request_for_tuesday_meeting_skips_holiday_monday() -> None:
    # Tuesday 2027-05-18 10:00 (after Whit Monday 05-17): 3 bd before = Fri 14, Thu 13, Wed 12
    # -> Wednesday 05-12 09:00 CEST; deck due 2 bd before = Thursday 05-13 10:00, its reminder
    # Wednesday 05-12 09:00.
    c = committee(first=datetime(2027, 1, 5, 10))
    at = kinds_at(plan_meeting(c, occurrence(c, datetime(2027, 5, 18, 10)), CALENDAR))
    assert at["agenda_request"] == utc(2027, 5, 12, 7)
    assert at["agenda_published"] == utc(2027, 5, 13, 8)
    assert at["deck_reminder"] == utc(2027, 5, 12, 7)


def test_agenda_request_after_easter_monday_keeps_wall_clock_across_dst() -> None:
    # Tuesday 2027-03-30 10:00 CEST: 3 bd before = Fri 26, Thu 25, Wed 24 (Easter Monday 03-29
    # skipped) -> Wednesday 03-24 09:00 CET = 08:00Z (winter). Deck due Thursday 03-25 10:00 CET = 09:00Z.
    c = committee(first=datetime(2027, 1, 5, 10))
    at = kinds_at(plan_meeting(c, occurrence(c, datetime(2027, 3, 30, 10)), CALENDAR))
    assert at["agenda_request"] == utc(2027, 3, 24, 8)
    assert at["agenda_published"] == utc(2027, 3, 25, 9)
    # The reminder is 60 minutes before T in absolute time: 09:00 CEST = 07:00Z.
    assert at["meeting_reminder"] == utc(2027, 3, 30, 7)


def test_post_meeting_kinds_on_a_holiday_move_to_the_next_business_day() -> None:
    # Policy keep: the meeting is held on Ascension Thursday 2027-05-06, 10:00-11:00.
    # minutes_request at E falls on the holiday -> Friday 05-07 11:00; reminder 1 bd after = Friday
    # 05-07 11:00; minutes due 2 bd after = Fri 7, Mon 10 -> Monday 05-10 11:00.
    c = committee(holiday_policy="keep")
    at = kinds_at(plan_meeting(c, occurrence(c, datetime(2027, 5, 6, 10)), CALENDAR))
    assert at["minutes_request"] == utc(2027, 5, 7, 9)
    assert at["minutes_reminder"] == utc(2027, 5, 7, 9)
    assert at["minutes_overdue"] == utc(2027, 5, 10, 9)
    # Pre-meeting: 3 bd before = Wed 5, Tue 4, Mon 3 -> Monday 05-03 09:00.
    assert at["agenda_request"] == utc(2027, 5, 3, 7)


def test_pre_meeting_kind_on_a_weekend_moves_to_the_previous_business_day() -> None:
    # A 61-day save-the-date for the strategic 2027-09-09 14:00: 07-10 is a Saturday -> Friday 07-09.
    c = strategic()
    c.timeline = {"save_the_date": {"days": 61}}
    at = kinds_at(plan_meeting(c, occurrence(c, datetime(2027, 9, 9, 14)), CALENDAR))
    assert at["save_the_date"] == utc(2027, 7, 9, 12)


def test_meeting_reminder_stays_exactly_before_t_even_on_a_weekend() -> None:
    # Monday 2027-06-14 10:00 with a 2-day reminder: Saturday 06-12 10:00 CEST, not moved.
    c = committee(timeline={"meeting_reminder": {"minutes": 2 * 24 * 60}})
    at = kinds_at(plan_meeting(c, occurrence(c, datetime(2027, 6, 14, 10)), CALENDAR))
    assert at["meeting_reminder"] == utc(2027, 6, 12, 8)


# --- expiry ---------------------------------------------------------------------------------


def test_pre_meeting_kinds_expire_at_t_and_post_meeting_ones_never() -> None:
    c = strategic()
    planned = plan_meeting(c, occurrence(c, datetime(2027, 9, 9, 14)), CALENDAR)
    pre = {"save_the_date", "agenda_request", "deck_reminder", "agenda_published", "meeting_reminder"}
    for p in planned:
        if p.kind == "minutes_overdue":
            continue  # see test_each_minutes_overdue_chase_expires_when_the_next_one_is_due
        assert p.expires_at == (utc(2027, 9, 9, 12) if p.kind in pre else None), p.kind


def test_each_minutes_overdue_chase_expires_when_the_next_one_is_due() -> None:
    c = strategic()
    planned = plan_meeting(c, occurrence(c, datetime(2027, 9, 9, 14)), CALENDAR)
    chases = [(p.at, p.expires_at) for p in planned if p.kind == "minutes_overdue" and p.to == "C0STRAT"]
    assert chases == [
        (utc(2027, 9, 13, 15), utc(2027, 9, 14, 7)),
        (utc(2027, 9, 14, 7), utc(2027, 9, 15, 7)),
        (utc(2027, 9, 15, 7), None),  # the last runs until the minutes are in
    ]


def test_pre_meeting_kind_at_or_after_t_is_dropped() -> None:
    # Deck due 0 bd before T = T itself, reminder 0 minutes before T: both at T, so never sent.
    c = committee(timeline={"deck_due": {"business_days": 0}, "meeting_reminder": {"minutes": 0}})
    kinds = {p.kind for p in plan_meeting(c, occurrence(c, datetime(2027, 6, 10, 10)), CALENDAR)}
    assert "agenda_published" not in kinds and "meeting_reminder" not in kinds
    assert "agenda_request" in kinds


def test_cancelled_meeting_plans_nothing() -> None:
    c = committee()
    assert plan_meeting(c, occurrence(c, datetime(2027, 6, 10, 10), status="cancelled"), CALENDAR) == []


def test_moved_meeting_keeps_its_keys_and_follows_the_move() -> None:
    # The Thursday 06-10 occurrence moved to Friday 06-11 15:00: same keys, new instants.
    c = committee()
    regular = plan_meeting(c, occurrence(c, datetime(2027, 6, 10, 10)), CALENDAR)
    moved = plan_meeting(
        c,
        occurrence(
            c, datetime(2027, 6, 11, 15), series_start=datetime(2027, 6, 10, 10, tzinfo=PARIS), status="moved"
        ),
        CALENDAR,
    )
    assert [p.key for p in moved] == [p.key for p in regular]
    # agenda_published: 2 bd before Friday = Wednesday 06-09 15:00 CEST.
    assert kinds_at(moved)["agenda_published"] == utc(2027, 6, 9, 13)
    assert moved[0].meeting_start == datetime(2027, 6, 11, 15, tzinfo=PARIS)


# --- overrides ------------------------------------------------------------------------------


def test_overrides_change_delays_and_turn_kinds_off() -> None:
    c = committee(
        timeline={
            "agenda_request": {"business_days": 4, "time": "14:30"},
            "minutes_overdue": {"max": 1},
            "off": ["meeting_reminder", "deck_reminder"],
        }
    )
    planned = plan_meeting(c, occurrence(c, datetime(2027, 6, 10, 10)), CALENDAR)
    # 4 bd before Thursday 06-10: Wed 9, Tue 8, Mon 7, Fri 4 -> Friday 06-04 14:30 CEST.
    assert kinds_at(planned)["agenda_request"] == utc(2027, 6, 4, 12, 30)
    assert [p.kind for p in planned].count("minutes_overdue") == 3  # once, to secretary, chair and channel
    assert not {"meeting_reminder", "deck_reminder"} & {p.kind for p in planned}


def test_save_the_date_override_turns_it_on_for_a_monthly_committee() -> None:
    # Monthly committee, Thursday 2027-06-03 10:00; 30 days before = Tuesday 05-04 10:00.
    c = committee(cadence="monthly", first=datetime(2027, 1, 7, 10), timeline={"save_the_date": {"days": 30}})
    assert kinds_at(plan_meeting(c, occurrence(c, datetime(2027, 6, 3, 10)), CALENDAR))[
        "save_the_date"
    ] == utc(2027, 5, 4, 8)


def test_semiannual_save_the_date_can_be_turned_off() -> None:
    c = strategic()
    c.timeline = {"off": ["save_the_date"]}
    assert "save_the_date" not in {
        p.kind for p in plan_meeting(c, occurrence(c, datetime(2027, 9, 9, 14)), CALENDAR)
    }


def test_rules_for_reads_every_override() -> None:
    rules = rules_for(
        committee(
            timeline={
                "deck_due": {"business_days": 3},
                "deck_reminder": {"business_days": 2, "time": "08:15"},
                "minutes_due": {"business_days": 1},
                "minutes_reminder": {"business_days": 0},
                "minutes_overdue": {"time": "10:00", "max": 5},
                "digest": {"time": "08:00"},
                "action_chase": {
                    "due_soon_business_days": 2,
                    "overdue_every_business_days": 1,
                    "escalate_on_chase": 4,
                    "time": "09:30",
                },
            }
        )
    )
    assert rules == TimelineRules(
        deck_due_business_days=3,
        deck_reminder_business_days=2,
        deck_reminder_time=time(8, 15),
        minutes_due_business_days=1,
        minutes_reminder_business_days=0,
        minutes_overdue_time=time(10),
        minutes_overdue_max=5,
        digest_time=time(8),
        action_due_soon_business_days=2,
        action_overdue_every_business_days=1,
        action_escalate_on_chase=4,
        action_chase_time=time(9, 30),
    )


@pytest.mark.parametrize(
    "overrides, says",
    [
        ({"agenda": {"business_days": 3}}, "unknown timeline key 'agenda': use agenda_request, deck_due"),
        (
            {"agenda_request": {"days": 3}},
            "unknown timeline key agenda_request.days: use business_days, time",
        ),
        (
            {"agenda_request": {"business_days": -1}},
            "agenda_request.business_days=-1 is invalid: write a whole number",
        ),
        ({"agenda_request": {"business_days": True}}, "is invalid: write a whole number"),
        ({"agenda_request": {"time": 540}}, 'time=540 is invalid: write a time "HH:MM" in quotes'),
        ({"digest": {"time": "25:00"}}, "digest.time='25:00' is invalid: write a time \"HH:MM\""),
        ({"action_chase": {"overdue_every_business_days": 0}}, "1 or more"),
        ({"deck_due": 2}, "timeline.deck_due must be a mapping with business_days"),
        ({"off": ["meeting_remind"]}, "unknown kind 'meeting_remind': use save_the_date, agenda_request"),
        ({"off": ["minutes_approval"]}, "minutes_approval: false"),
        ("weekly", "timeline must be a mapping"),
    ],
)
def test_bad_timeline_overrides_are_rejected_naming_the_key(overrides, says: str) -> None:
    with pytest.raises(ValueError) as error:
        check_timeline(overrides)
    assert says in str(error.value)


def test_empty_timeline_is_valid() -> None:
    check_timeline({})
    check_timeline(None)


# --- action chasing -------------------------------------------------------------------------


def action(due: date, **fields) -> ActionItem:
    values = {"id": 42, "title": "Send the staffing plan", "owner": "U0OWNER", "creator": "U0SEC", "due": due}
    values.update(fields)
    return ActionItem(**values)


def chase(a: ActionItem, until: date, *, owner_tz: str = "Europe/Paris", chair: str | None = "U0CHAIR", **kw):
    return plan_action(a, owner_tz=owner_tz, calendar=CALENDAR, chair=chair, until=until, **kw)


def test_action_chase_across_easter_monday_2027_escalates_on_third_chase() -> None:
    # Due Friday 2027-03-26. Due soon 1 bd before: Thursday 03-25 09:00 CET (08:00Z).
    # Overdue: first bd after Friday = Monday 03-29 is Easter Monday -> Tuesday 03-30 09:00 CEST
    # (07:00Z); +2 bd: Wed 31, Thu 04-01 -> 04-01; +2 bd: Fri 2, Mon 5 -> 04-05, with the escalation.
    planned = chase(action(date(2027, 3, 26)), date(2027, 4, 5))
    assert table(planned) == [
        ("action_due_soon", utc(2027, 3, 25, 8), "U0OWNER"),
        ("action_overdue", utc(2027, 3, 30, 7), "U0OWNER"),
        ("action_overdue", utc(2027, 4, 1, 7), "U0OWNER"),
        ("action_overdue", utc(2027, 4, 5, 7), "U0OWNER"),
        ("action_escalation", utc(2027, 4, 5, 7), "U0CHAIR"),
    ]
    assert [p.key for p in planned] == [
        "a:42:2027-03-26:-:action_due_soon",
        "a:42:2027-03-26:-:action_overdue:1",
        "a:42:2027-03-26:-:action_overdue:2",
        "a:42:2027-03-26:-:action_overdue:3",
        "a:42:2027-03-26:-:action_escalation",
    ]
    assert all(p.action_id == 42 for p in planned)
    assert [p.data.get("chase") for p in planned] == [None, 1, 2, 3, 3]


def test_action_chase_across_easter_monday_2026() -> None:
    # Due Friday 2026-04-03 (summer time since 03-29): due soon Thursday 04-02 09:00 CEST (07:00Z);
    # overdue Tuesday 04-07 (Monday 04-06 is Easter Monday), Thursday 04-09, Monday 04-13.
    planned = chase(action(date(2026, 4, 3)), date(2026, 4, 13))
    assert [p.at for p in planned if p.kind != "action_escalation"] == [
        utc(2026, 4, 2, 7),
        utc(2026, 4, 7, 7),
        utc(2026, 4, 9, 7),
        utc(2026, 4, 13, 7),
    ]


def test_action_chase_runs_at_nine_in_the_owners_zone() -> None:
    # Owner in New York (EDT, UTC-4, since 2027-03-14): 09:00 there is 13:00Z. Business days are
    # still the committee's: overdue on Tuesday 03-30 after Easter Monday.
    planned = chase(action(date(2027, 3, 26)), date(2027, 3, 30), owner_tz="America/New_York")
    assert table(planned) == [
        ("action_due_soon", utc(2027, 3, 25, 13), "U0OWNER"),
        ("action_overdue", utc(2027, 3, 30, 13), "U0OWNER"),
    ]


def test_snoozed_action_is_not_chased_before_the_snooze_ends() -> None:
    # Due Friday 2027-03-26, snoozed until Wednesday 04-07: no due-soon (03-25) nor overdue before;
    # chasing resumes Wednesday 04-07, then Fri 04-09, Tue 04-13 (3rd: escalation).
    planned = chase(action(date(2027, 3, 26), snoozed_until=date(2027, 4, 7)), date(2027, 4, 13))
    assert table(planned) == [
        ("action_overdue", utc(2027, 4, 7, 7), "U0OWNER"),
        ("action_overdue", utc(2027, 4, 9, 7), "U0OWNER"),
        ("action_overdue", utc(2027, 4, 13, 7), "U0OWNER"),
        ("action_escalation", utc(2027, 4, 13, 7), "U0CHAIR"),
    ]
    assert planned[0].key == "a:42:2027-03-26:2027-04-07:action_overdue:1"


def test_snooze_ending_on_a_weekend_resumes_on_the_next_business_day() -> None:
    # Snoozed until Saturday 2027-04-10 -> first chase Monday 04-12.
    planned = chase(action(date(2027, 3, 26), snoozed_until=date(2027, 4, 10)), date(2027, 4, 12))
    assert table(planned) == [("action_overdue", utc(2027, 4, 12, 7), "U0OWNER")]


def test_snooze_before_the_due_date_changes_nothing_but_the_keys() -> None:
    snoozed = chase(action(date(2027, 3, 26), snoozed_until=date(2027, 3, 20)), date(2027, 4, 5))
    plain = chase(action(date(2027, 3, 26)), date(2027, 4, 5))
    assert table(snoozed) == table(plain)
    assert {p.key for p in snoozed}.isdisjoint(p.key for p in plain)


def test_changing_the_due_date_changes_the_keys() -> None:
    before = chase(action(date(2027, 3, 26)), date(2027, 4, 30))
    after = chase(action(date(2027, 4, 2)), date(2027, 4, 30))
    assert {p.key for p in before}.isdisjoint(p.key for p in after)


@pytest.mark.parametrize("status", ["done", "cancelled"])
def test_done_or_cancelled_action_is_not_chased(status: str) -> None:
    assert chase(action(date(2027, 3, 26), status=status), date(2027, 6, 1)) == []


def test_in_progress_action_is_chased() -> None:
    assert chase(action(date(2027, 3, 26), status="in_progress"), date(2027, 3, 30)) != []


@pytest.mark.parametrize("chair", [None, "U0OWNER"])
def test_no_escalation_without_a_chair_or_when_the_owner_is_the_chair(chair: str | None) -> None:
    planned = chase(action(date(2027, 3, 26)), date(2027, 4, 30), chair=chair)
    assert "action_escalation" not in {p.kind for p in planned}


def test_escalation_happens_once() -> None:
    planned = chase(action(date(2027, 3, 26)), date(2027, 6, 30))
    assert [p.kind for p in planned].count("action_escalation") == 1


def test_each_overdue_chase_expires_when_the_next_one_is_due() -> None:
    # Chases 03-30, 04-01, 04-05: each expires at the next; the last at 04-07 (Tue 6, Wed 7).
    planned = [p for p in chase(action(date(2027, 3, 26)), date(2027, 4, 5)) if p.kind == "action_overdue"]
    assert [p.expires_at for p in planned] == [utc(2027, 4, 1, 7), utc(2027, 4, 5, 7), utc(2027, 4, 7, 7)]


def test_due_soon_expires_at_the_end_of_the_due_date() -> None:
    (soon,) = [p for p in chase(action(date(2027, 3, 26)), date(2027, 3, 26)) if p.kind == "action_due_soon"]
    assert soon.expires_at == utc(2027, 3, 26, 23)  # Saturday 03-27 00:00 CET


def test_due_soon_for_a_monday_due_date_is_the_friday_before() -> None:
    # Due Monday 2027-06-14 -> Friday 06-11 09:00 CEST.
    (soon,) = chase(action(date(2027, 6, 14)), date(2027, 6, 14))
    assert (soon.kind, soon.at) == ("action_due_soon", utc(2027, 6, 11, 7))


def test_action_chase_honours_committee_overrides() -> None:
    # Every business day, escalation on the 2nd chase, at 08:00: Tue 03-30, Wed 03-31 (+escalation).
    rules = rules_for(
        committee(
            timeline={
                "action_chase": {"overdue_every_business_days": 1, "escalate_on_chase": 2, "time": "08:00"},
                "off": ["action_due_soon"],
            }
        )
    )
    planned = chase(action(date(2027, 3, 26)), date(2027, 3, 31), rules=rules)
    assert table(planned) == [
        ("action_overdue", utc(2027, 3, 30, 6), "U0OWNER"),
        ("action_overdue", utc(2027, 3, 31, 6), "U0OWNER"),
        ("action_escalation", utc(2027, 3, 31, 6), "U0CHAIR"),
    ]


# --- weekly digest --------------------------------------------------------------------------


def test_digest_on_the_tuesday_after_whit_monday() -> None:
    # Week of Monday 2027-05-10: Monday 09:00 CEST. Week of 05-17 (Whit Monday): Tuesday 05-18.
    # Week of 05-24: Monday.
    planned = plan_digest(committee(), CALENDAR, date(2027, 5, 10), date(2027, 5, 30))
    assert [(p.kind, p.at, p.to, p.key) for p in planned] == [
        ("weekly_digest", utc(2027, 5, 10, 7), "C0PROD", "d:prod:2027-05-10"),
        ("weekly_digest", utc(2027, 5, 18, 7), "C0PROD", "d:prod:2027-05-17"),
        ("weekly_digest", utc(2027, 5, 24, 7), "C0PROD", "d:prod:2027-05-24"),
    ]
    assert planned[1].committee_key == "prod" and planned[1].meeting_start is None
    assert planned[1].expires_at == utc(2027, 5, 23, 22)  # Monday 05-24 00:00 CEST


def test_digest_after_easter_monday_in_winter_to_summer_week() -> None:
    # Week of Monday 2027-03-29 (Easter Monday, first week of summer time): Tuesday 03-30 09:00 CEST.
    (planned,) = plan_digest(committee(), CALENDAR, date(2027, 3, 29), date(2027, 4, 4))
    assert planned.at == utc(2027, 3, 30, 7)


@pytest.mark.parametrize(
    "start, end, count",
    [
        (date(2027, 5, 18), date(2027, 5, 18), 1),  # the Tuesday digest itself
        (date(2027, 5, 19), date(2027, 5, 23), 0),  # after it, same week
        (date(2027, 5, 17), date(2027, 5, 17), 0),  # the holiday Monday only
    ],
)
def test_digest_window_is_on_the_digest_date(start: date, end: date, count: int) -> None:
    assert len(plan_digest(committee(), CALENDAR, start, end)) == count


def test_digest_can_be_turned_off_and_moved() -> None:
    assert (
        plan_digest(
            committee(timeline={"off": ["weekly_digest"]}), CALENDAR, date(2027, 5, 10), date(2027, 5, 30)
        )
        == []
    )
    (planned,) = plan_digest(
        committee(timeline={"digest": {"time": "08:30"}}), CALENDAR, date(2027, 5, 10), date(2027, 5, 10)
    )
    assert planned.at == utc(2027, 5, 10, 6, 30)
