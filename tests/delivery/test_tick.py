"""The outbox (SPEC §9): planning into the notification table, claiming, sending once, recording.

Every test runs on SQLite and PostgreSQL (``engine``) against the fake Slack over real HTTP, with
time injected. Scenario tests (a quarter, owners away, refresh) render with the real
``bot.notices.registry.build`` (fixture ``real_notices``); tests of the delivery mechanics (claims, crashes,
Slack errors) use hand-made rows and a small stand-in that follows the same contract (None when the
subject no longer needs the message), so that they fail only for a dispatcher reason.
"""

from __future__ import annotations

import collections
import functools
import itertools
import operator
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk import WebClient
from sqlmodel import select

from bot.config.transfer import import_config
from bot.config.validation import parse_config
from bot.delivery import edits, record, sender
from bot.delivery import tick as dispatch
from bot.planning import horizon, outbox, window
from storage import notifications as store
from storage.db import make_engine, session_scope, write_session
from storage.models import ActionItem, Meeting, Notification, SlackUser
from tests.support.fakeslack import FakeSlack
from tests.support.outbox import (
    COMMITTEES,
    ONE_COMMITTEE,
    QUARTER_END,
    QUARTER_START,
    TEST_KIND,
    add_action,
    declare,
    due_rows,
    paris,
    planned_in,
    posted_keys,
    posted_kinds,
    row,
    rows,
    tick,
)

# -- the stand-in for notices.build ----------------------------------------------------------


# -- helpers ---------------------------------------------------------------------------------


# -- a whole quarter -------------------------------------------------------------------------


def test_a_quarter_sends_every_planned_notification_once_at_its_instant(
    engine, fake, client, real_notices
) -> None:
    declare(engine)
    first_action = add_action(engine, due=date(2027, 2, 10))
    add_action(engine, owner="U0B", due=date(2027, 3, 3), committee="qualite")
    planned = planned_in(engine, QUARTER_START, QUARTER_END)
    instants = sorted({QUARTER_START} | {item.at for item in planned})

    for instant in instants:
        tick(engine, client, instant)

    posted = posted_keys(fake)
    assert [key for key, count in posted.items() if count > 1] == []
    for item in planned:
        stored = row(engine, item.key)
        assert (item.key, stored.state) == (item.key, "sent")
        assert stored.sent_at == item.at, item.key  # sent at its instant, not an hour late
        assert posted[item.key] == 1
    kinds = {item.kind for item in planned}
    assert kinds >= {
        "agenda_request",
        "deck_reminder",
        "agenda_published",
        "meeting_reminder",
        "minutes_request",
        "minutes_reminder",
        "minutes_overdue",
        "weekly_digest",
        "action_due_soon",
        "action_overdue",
        "action_escalation",
    }
    # Planned before the quarter but still valid on 2027-01-01: sent at once, then never again.
    followups = {key for key in posted if ":also:" in key}  # e.g. the chair's "deck missing" DM
    for key in followups:
        assert row(engine, key).sent_at == row(engine, key.split(":also:")[0]).sent_at
    early = {key for key in posted if key not in {item.key for item in planned}} - followups
    assert "m:strategique:20270218T1300Z:save_the_date" in early
    for key in early:
        stored = row(engine, key)
        assert stored.sent_at == QUARTER_START and (
            stored.expires_at is None or stored.expires_at > QUARTER_START
        )
    # Nothing else is pending and due.
    assert [r.key for r in rows(engine, state="pending") if r.due_at < QUARTER_END] == []
    assert rows(engine, action_id=first_action, kind="action_escalation")[0].recipient == "U0CHAIR"


def by_key(fake: FakeSlack, key: str):
    [message] = [m for m in fake.messages() if m.metadata and m.metadata["event_payload"]["key"] == key]
    return message


def test_each_message_carries_its_key_in_metadata_and_the_row_records_the_ts(
    engine, fake, client, real_notices
) -> None:
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 7, 9, 0))  # agenda_request: 3 bd before 2027-01-12

    key = "m:production:20270112T0900Z:agenda_request"
    message = by_key(fake, key)
    assert message.channel == "C0PROD"
    assert message.metadata == {"event_type": "committee_bot_notification", "event_payload": {"key": key}}
    stored = row(engine, key)
    assert (stored.state, stored.ts, stored.channel, stored.sent_at) == (
        "sent",
        message.ts,
        "C0PROD",
        paris(2027, 1, 7, 9, 0),
    )
    with session_scope(engine) as session:
        meeting = session.get(Meeting, stored.meeting_id)
        assert meeting.series_start == paris(2027, 1, 12, 10, 0) and meeting.agenda_request_ts == message.ts


def test_a_direct_message_posts_to_the_user_id(engine, fake, client, real_notices) -> None:
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    tick(engine, client, paris(2027, 1, 7, 9, 0))  # deck_reminder: 1 bd before the deck due (Fri 8th)

    message = by_key(fake, "m:production:20270112T0900Z:deck_reminder")
    assert message.channel == "U0DECK"


