"""Restoring a cancelled occurrence and naming occurrences by date (bot/meetings/changes.py), as plain
flows on SQLite and PostgreSQL (the Slack surface is in test_slack_meeting_changes.py)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.meetings import changes, flows
from bot.meetings import state as meetings_state
from bot.planning import outbox
from bot.text.errors import InvalidInput, PermissionDenied
from storage.db import session_scope
from storage.models import Committee, Meeting, Notification, WorkspaceSettings

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 1, 1, 12, 0, tzinfo=PARIS)  # a Friday; the weekly committee meets on Tuesdays 10:00
FIRST = datetime(2027, 1, 5, 10, 0, tzinfo=PARIS)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@pytest.fixture
def db(engine: Engine) -> Engine:
    with session_scope(engine) as session:
        session.add(WorkspaceSettings(timezone="Europe/Paris", locale="fr", holidays="FR"))
        session.add(
            Committee(
                key="production", name="Comité de production", kind="production", channel="C0PROD",
                cadence="weekly", first=datetime(2027, 1, 5, 10, 0), duration=60, timezone="Europe/Paris",
                locale="fr", chair="U0CHAIR", secretary="U0SEC", deck_owner="U0DECK", feed_token="feed-prod",
            )
        )  # fmt: skip
    return engine


def committee(session: Session) -> Committee:
    return session.exec(select(Committee)).one()


def meeting_on(engine: Engine, start: datetime) -> int:
    with session_scope(engine) as session:
        return meetings_state.resolve_meeting(session, committee=committee(session), when=start, now=NOW).id  # type: ignore[return-value]


def rows(engine: Engine, meeting_id: int, kind: str) -> list[Notification]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Notification).where(Notification.meeting_id == meeting_id, Notification.kind == kind)
            )
        )


def test_restore_brings_back_the_plan_the_cancellation_skipped(db: Engine) -> None:
    meeting_id = meeting_on(db, paris(2027, 1, 12, 10, 0))
    with session_scope(db) as session:
        outbox.replan_meeting(session, meeting_id=meeting_id, now=NOW)
    (request,) = rows(db, meeting_id, "agenda_request")
    assert request.state == "pending"
    with session_scope(db) as session:
        flows.cancel_meeting(session, meeting_id=meeting_id, actor="U0CHAIR", now=NOW)
    assert rows(db, meeting_id, "agenda_request")[0].state == "skipped"
    with session_scope(db) as session:
        changes.restore_meeting(session, meeting_id=meeting_id, actor="U0CHAIR", now=NOW)
    (request,) = rows(db, meeting_id, "agenda_request")
    assert (request.state, request.due_at) == ("pending", paris(2027, 1, 7, 9, 0))
    (notice,) = rows(db, meeting_id, "meeting_cancelled")
    assert notice.data["restored_by"] == "U0CHAIR"
    with Session(db) as session:
        assert session.get(Meeting, meeting_id).status == "scheduled"  # type: ignore[union-attr]


def test_a_moved_then_cancelled_meeting_is_restored_where_it_was_moved(db: Engine) -> None:
    meeting_id = meeting_on(db, FIRST)
    with session_scope(db) as session:
        flows.move_meeting(
            session, meeting_id=meeting_id, new_start=paris(2027, 1, 6, 14, 0), actor="U0CHAIR", now=NOW
        )
        flows.cancel_meeting(session, meeting_id=meeting_id, actor="U0CHAIR", now=NOW)
        changes.restore_meeting(session, meeting_id=meeting_id, actor="U0CHAIR", now=NOW)
    with Session(db) as session:
        meeting = session.get(Meeting, meeting_id)
        assert (meeting.status, meeting.start) == ("moved", paris(2027, 1, 6, 14, 0))  # type: ignore[union-attr]


def test_restore_is_refused_when_not_cancelled_to_a_member_and_onto_a_taken_slot(db: Engine) -> None:
    first = meeting_on(db, FIRST)
    with session_scope(db) as session, pytest.raises(InvalidInput) as error:
        changes.restore_meeting(session, meeting_id=first, actor="U0CHAIR", now=NOW)
    assert error.value.key == "meeting_not_cancelled"
    with session_scope(db) as session:
        flows.cancel_meeting(session, meeting_id=first, actor="U0CHAIR", now=NOW)
    with session_scope(db) as session, pytest.raises(PermissionDenied):
        changes.restore_meeting(session, meeting_id=first, actor="U0MARIE", now=NOW)
    # The next meeting moves onto the cancelled slot: restoring it would make two meetings at once.
    second = meeting_on(db, paris(2027, 1, 12, 10, 0))
    with session_scope(db) as session:
        flows.move_meeting(session, meeting_id=second, new_start=FIRST, actor="U0CHAIR", now=NOW)
    with session_scope(db) as session, pytest.raises(InvalidInput) as error:
        changes.restore_meeting(session, meeting_id=first, actor="U0CHAIR", now=NOW)
    assert error.value.key == "move_overlaps"


def test_a_date_names_an_occurrence_by_its_original_or_current_day(db: Engine) -> None:
    meeting_id = meeting_on(db, FIRST)
    with session_scope(db) as session:
        flows.move_meeting(
            session, meeting_id=meeting_id, new_start=paris(2027, 1, 7, 15, 0), actor="U0CHAIR", now=NOW
        )
    with Session(db) as session:
        by_original = changes.named_occurrences(session, committee=committee(session), day=date(2027, 1, 5))
        by_current = changes.named_occurrences(session, committee=committee(session), day=date(2027, 1, 7))
        nothing = changes.named_occurrences(session, committee=committee(session), day=date(2027, 1, 6))
    assert [o.start for o in by_original] == [paris(2027, 1, 7, 15, 0)]
    assert [o.series_start for o in by_current] == [FIRST]
    assert nothing == []


def test_restore_is_refused_once_a_change_of_schedule_took_the_occurrence_out_of_the_series(
    db: Engine,
) -> None:
    """Cancel the 12/01 10:00 meeting, then ``config import`` moves the committee to 14:00: the
    12/01 occurrence is now 14:00 and planned as usual; the cancelled 10:00 row is history, not
    offered by the restore picker, and restoring it is refused and changes nothing."""
    cancelled = meeting_on(db, paris(2027, 1, 12, 10, 0))
    with session_scope(db) as session:
        flows.cancel_meeting(session, meeting_id=cancelled, actor="U0CHAIR", now=NOW)
    with session_scope(db) as session:
        committee(session).first = datetime(2027, 1, 5, 14, 0)
    with Session(db) as session:
        before = sorted((n.key, n.state, n.due_at) for n in session.exec(select(Notification)))
        assert changes.cancelled_ahead(session, committee=committee(session), now=NOW) == []
    with session_scope(db) as session, pytest.raises(InvalidInput) as error:
        changes.restore_meeting(session, meeting_id=cancelled, actor="U0CHAIR", now=NOW)
    assert error.value.key == "meeting_left_series"
    assert "2027-01-12 10:00" in error.value.message and "calendrier" in error.value.message
    assert "calendar" in error.value.in_locale("en")
    with Session(db) as session:
        assert session.get(Meeting, cancelled).status == "cancelled"  # type: ignore[union-attr]
        assert sorted((n.key, n.state, n.due_at) for n in session.exec(select(Notification))) == before
        (occurrence,) = changes.named_occurrences(
            session, committee=committee(session), day=date(2027, 1, 12)
        )
    assert (occurrence.start, occurrence.status) == (paris(2027, 1, 12, 14, 0), "scheduled")
