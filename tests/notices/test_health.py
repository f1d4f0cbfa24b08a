"""Governance health figures on hand-made data (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from bot.notices.digest import health_line
from bot.notices.health import Health, Rate, governance_health, health_by_committee
from storage.models import ActionStatus, MeetingStatus
from tests.support import notices as h
from tests.support.notices import PARIS

NOW = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # Monday 09:00 Paris


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def tuesday(day: date) -> datetime:
    return paris(day.year, day.month, day.day, 10, 0)


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        h.workspace(session)
        yield session


@pytest.fixture
def measured(session: Session):
    """A weekly committee with meetings and actions whose figures are worked out by hand below."""
    committee = h.committee(session)
    other = h.committee(session, key="qualite", name="Comité qualité", channel="C0QUAL")

    # Minutes due 2 bd after the end (11:00), deck due 2 bd before the start (10:00).
    m1 = h.meeting(session, committee, tuesday(date(2027, 3, 16)))
    m1.minutes_posted_at = paris(2027, 3, 17, 16, 0)  # due Thu 18th 11:00: on time
    m1.deck_shared_at = paris(2027, 3, 12, 9, 0)  # due Fri 12th 10:00: on time
    m2 = h.meeting(session, committee, tuesday(date(2027, 3, 9)))
    m2.minutes_posted_at = paris(2027, 3, 12, 9, 0)  # due Thu 11th 11:00: late
    m2.deck_shared_at = paris(2027, 3, 8, 9, 0)  # due Fri 5th 10:00: late
    h.meeting(session, committee, tuesday(date(2027, 3, 2)))  # nothing, both deadlines passed: late twice
    h.meeting(
        session, committee, tuesday(date(2027, 2, 23)), status=MeetingStatus.cancelled.value
    )  # not measured
    m5 = h.meeting(session, committee, tuesday(date(2027, 3, 23)))  # tomorrow: deck due Fri 19th passed
    m5.deck_shared_at = paris(2027, 3, 18, 17, 0)  # on time; its minutes are not due yet
    old = h.meeting(session, committee, tuesday(date(2026, 10, 6)))  # before the 12 weeks
    old.minutes_posted_at = paris(2026, 10, 20, 9, 0)
    h.meeting(session, other, tuesday(date(2027, 3, 16)))  # another committee: late twice, counted apart

    done = ActionStatus.done.value
    # Closed 00:30 Paris the day after the due date (still the due date in UTC): late.
    h.action(
        session,
        committee,
        due=date(2027, 3, 10),
        status=done,
        closed_at=datetime(2027, 3, 10, 23, 30, tzinfo=UTC),
    )
    # Closed 23:30 Paris on the due date: on time.
    h.action(
        session,
        committee,
        due=date(2027, 3, 12),
        status=done,
        closed_at=datetime(2027, 3, 12, 22, 30, tzinfo=UTC),
    )
    h.action(session, committee, due=date(2027, 3, 5))  # still open past its due date: late
    h.action(
        session, committee, due=date(2027, 4, 30), status=done, closed_at=paris(2027, 3, 15, 9, 0)
    )  # early: on time
    h.action(session, committee, due=date(2027, 4, 30))  # not due yet: not measured
    h.action(session, committee, due=date(2027, 3, 1), status=ActionStatus.cancelled.value)  # not measured
    h.action(
        session, committee, due=date(2026, 11, 2), status=done, closed_at=paris(2026, 11, 5, 9, 0)
    )  # too old
    h.action(session, other, due=date(2027, 3, 1))  # other committee: late
    session.commit()
    return committee, other


def test_health_counts_minutes_decks_and_actions_on_time(session, measured):
    committee, _ = measured
    health = governance_health(session, committee_ids=[committee.id], now=NOW)
    assert health.minutes == Rate(on_time=1, total=3)
    assert health.decks == Rate(on_time=2, total=4)
    assert health.actions == Rate(on_time=2, total=4)
    assert (health.minutes.percent, health.decks.percent, health.actions.percent) == (33, 50, 50)


def test_health_of_several_committees_adds_them_up(session, measured):
    committee, other = measured
    apart = health_by_committee(session, committee_ids=[committee.id, other.id], now=NOW)
    assert apart[other.id] == Health(minutes=Rate(0, 1), decks=Rate(0, 1), actions=Rate(0, 1))
    total = governance_health(session, committee_ids=[committee.id, other.id], now=NOW)
    assert total.minutes == Rate(1, 4) and total.decks == Rate(2, 5) and total.actions == Rate(2, 5)


def test_a_shorter_window_measures_less(session, measured):
    committee, _ = measured
    health = governance_health(session, committee_ids=[committee.id], now=NOW, weeks=1)
    # Since Monday 15th 09:00 Paris: m1's minutes (posted 17th), m5's deck (shared 18th) and the action
    # closed early on the 15th at 09:00; everything else came to term before.
    assert health.minutes == Rate(1, 1)
    assert health.decks == Rate(1, 1)
    assert health.actions == Rate(1, 1)


def test_nothing_to_measure_is_none_shown_as_a_dash(session):
    committee = h.committee(session)
    health = governance_health(session, committee_ids=[committee.id], now=NOW)
    assert health == Health()
    assert (health.minutes.percent, health.decks.percent, health.actions.percent) == (None, None, None)
    assert health_line("en", health).endswith(
        "minutes on time: — · decks on time: — · actions closed on time: —"
    )
    assert governance_health(session, committee_ids=[], now=NOW) == Health()


def test_health_line_in_both_languages(session, measured):
    committee, _ = measured
    health = governance_health(session, committee_ids=[committee.id], now=NOW)
    assert (
        "minutes on time: 33% (1/3) · decks on time: 50% (2/4) · actions closed on time: 50% (2/4)"
        in health_line("en", health)
    )
    assert "comptes rendus à l'heure : 33 % (1/3)" in health_line("fr", health)
    assert "(12 semaines)" in health_line("fr", health)