def test_a_new_committee_is_planned_from_the_past_what_is_still_valid_is_sent_at_once(
    engine, fake, client, real_notices
) -> None:
    declare(engine, ONE_COMMITTEE)  # on 2026-12-31 at 09:00, five days before the first meeting
    tick(engine, client, paris(2026, 12, 31, 9, 0))

    # Agenda request (Dec 31 09:00), deck reminder (Dec 30), this week's digest (Mon Dec 28): all
    # still valid, so sent now; nothing of an earlier, unexpired kind is missed, nothing twice.
    assert sorted(posted_keys(fake)) == [
        "d:production:2026-12-28",
        "m:production:20270105T0900Z:agenda_request",
        "m:production:20270105T0900Z:deck_reminder",
    ]
    tick(engine, client, paris(2026, 12, 31, 9, 1))
    assert sum(posted_keys(fake).values()) == 3


# -- planning --------------------------------------------------------------------------------


def test_planning_again_changes_nothing(engine, client) -> None:
    declare(engine)
    now = paris(2027, 1, 4, 8, 0)
    with session_scope(engine) as session:
        first = horizon.plan_horizon(session, now=now)
    before = [(r.key, r.due_at, r.state) for r in rows(engine)]
    with session_scope(engine) as session:
        again = horizon.plan_horizon(session, now=now + timedelta(hours=1))
    assert first > 0 and again == 0
    assert [(r.key, r.due_at, r.state) for r in rows(engine)] == before


def test_a_tick_with_nothing_new_runs_a_handful_of_queries(engine, client) -> None:
    declare(engine)
    now = paris(2027, 1, 4, 8, 0)
    tick(engine, client, now)
    statements: list[str] = []

    def listener(*args: Any) -> None:
        statements.append(args[2])

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        tick(engine, client, now + timedelta(minutes=1))
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    # plan: new committees, new actions, marks running low (+ the planning lock); stale edits: one
    # select; claim: one select; the tick's end stamp (what `committee-bot status` reads): one upsert;
    # the planning failures not yet told to the admins: one select.
    assert (
        len([s for s in statements if s.lstrip().lower().startswith(("select", "update", "insert"))]) <= 9
    ), "\n".join(statements)


def test_plan_reaches_the_horizon_and_extends_when_it_runs_low(engine) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 8, 0)
    with session_scope(engine) as session:
        horizon.plan_horizon(session, now=now)
        mark = store.get_mark(session, "committee:1")
    assert mark.planned_until == now + outbox.HORIZON
    assert max(r.due_at for r in rows(engine)) < now + outbox.HORIZON

    later = now + timedelta(days=8)
    with session_scope(engine) as session:
        added = horizon.plan_horizon(session, now=later)
    assert added > 0
    expected = {p.key for p in planned_in(engine, now, later + outbox.HORIZON)}
    assert expected <= {r.key for r in rows(engine)}


def test_planning_far_ahead_links_every_notification_to_its_meeting(engine) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 8, 0)
    with session_scope(engine) as session:
        outbox.replan_committee(
            session, committee_id=1, now=now, horizon=timedelta(days=120)
        )  # ~17 meetings at once
    with session_scope(engine) as session:
        meetings = {m.id: m for m in session.exec(select(Meeting)).all()}
    planned = [r for r in rows(engine) if r.key.startswith("m:")]
    assert len(meetings) >= 17 and len(planned) > 100
    for r in planned:
        stamp = meetings[r.meeting_id].series_start.strftime("%Y%m%dT%H%MZ")
        assert r.key.split(":")[2] == stamp
    with session_scope(engine) as session:  # planning again, one by one or in bulk, creates nothing twice
        outbox.replan_committee(session, committee_id=1, now=now, horizon=timedelta(days=150))
        assert len(session.exec(select(Meeting)).all()) >= len(meetings)
        assert len({(m.committee_id, m.series_start) for m in session.exec(select(Meeting)).all()}) == len(
            session.exec(select(Meeting)).all()
        )


def test_a_committee_changed_by_an_import_is_planned_again_by_a_later_tick(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 8, 0)
    tick(engine, client, now)
    overdue = "m:production:20270105T0900Z:minutes_overdue:1:chair"
    assert row(engine, overdue).recipient == "U0CHAIR"

    changed = ONE_COMMITTEE.replace("chair: U0CHAIR", "chair: U0NEWCHAIR").replace(
        "cadence: weekly", "cadence: biweekly"
    )
    with session_scope(engine) as session:
        import_config(session, parse_config(changed), now=now + timedelta(minutes=1))
    tick(engine, client, now + horizon.SWEEP_EVERY)

    assert row(engine, overdue).recipient == "U0NEWCHAIR"
    # Biweekly from Jan 5: the Jan 12 meeting is gone, its pending notifications with it.
    gone = rows(engine, key="m:production:20270112T0900Z:agenda_request")[0]
    assert gone.state == "skipped" and "no longer planned" in gone.error
    assert rows(engine, key="m:production:20270119T0900Z:agenda_request")[0].state == "pending"


