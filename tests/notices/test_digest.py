"""The weekly digest of a committee's channel (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from bot.notices.digest import weekly_digest, weekly_digests
from bot.text.render import slack_day
from storage.models import ActionStatus, MeetingStatus
from tests.support import notices as h
from tests.support.notices import (
    CHAIR,
    MEMBER,
    NASTY,
    OWNER,
    PARIS,
    SECRETARY,
    START,
    check_limits,
    token,
    visible,
)

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # Monday 09:00 Paris, the digest's time
ESCAPED = 'Budget &lt;Q2&gt; &amp; "hausse" &lt;!channel&gt;'


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        h.workspace(session)
        yield session


@pytest.fixture
def busy(session: Session):
    """The weekly production committee in a busy week, and a quality committee next door."""
    committee = h.committee(session)
    this_week = h.meeting(session, committee)  # Tuesday 23rd
    this_week.deck_shared_at = datetime(2027, 3, 18, 16, 0, tzinfo=UTC)
    this_week.deck_link = "https://drive.example.com/deck"
    h.topic(session, this_week, "KPI")
    h.topic(session, this_week, "Renfort")
    last_week = h.meeting(session, committee, START - timedelta(days=7))  # minutes due Thu 18th 11:00: late
    older = h.meeting(session, committee, START - timedelta(days=14))
    older.minutes_posted_at = older.end + timedelta(days=1)
    h.decision(session, last_week, NASTY, datetime(2027, 3, 17, 9, 0, tzinfo=UTC))
    h.decision(session, older, "Old decision", datetime(2027, 3, 10, 9, 0, tzinfo=UTC))
    late = h.action(session, committee, title="Late <one>", due=date(2027, 3, 15))
    h.action(session, committee, title="Soon", due=date(2027, 3, 26))
    h.action(session, committee, title="Member's", owner=MEMBER, due=date(2027, 4, 2))
    h.action(
        session, committee, title="Closed", status=ActionStatus.done.value, closed_at=NOW - timedelta(days=1)
    )

    other = h.committee(session, key="qualite", name="Comité qualité", channel="C0QUAL", cadence="monthly")
    theirs = h.meeting(session, other, START - timedelta(days=7))
    h.decision(session, theirs, "Secret decision of another channel", datetime(2027, 3, 17, 9, 0, tzinfo=UTC))
    h.action(session, other, title="Another channel's action", owner=OWNER, due=date(2027, 3, 1))
    session.commit()
    return committee, other, late


def test_digest_shows_meetings_actions_overdue_minutes_decisions_and_health(session, busy):
    committee, _, late = busy
    message = weekly_digest(session, committee=committee, now=NOW)
    check_limits(message)
    text = visible(message)
    assert (
        f"*Synthèse hebdomadaire — Comité de production* — semaine du {slack_day(date(2027, 3, 22), 'Europe/Paris')}"
        in text
    )
    assert (
        f"• {token(START)} — ordre du jour : 2 sujets — support : :white_check_mark: partagé (<https://drive.example.com/deck|ouvrir>)"
        in text
    )
    assert "*Actions ouvertes par responsable* (3)" in text
    assert (
        f"• <@{OWNER}> — 2 ouvertes, dont 1 en retard : *A{late.id}* Late &lt;one&gt;, *A{late.id + 1}* Soon"
        in text
    )
    assert f"• <@{MEMBER}> — 1 ouverte :" in text
    assert "*En retard* (1)" in text and "(7 jours de retard)" in text
    assert (
        f"• {token(START - timedelta(days=7))} — :warning: 3 jours 22 h de retard, attendu de <@{SECRETARY}>"
        in text
    )
    assert f"*Décisions de la semaine passée*\n• {ESCAPED}" in text
    assert "Old decision" not in text and "Closed" not in text
    # Minutes: the older ones on time, last week's late; decks: only this week's shared; actions: "Closed" early.
    assert (
        "comptes rendus à l'heure : 50 % (1/2) · supports à l'heure : 33 % (1/3) · actions closes à temps : 50 % (1/2)"
        in text
    )


def test_digest_never_shows_another_channels_items(session, busy):
    committee, other, _ = busy
    text = visible(weekly_digest(session, committee=committee, now=NOW))
    assert "Another channel" not in text and "Secret decision" not in text
    theirs = visible(weekly_digest(session, committee=other, now=NOW))
    assert "Another channel's action" in theirs and "Secret decision of another channel" in theirs
    assert "Late &lt;one&gt;" not in theirs and "Budget" not in theirs


def test_a_quiet_week_gets_a_short_digest_that_says_so(session):
    committee = h.committee(
        session, cadence="monthly", locale="en", name="Quality"
    )  # 1st Tuesday: none this week
    message = weekly_digest(session, committee=committee, now=NOW)
    text = visible(message)
    assert (
        "Quiet week: no meeting this week, no open action, no minutes outstanding and no decision last week."
        in text
    )
    assert "Governance health* (12 weeks) — minutes on time: —" in text
    assert len(message.blocks) == 3
    assert message.text.startswith("Quality: week of")


def test_digest_deck_states_missing_due_and_cancelled(session):
    committee = h.committee(session, locale="en", cadence="RRULE:FREQ=WEEKLY;BYDAY=TU,TH,FR")
    h.meeting(session, committee)  # Tuesday 23rd: deck was due Friday 19th, not shared
    friday = START + timedelta(days=3)
    h.meeting(session, committee, friday, status=MeetingStatus.cancelled.value)
    message = weekly_digest(session, committee=committee, now=NOW)
    text = visible(message)
    assert (
        f"• {token(START)} — agenda: 0 topics — deck: :warning: missing (was due {token(datetime(2027, 3, 19, 10, 0, tzinfo=PARIS))})"
        in text
    )
    thursday = START + timedelta(days=2)  # Thursday 25th, from the series (no row yet): deck due Tuesday 23rd
    assert (
        f"• {token(thursday)} — agenda: 0 topics — deck: due {token(datetime(2027, 3, 23, 10, 0, tzinfo=PARIS))}"
        in text
    )
    assert f"• ~{token(friday)}~ cancelled" in text


def test_minutes_awaiting_approval_are_with_the_chair(session):
    committee = h.committee(session, kind="pilotage", locale="en")
    last_week = h.meeting(session, committee, START - timedelta(days=7))
    last_week.minutes_submitted_at = last_week.end + timedelta(hours=2)
    text = visible(weekly_digest(session, committee=committee, now=NOW))
    assert f"• {token(last_week.start)} — waiting for <@{CHAIR}>'s approval" in text


def test_long_weeks_stay_within_slack_limits(session):
    committee = h.committee(session, locale="en")
    for i in range(60):
        h.action(
            session, committee, title=f"Action {i} " + "w" * 300, owner=f"U{i:04d}", due=date(2027, 3, 1)
        )
    message = weekly_digest(session, committee=committee, now=NOW)
    check_limits(message)
    assert "_and 45 more_" in visible(message)


def test_bulk_digests_match_one_by_one(session, busy):
    committee, other, _ = busy
    both = weekly_digests(session, committees=[committee, other], now=NOW)
    assert both[committee.id] == weekly_digest(session, committee=committee, now=NOW)
    assert both[other.id] == weekly_digest(session, committee=other, now=NOW)


def test_a_committee_with_an_unreadable_cadence_still_gets_its_stored_meetings(session):
    committee = h.committee(session, cadence="every other blue moon")
    h.meeting(session, committee)
    text = visible(weekly_digest(session, committee=committee, now=NOW))
    assert f"• {token(START)} — ordre du jour : 0 sujet — support : :warning: manquant" in text


def test_each_decision_is_in_exactly_one_digest_across_the_tuesday_after_easter_monday(session):
    """Digests on Mon 22 March, Tue 30 March (Easter Monday 29th), Mon 5 April 2027, 09:00 Paris:
    a decision is shown once, never lost in the gap nor repeated in the overlap of 'the past week'."""
    committee = h.committee(session)
    meeting = h.meeting(session, committee)
    h.decision(session, meeting, "Monday noon decision", datetime(2027, 3, 22, 11, 0, tzinfo=UTC))
    h.decision(session, meeting, "Tuesday dawn decision", datetime(2027, 3, 30, 6, 0, tzinfo=UTC))
    session.commit()
    digests = [
        visible(weekly_digest(session, committee=committee, now=moment))
        for moment in (NOW, datetime(2027, 3, 30, 7, 0, tzinfo=UTC), datetime(2027, 4, 5, 7, 0, tzinfo=UTC))
    ]
    for decision in ("Monday noon decision", "Tuesday dawn decision"):
        assert sum(decision in text for text in digests) == 1, decision
