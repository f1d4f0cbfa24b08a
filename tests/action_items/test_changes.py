"""The action-item operations of issue 9 as plain functions (session, ids, clock), on a real
database: postpone versus mute, the assignment notes in the outbox, the minutes' action lines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.action_items import flows
from bot.action_items.assignment import NOTE_KINDS
from bot.core.action_lines import read_action_lines
from bot.text.errors import InvalidInput
from storage.models import ActionChange, Committee, Notification, SlackUser, WorkspaceSettings

NOW = datetime(2027, 3, 17, 9, 0, tzinfo=UTC)  # Wednesday, 10:00 in Paris
FRIDAY = date(2027, 3, 19)
OWNER, CREATOR, CHAIR, OTHER = "UOWNER", "UCREATOR", "UCHAIR", "UOTHER"


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        session.add(WorkspaceSettings())
        session.add(
            Committee(
                key="production",
                name="Comité de production",
                kind="production",
                channel="C0PROD",
                cadence="weekly",
                first=datetime(2027, 1, 5, 10, 0),
                timezone="Europe/Paris",
                locale="fr",
                chair=CHAIR,
                secretary="USEC",
                deck_owner="UDECK",
                feed_token="token-production",
            )
        )
        session.commit()
        yield session


def create(session: Session, *, owner: str = OWNER, creator: str = CREATOR, due: date = FRIDAY) -> int:
    action = flows.create_action(
        session,
        title="Relancer le plan",
        owner=owner,
        creator=creator,
        due=due,
        committee_id=1,
        now=NOW,
        today=NOW.date(),
    )
    return action.id  # type: ignore[return-value]


def notes(session: Session) -> list[tuple[str, str]]:
    """The assignment notes queued (the item's chase is planned with it too, and left out here)."""
    rows = session.exec(select(Notification).order_by(Notification.id)).all()
    return [(row.kind, row.recipient) for row in rows if row.kind in NOTE_KINDS]


def test_creating_for_someone_else_queues_one_dm_to_the_owner_and_none_to_oneself(session: Session) -> None:
    create(session)
    create(session, owner=CREATOR)
    assert notes(session) == [("action_assigned", OWNER)]


def test_create_without_notify_queues_nothing(session: Session) -> None:
    flows.create_action(
        session,
        title="Importée",
        owner=OWNER,
        creator=CREATOR,
        due=FRIDAY,
        committee_id=1,
        now=NOW,
        today=NOW.date(),
        notify=False,
    )
    assert notes(session) == []


def test_reassignment_queues_the_new_owner_dm_and_the_previous_owner_note_once(session: Session) -> None:
    item = create(session)
    flows.reassign_action(session, action_id=item, actor=CREATOR, new_owner=OTHER, now=NOW)
    flows.reassign_action(session, action_id=item, actor=CREATOR, new_owner=OTHER, now=NOW)  # no change
    assert notes(session) == [
        ("action_assigned", OWNER),
        ("action_assigned", OTHER),
        ("action_unassigned", OWNER),
    ]
    rows = session.exec(select(Notification).order_by(Notification.id)).all()
    keys = [row.key for row in rows if row.kind in NOTE_KINDS]
    assert len(set(keys)) == len(keys) == 3


def test_an_owner_handing_over_gets_no_note_about_it(session: Session) -> None:
    item = create(session)
    flows.reassign_action(session, action_id=item, actor=OWNER, new_owner=OTHER, now=NOW)
    assert notes(session)[1:] == [("action_assigned", OTHER)]


def test_postpone_moves_the_due_date_later_and_remembers_the_first_one(session: Session) -> None:
    item = create(session)
    flows.postpone_action(session, action_id=item, actor=OWNER, due=FRIDAY + timedelta(days=7), now=NOW)
    flows.postpone_action(session, action_id=item, actor=OWNER, due=FRIDAY + timedelta(days=14), now=NOW)
    action = flows._load(session, item)
    assert (action.due, action.postponed_from) == (FRIDAY + timedelta(days=14), FRIDAY)
    fields = [c.field for c in session.exec(select(ActionChange).where(ActionChange.action_id == item))]
    assert fields == ["created", "postponed", "postponed"]


@pytest.mark.parametrize("due", [FRIDAY, FRIDAY - timedelta(days=1), date(2027, 3, 16)])
def test_postpone_refuses_a_date_not_later_than_the_due_date_or_past(session: Session, due: date) -> None:
    item = create(session)
    with pytest.raises(InvalidInput) as raised:
        flows.postpone_action(session, action_id=item, actor=OWNER, due=due, now=NOW, today=NOW.date())
    assert raised.value.field == "due"
    assert flows._load(session, item).due == FRIDAY


def test_mute_keeps_the_due_date(session: Session) -> None:
    item = create(session)
    flows.mute_action(
        session, action_id=item, actor=OWNER, until=date(2027, 3, 22), now=NOW, today=NOW.date()
    )
    action = flows._load(session, item)
    assert (action.due, action.snoozed_until, action.postponed_from) == (FRIDAY, date(2027, 3, 22), None)


def test_action_lines_report_every_problem_in_line_order_and_keep_the_good_lines() -> None:
    found = read_action_lines(
        [
            "<@U1> Recruter by 2027-03-26",
            "",
            "Diffuser la grille",
            "<@U2> Relancer 31/02",
            "• <@U3> Revoir les scripts d'ici vendredi !high",
            "<@U4> Former l'équipe d'ici vendredi",
        ],
        tz="Europe/Paris",
        locale="en",
        now=NOW,
        deactivated=lambda user: user == "U4",
    )
    assert [(n, d.owner, d.priority) for n, d in found.items] == [(1, "U1", "medium"), (5, "U3", "high")]
    assert [e.params["line"] for e in found.errors] == [3, 4, 6]
    assert "the owner (@someone) is missing, the due date is missing." in found.errors[0].message


def test_a_deactivated_previous_owner_gets_no_note(session: Session) -> None:
    item = create(session)
    session.add(SlackUser(user_id=OWNER, deleted=True))
    session.flush()
    flows.reassign_action(session, action_id=item, actor=CHAIR, new_owner=OTHER, now=NOW)
    assert notes(session) == [("action_assigned", OWNER), ("action_assigned", OTHER)]