def test_a_deactivated_committee_sends_nothing_more(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 8, 0)
    tick(engine, client, now)
    with session_scope(engine) as session:
        import_config(
            session,
            parse_config(
                ONE_COMMITTEE.replace(
                    "holiday_policy: next_business_day",
                    "holiday_policy: next_business_day\n    active: false",
                )
            ),
            now=now + timedelta(minutes=1),
        )
    sent = len(fake.messages())
    tick(engine, client, now + horizon.SWEEP_EVERY)
    tick(engine, client, paris(2027, 1, 20, 9, 0))

    assert len(fake.messages()) == sent
    assert {r.state for r in rows(engine) if r.due_at > now} == {"skipped"}


def test_a_committee_whose_plan_fails_does_not_stop_the_others(engine, fake, client, monkeypatch) -> None:
    declare(engine)
    real = window.plan_window

    def broken(session, *, committee_key=None, only=None, **kwargs):
        if (only.key if only is not None else committee_key) == "qualite":
            raise RuntimeError("bad data")
        return real(session, committee_key=committee_key, only=only, **kwargs)

    monkeypatch.setattr(window, "plan_window", broken)
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    assert {r.key.split(":")[1] for r in rows(engine) if r.key.startswith("m:")} == {
        "production",
        "strategique",
    }

    monkeypatch.setattr(window, "plan_window", real)  # fixed: the next tick plans it
    tick(engine, client, paris(2027, 1, 4, 8, 1))
    assert row(engine, "m:qualite:20270114T1300Z:agenda_request").state == "pending"


def test_sent_rows_are_never_touched_by_a_replan(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2026, 12, 31, 9, 0))
    key = "m:production:20270105T0900Z:agenda_request"
    sent = row(engine, key)
    with session_scope(engine) as session:
        meeting = session.get(Meeting, sent.meeting_id)
        meeting.status, meeting.start, meeting.end = (
            "moved",
            paris(2027, 1, 7, 10, 0),
            paris(2027, 1, 7, 11, 0),
        )
        session.add(meeting)
        session.flush()
        outbox.replan_meeting(session, meeting_id=meeting.id, now=paris(2027, 1, 2, 8, 0))
    after = row(engine, key)
    assert (after.state, after.due_at, after.ts) == ("sent", sent.due_at, sent.ts)


def test_a_moved_meeting_moves_its_pending_notifications(engine, fake, client, real_notices) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 8, 0)
    tick(engine, client, now)
    reminder = "m:production:20270112T0900Z:meeting_reminder"
    meeting_id = row(engine, reminder).meeting_id
    with session_scope(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        meeting.status, meeting.start, meeting.end = (
            "moved",
            paris(2027, 1, 14, 15, 0),
            paris(2027, 1, 14, 16, 0),
        )
        session.add(meeting)
        session.flush()
        outbox.replan_meeting(session, meeting_id=meeting_id, now=now)

    moved = row(engine, reminder)
    assert (moved.state, moved.due_at, moved.expires_at) == (
        "pending",
        paris(2027, 1, 14, 14, 0),
        paris(2027, 1, 14, 15, 0),
    )
    tick(engine, client, paris(2027, 1, 12, 9, 0))  # the old instant: nothing about that meeting
    assert reminder not in posted_keys(fake)
    tick(engine, client, paris(2027, 1, 14, 14, 0))
    assert posted_keys(fake)[reminder] == 1


def test_a_cancelled_meeting_skips_its_pending_notifications(engine, fake, client, real_notices) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 8, 0)
    tick(engine, client, now)
    meeting_id = row(engine, "m:production:20270112T0900Z:meeting_reminder").meeting_id
    with session_scope(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        meeting.status = "cancelled"
        session.add(meeting)
        session.flush()
        result = outbox.replan_meeting(session, meeting_id=meeting_id, now=now)

    assert result.skipped > 0
    states = {r.state for r in rows(engine, meeting_id=meeting_id)}
    assert states == {"skipped"}
    tick(engine, client, paris(2027, 1, 20, 12, 0))
    assert not [k for k in posted_keys(fake) if k.startswith("m:production:20270112T0900Z")]


def test_an_action_done_stops_its_chase_and_a_new_due_date_plans_a_new_one(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    action_id = add_action(engine, due=date(2027, 1, 8))
    now = paris(2027, 1, 4, 8, 0)
    tick(engine, client, now)
    chase = rows(engine, action_id=action_id)
    assert [r.kind for r in chase][:2] == ["action_due_soon", "action_overdue"]

    with session_scope(engine) as session:
        action = session.get(ActionItem, action_id)
        action.due = date(2027, 1, 11)
        session.add(action)
        session.flush()
        outbox.replan_action(session, action_id=action_id, now=now)
    by_state = collections.defaultdict(set)
    for r in rows(engine, action_id=action_id):
        by_state[r.state].add(r.key.split(":")[2])
    assert by_state["skipped"] == {"2027-01-08"} and by_state["pending"] == {"2027-01-11"}

    with session_scope(engine) as session:
        action = session.get(ActionItem, action_id)
        action.status = "done"
        session.add(action)
        session.flush()
        outbox.replan_action(session, action_id=action_id, now=now)
    assert {r.state for r in rows(engine, action_id=action_id)} == {"skipped"}


def test_a_new_action_is_planned_by_the_next_tick(engine, fake, client, real_notices) -> None:
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    action_id = add_action(engine, due=date(2027, 1, 6))
    tick(engine, client, paris(2027, 1, 5, 9, 0))  # due soon: 1 bd before, 09:00 in the owner's zone
    [message] = fake.messages("U0A")
    assert message.metadata["event_payload"]["key"] == f"a:{action_id}:2027-01-06:-:action_due_soon"


def test_a_new_committee_gets_what_is_still_valid_at_once(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    declare(engine, COMMITTEES)  # qualite and strategique appear on 2027-01-04
    tick(engine, client, paris(2027, 1, 4, 8, 5))

    keys = posted_keys(fake)
    # The semiannual save-the-date (60 days before 2027-02-18) and the monthly agenda request
    # (5 bd before 2027-01-14) were due before the committees existed: sent at once.
    assert keys["m:strategique:20270218T1300Z:save_the_date"] == 1
    assert keys["m:qualite:20270114T1300Z:agenda_request"] == 0  # due 2027-01-07: not yet
    assert row(engine, "m:qualite:20270114T1300Z:agenda_request").state == "pending"


# -- checks at send time ---------------------------------------------------------------------


def test_an_expired_notification_is_skipped_never_sent(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    with session_scope(engine) as session:
        horizon.plan_horizon(session, now=paris(2027, 1, 4, 8, 0))
    # The bot was down from Jan 4 until after the Jan 5 meeting started.
    tick(engine, client, paris(2027, 1, 5, 10, 30))

    reminder = row(engine, "m:production:20270105T0900Z:meeting_reminder")
    assert reminder.state == "skipped" and reminder.error.startswith("expired")
    assert "m:production:20270105T0900Z:meeting_reminder" not in posted_keys(fake)


def test_a_notification_no_longer_needed_is_skipped(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    with session_scope(engine) as session:
        horizon.plan_horizon(session, now=paris(2027, 1, 1, 8, 0))
        meeting = session.exec(select(Meeting).order_by(Meeting.start)).first()
        meeting.deck_shared_at = paris(2027, 1, 1, 9, 0)
        session.add(meeting)
    tick(engine, client, paris(2027, 1, 4, 9, 0))

    assert row(engine, "m:production:20270105T0900Z:deck_reminder").state == "skipped"
    assert fake.messages("U0DECK") == []


def test_a_secondary_direct_message_is_sent_once_after_its_message(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    with session_scope(engine) as session:
        horizon.plan_horizon(session, now=paris(2027, 1, 1, 8, 0))
        published = session.exec(select(Notification).where(Notification.kind == "agenda_published")).first()
        published.data = {**published.data, "also": True}
        session.add(published)
    tick(engine, client, published.due_at)
    tick(engine, client, published.due_at + timedelta(minutes=1))

    [dm] = fake.messages("U0CHAIR")
    assert dm.text == f"deck missing {published.key}"
    assert dm.metadata["event_payload"]["key"] == f"{published.key}:also:0"


# -- refresh ---------------------------------------------------------------------------------


def test_refresh_edits_the_posted_messages_and_skips_reminders_no_longer_needed(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2026, 12, 31, 9, 0))  # agenda request posted
    request = by_key(fake, "m:production:20270105T0900Z:agenda_request")
    now = paris(2027, 1, 2, 12, 0)
    with session_scope(engine) as session:
        meeting = session.exec(select(Meeting).order_by(Meeting.start)).first()
        meeting.deck_shared_at, meeting.deck_link = now, "https://deck"
        session.add(meeting)
        session.flush()
        edited = edits.refresh(session, client, meeting_id=meeting.id, now=now)

    assert edited == 1  # the agenda request (the deck reminder is moot: left as posted)
    message = by_key(fake, "m:production:20270105T0900Z:agenda_request")
    assert message.ts == request.ts and message.text.endswith("deck=https://deck") and len(message.edits) == 1
    assert row(engine, "m:production:20270105T0900Z:minutes_request").state == "pending"
    with session_scope(engine) as session:
        meeting.minutes_submitted_at = now
        session.add(meeting)
        session.flush()
        edits.refresh(session, client, meeting_id=meeting.id, now=now)
    assert row(engine, "m:production:20270105T0900Z:minutes_reminder").state == "skipped"
    assert row(engine, "m:production:20270105T0900Z:meeting_reminder").state == "pending"


def test_an_edit_slack_fails_is_made_again_by_the_next_tick(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2026, 12, 31, 9, 0))  # agenda request posted
    key = "m:production:20270105T0900Z:agenda_request"
    now = paris(2027, 1, 2, 12, 0)
    fake.server_error("chat.update")
    with session_scope(engine) as session:
        meeting = session.exec(select(Meeting).order_by(Meeting.start)).first()
        meeting.deck_shared_at, meeting.deck_link = now, "https://deck"
        session.add(meeting)
        session.flush()
        assert edits.refresh(session, client, meeting_id=meeting.id, now=now) == 0

    assert not by_key(fake, key).text.endswith("deck=https://deck")
    assert row(engine, key).stale_since == now
    summary = tick(engine, client, now + timedelta(minutes=1))
    assert summary.reedited == 1
    assert by_key(fake, key).text.endswith("deck=https://deck")
    assert row(engine, key).stale_since is None


def test_an_edit_of_a_deleted_message_is_given_up(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2026, 12, 31, 9, 0))
    key = "m:production:20270105T0900Z:agenda_request"
    fake.fail("chat.update", "message_not_found")
    now = paris(2027, 1, 2, 12, 0)
    with session_scope(engine) as session:
        meeting = session.exec(select(Meeting).order_by(Meeting.start)).first()
        meeting.deck_shared_at, meeting.deck_link = now, "https://deck"
        session.add(meeting)
        session.flush()
        edits.refresh(session, client, meeting_id=meeting.id, now=now)
    assert row(engine, key).stale_since is None


# -- claiming and crash recovery -------------------------------------------------------------


def test_a_restart_between_planning_and_sending_loses_nothing(engine, database, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    with session_scope(engine) as session:
        horizon.plan_horizon(session, now=paris(2027, 1, 4, 8, 0))
    engine.dispose()  # the process goes away; a new one starts with a new engine

    url, schema = database
    fresh = make_engine(url, schema=schema)
    try:
        tick(fresh, client, paris(2027, 1, 4, 9, 0), worker="after-restart")
    finally:
        fresh.dispose()
    assert posted_keys(fake)["m:production:20270105T0900Z:deck_reminder"] == 1


def test_enqueue_is_idempotent_on_the_key(engine) -> None:
    now = paris(2027, 1, 4, 9, 0)
    with session_scope(engine) as session:
        assert outbox.enqueue(session, kind=TEST_KIND, to="C0X", key="once", now=now)
        assert not outbox.enqueue(session, kind=TEST_KIND, to="C0Y", key="once", now=now)
    assert [(r.recipient, r.state, r.due_at) for r in rows(engine, key="once")] == [("C0X", "pending", now)]


def test_concurrent_claims_never_share_a_row(engine) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    due_rows(engine, now, 30)
    taken: list[list[int]] = []
    for worker in ("a", "b", "c", "d"):
        with write_session(engine) as session:
            taken.append(
                [
                    c.id
                    for c in store.claim_due(
                        session, now=now, stale_before=now - dispatch.LEASE, worker=worker, limit=10
                    )
                ]
            )
    assert [len(t) for t in taken] == [10, 10, 10, 0]
    assert len(set(functools.reduce(operator.iadd, taken, []))) == 30


def test_oldest_due_rows_are_claimed_first(engine) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    with session_scope(engine) as session:
        for hours in (1, 5, 3):
            outbox.enqueue(
                session,
                kind=TEST_KIND,
                to="C0PROD",
                key=f"k{hours}",
                now=now,
                due_at=now - timedelta(hours=hours),
            )
    with write_session(engine) as session:
        claimed = store.claim_due(session, now=now, stale_before=now - dispatch.LEASE, worker="w", limit=2)
    assert [c.key for c in claimed] == ["k5", "k3"]


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over_after_the_lease(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    keys = due_rows(engine, now, 3)
    with write_session(engine) as session:
        store.claim_due(session, now=now, stale_before=now - dispatch.LEASE, worker="dead", limit=10)
    # The dead worker had posted the first one before it died, without recording it.
    client.chat_postMessage(
        channel="C0PROD",
        text="x",
        metadata={"event_type": "committee_bot_notification", "event_payload": {"key": keys[0]}},
    )

    assert tick(engine, client, now + timedelta(minutes=1), plan=False).sent == 0  # still leased
    summary = tick(engine, client, now + dispatch.LEASE + timedelta(seconds=1), plan=False)

    assert summary.sent == 3
    assert posted_keys(fake) == dict.fromkeys(keys, 1)
    assert len(fake.calls_to("chat.postMessage")) == 3  # the first was found, not posted again
    assert row(engine, keys[0]).ts == fake.messages("C0PROD")[0].ts


def test_posted_but_answered_500_is_found_by_its_key_and_not_posted_again(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    [key] = due_rows(engine, now, 1)
    fake.server_error("chat.postMessage", after_effect=True)

    first = tick(engine, client, now, plan=False)
    assert (first.sent, first.retried) == (0, 1)
    stored = row(engine, key)
    assert (stored.state, stored.attempts) == (
        "pending",
        1,
    ) and stored.next_attempt_at == now + record.BACKOFF_BASE

    second = tick(engine, client, now + record.BACKOFF_BASE, plan=False)
    assert second.sent == 1
    assert posted_keys(fake) == {key: 1}
    assert len(fake.calls_to("chat.postMessage")) == 1 and len(fake.calls_to("conversations.history")) == 1


# -- Slack errors ----------------------------------------------------------------------------


def test_a_rate_limit_defers_the_row_by_retry_after_without_counting_an_attempt(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    keys = due_rows(engine, now, 3)
    fake.rate_limit("chat.postMessage", retry_after=3)
    waits: list[float] = []

    summary = dispatch.tick(engine, client, now=now, worker="w", plan=False, sleep=waits.append)

    assert (summary.sent, summary.retried) == (2, 1) and waits == [3.0]
    [deferred] = rows(engine, state="pending", kind=TEST_KIND)  # whichever sender met the 429
    assert (deferred.attempts, deferred.next_attempt_at, deferred.claimed_by) == (
        0,
        now + timedelta(seconds=3),
        None,
    )
    assert tick(engine, client, now + timedelta(seconds=3), plan=False).sent == 1
    assert posted_keys(fake) == dict.fromkeys(keys, 1)


def test_a_long_rate_limit_ends_the_tick_and_leaves_the_rest_for_the_next(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    keys = due_rows(engine, now, 4)
    fake.rate_limit("chat.postMessage", retry_after=30)

    summary = tick(engine, client, now, plan=False, concurrency=1)  # one sender: nothing else in flight

    assert summary.sent == 0 and summary.stopped == "rate limited for 30s"
    assert {r.claimed_by for r in rows(engine, state="pending")} == {None}  # claims given back
    assert tick(engine, client, now + timedelta(seconds=30), plan=False).sent == 4
    assert posted_keys(fake) == dict.fromkeys(keys, 1)


def test_server_errors_back_off_then_give_up_and_tell_the_chair(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    [key] = due_rows(engine, now, 1)
    fake.server_error("chat.postMessage", status=503, times=record.MAX_ATTEMPTS)
    attempts_at = [now]

    for _ in range(record.MAX_ATTEMPTS):
        tick(engine, client, attempts_at[-1], plan=False)
        stored = row(engine, key)
        if stored.state != "pending":
            break
        attempts_at.append(stored.next_attempt_at)

    assert stored.state == "failed" and stored.attempts == record.MAX_ATTEMPTS
    gaps = [(b - a) for a, b in itertools.pairwise(attempts_at)]
    assert gaps == [
        min(record.BACKOFF_BASE * 2**n, record.BACKOFF_MAX) for n in range(record.MAX_ATTEMPTS - 1)
    ]
    [report] = rows(engine, kind="delivery_failed")
    assert (
        report.recipient == "U0CHAIR" and report.data["kind"] == TEST_KIND and "503" in report.data["error"]
    )
    tick(engine, client, attempts_at[-1] + timedelta(days=1), plan=False)
    assert len(fake.messages("U0CHAIR")) == 1 and key not in posted_keys(fake)


def test_an_archived_channel_fails_once_per_row_and_the_chair_is_told_once(
    engine, fake, client, real_notices
) -> None:
    declare(engine, ONE_COMMITTEE)
    fake.archive("C0PROD")

    first = tick(engine, client, paris(2026, 12, 31, 9, 0))  # this week's digest and the agenda request
    tick(engine, client, paris(2026, 12, 31, 10, 0))  # the agenda, published at the deck due time
    tick(engine, client, paris(2026, 12, 31, 12, 0))

    failed = rows(engine, state="failed")
    assert sorted(r.kind for r in failed) == ["agenda_published", "agenda_request", "weekly_digest"]
    assert {(r.error, r.attempts) for r in failed} == {("is_archived", 1)}
    assert first.failed == 2
    assert posted_kinds(engine, fake, "U0CHAIR").count("delivery_failed") == 1  # told once that day
    assert (
        len([c for c in fake.calls_to("chat.postMessage") if c.params.get("channel") == "C0PROD"]) == 3
    )  # never retried


def test_a_deactivated_owner_is_not_chased_and_the_chair_is_told_once(
    engine, fake, client, real_notices
) -> None:
    declare(engine, ONE_COMMITTEE)
    first = add_action(engine, owner="U0GONE", due=date(2027, 1, 6))
    add_action(engine, owner="U0GONE", due=date(2027, 1, 7))
    fake.deactivate("U0GONE")

    for day in (5, 6, 7, 8, 11, 12, 13):
        tick(engine, client, paris(2027, 1, day, 9, 0))

    chased = rows(engine, action_id=first)
    assert chased[0].state == "failed" and chased[0].error == "user_disabled"  # Slack told us
    assert {r.state for r in chased[1:] if r.due_at <= paris(2027, 1, 13, 9, 0)} == {"skipped"}
    assert all("deactivated" in r.error for r in chased[1:] if r.state == "skipped")
    assert [k for k in posted_kinds(engine, fake, "U0CHAIR") if k == "owner_unreachable"] == [
        "owner_unreachable"
    ]
    assert fake.messages("U0GONE") == []
    with session_scope(engine) as session:
        assert session.get(SlackUser, "U0GONE").deleted


def test_an_away_owner_is_skipped_until_back_and_reported_once(engine, fake, client, real_notices) -> None:
    declare(engine, ONE_COMMITTEE)
    action_id = add_action(engine, owner="U0A", due=date(2027, 1, 6))
    with session_scope(engine) as session:
        session.add(SlackUser(user_id="U0A", tz="Europe/Paris", away_until=date(2027, 1, 8)))

    for day in (5, 7, 11):
        tick(engine, client, paris(2027, 1, day, 9, 0))

    by_day = {r.due_at.date().isoformat(): r for r in rows(engine, action_id=action_id)}
    assert by_day["2027-01-05"].state == "skipped" and "away until 2027-01-08" in by_day["2027-01-05"].error
    assert by_day["2027-01-07"].state == "skipped"
    assert by_day["2027-01-11"].state == "sent"  # back: chased again
    assert [k for k in posted_kinds(engine, fake, "U0CHAIR") if k == "owner_unreachable"] == [
        "owner_unreachable"
    ]


def test_a_refused_token_stops_the_tick_and_keeps_every_row_pending(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    due_rows(engine, now, 3)
    fake.fail("chat.postMessage", "invalid_auth")

    summary = tick(engine, client, now, plan=False, concurrency=1)  # one sender: nothing else in flight

    assert summary.stopped == "Slack refused the token: invalid_auth" and summary.failed == 0
    assert {(r.state, r.attempts, r.claimed_by) for r in rows(engine, kind=TEST_KIND)} == {
        ("pending", 0, None)
    }
    assert tick(engine, client, now, plan=False).sent == 3


def test_shutdown_releases_the_claims_not_started(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    due_rows(engine, now, 5)
    asked = iter([False, False, True])

    summary = tick(engine, client, now, plan=False, should_stop=lambda: next(asked, True))

    assert (summary.sent, summary.stopped) == (2, "shutdown")
    pending = rows(engine, state="pending", kind=TEST_KIND)
    assert len(pending) == 3 and {r.claimed_by for r in pending} == {None}
    assert tick(engine, client, now, plan=False).sent == 3  # at once, no lease to wait for


def test_a_network_error_is_retried_and_the_retry_looks_the_key_up_first(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    [key] = due_rows(engine, now, 1)
    unreachable = WebClient(
        token="xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=2
    )  # nothing listens

    assert tick(engine, unreachable, now, plan=False).retried == 1
    stored = row(engine, key)
    assert (stored.state, stored.attempts, stored.error.split(":")[0]) == ("pending", 1, "URLError")

    tick(engine, client, stored.next_attempt_at, plan=False)
    assert [c.method for c in fake.calls if c.method != "api.test"] == [
        "conversations.history",
        "chat.postMessage",
    ]
    assert posted_keys(fake) == {key: 1}


def test_when_the_look_up_fails_nothing_is_posted_blindly(engine, fake, client) -> None:
    declare(engine, ONE_COMMITTEE)
    now = paris(2027, 1, 4, 9, 0)
    [key] = due_rows(engine, now, 1)
    fake.server_error("chat.postMessage", after_effect=True)
    tick(engine, client, now, plan=False)  # posted, answered 500
    fake.server_error("conversations.history")

    retry_at = row(engine, key).next_attempt_at
    assert tick(engine, client, retry_at, plan=False).retried == 1  # could not look: did not post
    assert len(fake.calls_to("chat.postMessage")) == 1
    tick(engine, client, row(engine, key).next_attempt_at, plan=False)
    assert posted_keys(fake) == {key: 1} and row(engine, key).state == "sent"


@pytest.mark.parametrize(
    ("script", "outcome"),
    [
        (
            lambda fake: fake.rate_limit("chat.postMessage", retry_after=7),
            ("rate_limited", "ratelimited", 7.0),
        ),
        (
            lambda fake: fake.server_error("chat.postMessage", status=502),
            ("transient", "fatal_error (HTTP 502)", 0.0),
        ),
        (
            lambda fake: fake.fail("chat.postMessage", "internal_error"),
            ("transient", "internal_error (HTTP 200)", 0.0),
        ),
        (lambda fake: fake.fail("chat.postMessage", "not_in_channel"), ("permanent", "not_in_channel", 0.0)),
        (
            lambda fake: fake.fail("chat.postMessage", "account_inactive"),
            ("permanent", "account_inactive", 0.0),
        ),
        (lambda fake: fake.fail("chat.postMessage", "token_revoked"), ("fatal", "token_revoked", 0.0)),
    ],
)
def test_slack_answers_are_sorted_by_what_to_do_next(fake, client, script, outcome) -> None:
    script(fake)
    result = sender.post(client, channel="C0PROD", text="x", blocks=[], key="k")
    assert (result.status.value, result.error, result.retry_after) == outcome


# -- minutes overdue: whoever holds the minutes ---------------------------------------------


def test_minutes_overdue_chases_the_secretary_three_times_then_the_chair_while_approval_waits(
    engine, fake, client, real_notices
) -> None:
    """SPEC §4: past the deadline the chase goes to whoever holds the minutes, at most 3 times."""
    declare(engine, ONE_COMMITTEE.replace("kind: production", "kind: pilotage"))  # approval required
    # Meeting Tue 5 Jan 10:00-11:00 Paris; minutes due Thu 7 Jan 11:00; chases Thu 11:00, Fri 09:00, Mon 09:00.
    chases = [paris(2027, 1, 7, 11, 0), paris(2027, 1, 8, 9, 0), paris(2027, 1, 11, 9, 0)]
    tick(engine, client, paris(2027, 1, 4, 8, 0))

    def overdue_to(user: str) -> list:
        prefix = "m:production:20270105T0900Z:minutes_overdue:"
        return [
            m
            for m in fake.messages(user)
            if m.metadata and m.metadata["event_payload"]["key"].startswith(prefix)
        ]

    for instant in chases[:2]:
        tick(engine, client, instant)
    assert len(overdue_to("U0SEC")) == 2  # the secretary owes them
    assert len(overdue_to("U0CHAIR")) == 2

    with session_scope(engine) as session:  # the secretary submits; the chair has not approved yet
        meeting = session.exec(select(Meeting).where(Meeting.series_start == paris(2027, 1, 5, 10, 0))).one()
        meeting.minutes_submitted_at = paris(2027, 1, 8, 15, 0)
        meeting.minutes_submitted_by = "U0SEC"
    tick(engine, client, chases[2])
    tick(engine, client, paris(2027, 1, 15, 9, 0))

    assert len(overdue_to("U0SEC")) == 2  # no longer the holder
    chair = overdue_to("U0CHAIR")
    assert len(chair) == 3  # at most 3
    assert "en attente de l'approbation de <@U0CHAIR>" in str(chair[-1].blocks)


def test_after_downtime_only_the_latest_minutes_overdue_chase_is_sent_not_a_burst(
    engine, fake, client, real_notices
) -> None:
    """SPEC §9 catch-up sends what is still valid: a chase superseded by a later one is not (like action chases)."""
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2027, 1, 4, 8, 0))
    # Down from Monday 4 to Tuesday 12 January 10:30: the 5 January meeting's three chases are all past.
    tick(engine, client, paris(2027, 1, 12, 10, 30))

    prefix = "m:production:20270105T0900Z:minutes_overdue:"
    channel = [
        m
        for m in fake.messages("C0PROD")
        if m.metadata and m.metadata["event_payload"]["key"].startswith(prefix)
    ]
    assert [m.metadata["event_payload"]["key"] for m in channel] == [prefix + "3:channel"]
    assert "Relance 3 sur 3" in str(channel[0].blocks)
    assert {r.state for r in rows(engine) if r.key.startswith(prefix) and r.key[len(prefix)] in "12"} == {
        "skipped"
    }


def test_after_downtime_past_the_deck_deadline_no_stale_topic_call_or_deck_reminder_is_sent(
    engine, fake, client, real_notices
) -> None:
    """Catch-up sends what is still valid: 'propose topics before Friday' on Monday is not; the agenda is."""
    declare(engine, ONE_COMMITTEE)
    tick(engine, client, paris(2026, 12, 28, 8, 0))
    # Meeting Tue 12 Jan 10:00: agenda request and deck reminder Thu 7 at 09:00, deck due Fri 8 at 10:00.
    # Down from Wed 6 to Mon 11 January 08:00, deck never shared.
    tick(engine, client, paris(2027, 1, 11, 8, 0))

    prefix = "m:production:20270112T0900Z:"
    sent = [k for k in posted_keys(fake) if k.startswith(prefix)]
    assert sent == [
        prefix + "agenda_published",
        prefix + "agenda_published:also:0",
    ]  # 'deck missing' + the chair's DM
    assert row(engine, prefix + "agenda_request").state == "skipped"
    assert row(engine, prefix + "deck_reminder").state == "skipped"
