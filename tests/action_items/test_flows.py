"""Action item flows and queries on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.action_items import flows, people
from bot.core.calendar import BusinessCalendar
from bot.text.errors import InvalidInput, NotFound, PermissionDenied
from storage import action_items as store
from storage import users
from storage.models import ActionItem, Committee, Meeting, Notification, WorkspaceSettings

NOW = datetime(2027, 3, 17, 9, 0, tzinfo=UTC)  # Wednesday, 10:00 in Paris
LATER = NOW + timedelta(hours=2)
TODAY = date(2027, 3, 17)
FRIDAY = date(2027, 3, 19)
OWNER, CREATOR, CHAIR, ADMIN, SLACK_ADMIN, OTHER = (
    "UOWNER",
    "UCREATOR",
    "UCHAIR",
    "UADMIN",
    "USLACKADMIN",
    "UOTHER",
)
FRANCE = BusinessCalendar(country="FR")


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def committee(session: Session) -> Committee:
    session.add(WorkspaceSettings(admins=[ADMIN]))
    users.upsert_user(session, user_id=SLACK_ADMIN, is_admin=True, now=NOW)
    committee = Committee(
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
    session.add(committee)
    session.commit()
    return committee


def new_action(session: Session, committee: Committee | None = None, **overrides) -> ActionItem:
    values = {
        "title": "Relancer le plan de renfort",
        "owner": OWNER,
        "creator": CREATOR,
        "due": FRIDAY,
        "now": NOW,
        "today": TODAY,
    }
    values["committee_id"] = committee.id if committee else None
    values.update(overrides)
    action = flows.create_action(session, **values)
    session.commit()
    return action


def changes(session: Session, action_id: int) -> list[tuple[str, str, str | None, str | None]]:
    return [(c.actor, c.field, c.old, c.new) for c in store.history(session, action_id)]


# --- create -----------------------------------------------------------------------------------


def test_create_action_stores_the_item_and_a_created_entry(session, committee):
    action = new_action(session, committee, priority="high", source_link="https://x.slack.com/archives/C1/p1")
    stored = store.get_action(session, action.id)
    assert (stored.title, stored.owner, stored.creator, stored.due) == (
        "Relancer le plan de renfort",
        OWNER,
        CREATOR,
        FRIDAY,
    )
    assert (stored.priority, stored.status, stored.progress, stored.committee_id) == (
        "high",
        "open",
        0,
        committee.id,
    )
    assert stored.public_id == f"A{action.id}"
    assert stored.created_at == NOW
    assert changes(session, action.id) == [(CREATOR, "created", None, "Relancer le plan de renfort")]


def test_create_action_accepts_a_mention_as_owner_and_takes_the_meetings_committee(session, committee):
    meeting = Meeting(committee_id=committee.id, series_start=NOW, start=NOW, end=NOW + timedelta(hours=1))
    session.add(meeting)
    session.commit()
    action = new_action(session, None, owner="<@UOWNER|marie>", meeting_id=meeting.id)
    assert (action.owner, action.committee_id, action.meeting_id) == (OWNER, committee.id, meeting.id)


def test_create_action_due_today_is_allowed(session, committee):
    assert new_action(session, committee, due=TODAY).due == TODAY


def test_create_action_today_defaults_to_the_creators_time_zone(session, committee):
    # 06:30 UTC on Thursday is still Wednesday in Los Angeles: a Wednesday due date is fine there.
    users.upsert_user(session, user_id=CREATOR, tz="America/Los_Angeles", now=NOW)
    thursday_morning = datetime(2027, 3, 18, 6, 30, tzinfo=UTC)
    action = flows.create_action(
        session, title="x", owner=OWNER, creator=CREATOR, due=TODAY, now=thursday_morning
    )
    assert action.due == TODAY
    with pytest.raises(InvalidInput):
        flows.create_action(session, title="x", owner=OWNER, creator=OTHER, due=TODAY, now=thursday_morning)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"title": "   "}, "title"),
        ({"title": "x" * 3001}, "title"),
        ({"title": "Prévenir <!here>"}, "title"),
        ({"title": "Prévenir @channel"}, "title"),
        ({"owner": "paul"}, "owner"),
        ({"owner": ""}, "owner"),
        ({"due": date(2027, 3, 16)}, "due"),
        ({"priority": "urgent"}, "priority"),
    ],
)
def test_create_action_refuses_bad_input_and_writes_nothing(session, committee, overrides, field):
    with pytest.raises(InvalidInput) as raised:
        new_action(session, committee, **overrides)
    assert raised.value.field == field
    session.rollback()
    assert store.list_actions(session) == []


def test_create_action_reports_every_bad_field_at_once(session, committee):
    with pytest.raises(InvalidInput) as raised:
        new_action(session, committee, title="", owner="paul", due=date(2027, 1, 1), priority="urgent")
    assert set(raised.value.fields) == {"title", "owner", "due", "priority"}
    assert set(raised.value.fields_in_locale("en")) == {"title", "owner", "due", "priority"}


def test_create_action_refuses_a_deactivated_owner(session, committee):
    users.upsert_user(session, user_id="UGONE", deleted=True, now=NOW)
    with pytest.raises(InvalidInput) as raised:
        new_action(session, committee, owner="UGONE")
    assert raised.value.field == "owner"


def test_create_action_refuses_an_unknown_committee(session, committee):
    with pytest.raises(NotFound):
        new_action(session, None, committee_id=committee.id + 100)


# --- changes and history ----------------------------------------------------------------------


def test_complete_action_closes_the_item_and_records_status_and_progress(session, committee):
    action = new_action(session, committee)
    flows.update_progress(
        session, action_id=action.id, actor=OWNER, status="in_progress", progress=40, now=NOW
    )
    done = flows.complete_action(session, action_id=action.id, actor=OWNER, now=LATER)
    assert (done.status, done.progress, done.closed_at) == ("done", 100, LATER)
    assert changes(session, action.id)[-2:] == [
        (OWNER, "status", "in_progress", "done"),
        (OWNER, "progress", "40", "100"),
    ]


def test_complete_action_twice_changes_nothing_more(session, committee):
    action = new_action(session, committee)
    flows.complete_action(session, action_id=action.id, actor=OWNER, now=NOW)
    before = changes(session, action.id)
    flows.complete_action(session, action_id=action.id, actor=OWNER, now=LATER)
    assert changes(session, action.id) == before
    assert action.closed_at == NOW


def test_update_progress_records_old_new_and_comment(session, committee):
    action = new_action(session, committee)
    flows.update_progress(
        session,
        action_id=action.id,
        actor=OWNER,
        status="in_progress",
        progress="30",
        comment="Plan envoyé",
        now=LATER,
    )
    entries = store.history(session, action.id)[1:]
    assert [(e.field, e.old, e.new, e.comment, e.at) for e in entries] == [
        ("status", "open", "in_progress", "Plan envoyé", LATER),
        ("progress", "0", "30", "Plan envoyé", LATER),
    ]
    assert action.updated_at == LATER


def test_update_progress_with_only_a_comment_records_the_comment(session, committee):
    action = new_action(session, committee)
    flows.update_progress(
        session,
        action_id=action.id,
        actor=OWNER,
        status="open",
        progress=0,
        comment="En attente du site",
        now=LATER,
    )
    last = store.history(session, action.id)[-1]
    assert (last.field, last.comment) == ("comment", "En attente du site")


@pytest.mark.parametrize(
    "status, progress, field",
    [
        ("finished", 10, "status"),
        ("open", 101, "progress"),
        ("open", -1, "progress"),
        ("open", "beaucoup", "progress"),
    ],
)
def test_update_progress_refuses_bad_values_and_changes_nothing(session, committee, status, progress, field):
    action = new_action(session, committee)
    with pytest.raises(InvalidInput) as raised:
        flows.update_progress(
            session, action_id=action.id, actor=OWNER, status=status, progress=progress, now=LATER
        )
    assert raised.value.field == field
    session.rollback()
    stored = store.get_action(session, action.id)
    assert (stored.status, stored.progress) == ("open", 0)
    assert len(store.history(session, action.id)) == 1


def test_done_items_reopen_only_through_update_progress(session, committee):
    action = new_action(session, committee)
    flows.complete_action(session, action_id=action.id, actor=OWNER, now=NOW)
    for change in (
        lambda: flows.snooze_action(
            session, action_id=action.id, actor=OWNER, until=FRIDAY, now=NOW, today=TODAY
        ),
        lambda: flows.reassign_action(session, action_id=action.id, actor=OWNER, new_owner="UPAUL", now=NOW),
        lambda: flows.edit_action(
            session, action_id=action.id, actor=OWNER, title="Autre", now=NOW, today=TODAY
        ),
        lambda: flows.cancel_action(session, action_id=action.id, actor=OWNER, now=NOW),
    ):
        with pytest.raises(InvalidInput):
            change()
    reopened = flows.update_progress(
        session, action_id=action.id, actor=OWNER, status="in_progress", progress=80, now=LATER
    )
    assert (reopened.status, reopened.progress, reopened.closed_at) == ("in_progress", 80, None)
    flows.reassign_action(session, action_id=action.id, actor=OWNER, new_owner="UPAUL", now=LATER)


def test_cancel_action_closes_and_records(session, committee):
    action = new_action(session, committee)
    flows.cancel_action(session, action_id=action.id, actor=CHAIR, now=LATER, comment="Sans objet")
    assert (action.status, action.closed_at) == ("cancelled", LATER)
    assert store.history(session, action.id)[-1].comment == "Sans objet"
    with pytest.raises(InvalidInput):
        flows.complete_action(session, action_id=action.id, actor=OWNER, now=LATER)


def test_snooze_action_records_the_snooze(session, committee):
    action = new_action(session, committee)
    flows.snooze_action(
        session, action_id=action.id, actor=OWNER, until=date(2027, 3, 22), now=LATER, today=TODAY
    )
    assert action.snoozed_until == date(2027, 3, 22)
    assert changes(session, action.id)[-1] == (OWNER, "snoozed_until", None, "2027-03-22")


@pytest.mark.parametrize("until", [TODAY, date(2027, 3, 1)])
def test_snooze_must_end_after_today(session, committee, until):
    action = new_action(session, committee)
    with pytest.raises(InvalidInput) as raised:
        flows.snooze_action(session, action_id=action.id, actor=OWNER, until=until, now=LATER, today=TODAY)
    assert raised.value.field == "until"
    assert action.snoozed_until is None


@pytest.mark.parametrize(
    "choice, today, until",
    [
        ("1bd", date(2027, 3, 17), date(2027, 3, 18)),  # Wednesday -> Thursday
        ("1bd", date(2027, 3, 19), date(2027, 3, 22)),  # Friday -> Monday, over the weekend
        ("1bd", date(2027, 3, 26), date(2027, 3, 30)),  # Friday -> Tuesday: Easter Monday 29/03
        ("1bd", date(2027, 5, 5), date(2027, 5, 7)),  # Wednesday -> Friday: Ascension Thursday 06/05
        ("1w", date(2027, 3, 17), date(2027, 3, 24)),
        ("1w", date(2027, 3, 22), date(2027, 3, 30)),  # a week later is Easter Monday -> Tuesday
        ("1w", date(2027, 3, 20), date(2027, 3, 30)),  # Saturday + 7 is a Saturday, then Easter Monday
    ],
)
def test_snooze_choice(choice, today, until):
    assert flows.snooze_choice(choice, today, FRANCE) == until


def test_snooze_choice_refuses_other_choices():
    with pytest.raises(InvalidInput):
        flows.snooze_choice("2d", TODAY, FRANCE)


def test_reassign_action_records_owner_change(session, committee):
    action = new_action(session, committee)
    flows.reassign_action(session, action_id=action.id, actor=CREATOR, new_owner="<@UPAUL|paul>", now=LATER)
    assert action.owner == "UPAUL"
    assert changes(session, action.id)[-1] == (CREATOR, "owner", OWNER, "UPAUL")
    # The former owner no longer may change it; the creator still may.
    with pytest.raises(PermissionDenied):
        flows.complete_action(session, action_id=action.id, actor=OWNER, now=LATER)


def test_reassign_to_the_same_owner_writes_nothing(session, committee):
    action = new_action(session, committee)
    flows.reassign_action(session, action_id=action.id, actor=OWNER, new_owner=OWNER, now=LATER)
    assert len(store.history(session, action.id)) == 1


def test_reassign_refuses_a_deactivated_user(session, committee):
    users.upsert_user(session, user_id="UGONE", deleted=True, now=NOW)
    action = new_action(session, committee)
    with pytest.raises(InvalidInput):
        flows.reassign_action(session, action_id=action.id, actor=OWNER, new_owner="UGONE", now=LATER)
    assert action.owner == OWNER


def test_edit_action_records_each_changed_field(session, committee):
    action = new_action(session, committee)
    flows.edit_action(
        session,
        action_id=action.id,
        actor=OWNER,
        title="Relancer le plan",
        due=date(2027, 3, 26),
        priority="low",
        now=LATER,
        today=TODAY,
    )
    assert changes(session, action.id)[1:] == [
        (OWNER, "title", "Relancer le plan de renfort", "Relancer le plan"),
        (OWNER, "due", "2027-03-19", "2027-03-26"),
        (OWNER, "priority", "medium", "low"),
    ]


def test_edit_action_refuses_a_past_due_date_and_changes_nothing(session, committee):
    action = new_action(session, committee)
    with pytest.raises(InvalidInput) as raised:
        flows.edit_action(
            session,
            action_id=action.id,
            actor=OWNER,
            title="Nouveau",
            due=date(2027, 3, 1),
            now=LATER,
            today=TODAY,
        )
    assert set(raised.value.fields) == {"due"}
    session.rollback()
    assert store.get_action(session, action.id).title == "Relancer le plan de renfort"
    assert len(store.history(session, action.id)) == 1


def test_edit_action_of_an_overdue_item_keeps_its_unchanged_due_date(session, committee):
    action = new_action(session, committee)
    later_today = date(2027, 3, 25)  # the item is now overdue
    flows.edit_action(
        session, action_id=action.id, actor=OWNER, title="Nouveau", due=FRIDAY, now=LATER, today=later_today
    )
    assert (action.title, action.due) == ("Nouveau", FRIDAY)


def test_unknown_action_is_not_found(session, committee):
    with pytest.raises(NotFound) as raised:
        flows.complete_action(session, action_id=999, actor=OWNER, now=NOW)
    assert "A999" in raised.value.message


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [OWNER, CREATOR, CHAIR, ADMIN, SLACK_ADMIN])
def test_owner_creator_chair_and_admins_may_change_an_item(session, committee, actor):
    action = new_action(session, committee)
    flows.snooze_action(
        session, action_id=action.id, actor=actor, until=date(2027, 3, 22), now=LATER, today=TODAY
    )
    flows.complete_action(session, action_id=action.id, actor=actor, now=LATER)
    assert action.status == "done"
    assert {c.actor for c in store.history(session, action.id)[1:]} == {actor}


def test_anyone_else_is_refused_by_every_flow_and_nothing_changes(session, committee):
    action = new_action(session, committee)
    attempts = {
        "complete": lambda: flows.complete_action(session, action_id=action.id, actor=OTHER, now=LATER),
        "progress": lambda: flows.update_progress(
            session, action_id=action.id, actor=OTHER, status="done", progress=100, now=LATER
        ),
        "snooze": lambda: flows.snooze_action(
            session, action_id=action.id, actor=OTHER, until=date(2027, 3, 22), now=LATER, today=TODAY
        ),
        "reassign": lambda: flows.reassign_action(
            session, action_id=action.id, actor=OTHER, new_owner=OTHER, now=LATER
        ),
        "edit": lambda: flows.edit_action(
            session, action_id=action.id, actor=OTHER, title="Pirate", now=LATER, today=TODAY
        ),
        "cancel": lambda: flows.cancel_action(session, action_id=action.id, actor=OTHER, now=LATER),
    }
    for name, attempt in attempts.items():
        with pytest.raises(PermissionDenied) as raised:
            attempt()
        assert f"<@{OWNER}>" in raised.value.message and f"<@{CHAIR}>" in raised.value.message, name
    session.rollback()
    stored = store.get_action(session, action.id)
    assert (stored.title, stored.owner, stored.status, stored.progress, stored.snoozed_until) == (
        "Relancer le plan de renfort",
        OWNER,
        "open",
        0,
        None,
    )
    assert len(store.history(session, action.id)) == 1


def test_refusal_names_who_may_in_both_languages(session, committee):
    action = new_action(session, committee)
    with pytest.raises(PermissionDenied) as raised:
        flows.complete_action(session, action_id=action.id, actor=OTHER, now=LATER)
    english = raised.value.in_locale("en")
    assert english.startswith(f"You can't change action A{action.id}")
    for who in (f"<@{OWNER}>", f"<@{CREATOR}>", f"<@{CHAIR}>", "admins"):
        assert who in english


def test_check_can_change_without_a_committee():
    action = ActionItem(id=5, title="x", owner=OWNER, creator=CREATOR, due=FRIDAY)
    flows.check_can_change(action, actor=CREATOR, chair=None, is_admin=False)
    flows.check_can_change(action, actor=OTHER, chair=None, is_admin=True)
    with pytest.raises(PermissionDenied) as raised:
        flows.check_can_change(action, actor=OTHER, chair=None, is_admin=False)
    assert "président" not in raised.value.message


def test_may_change(session, committee):
    action = new_action(session, committee)
    assert flows.may_change(session, action, actor=CHAIR)
    assert not flows.may_change(session, action, actor=OTHER)


# --- queries ----------------------------------------------------------------------------------


def test_list_actions_filters_and_orders_by_due_then_id(session, committee):
    other = Committee(
        **{**committee.model_dump(exclude={"id"}), "key": "qualite", "feed_token": "token-qualite"}
    )
    session.add(other)
    session.commit()
    new_action(session, committee, title="late", due=date(2027, 4, 1))  # due later: listed last
    first = new_action(session, committee, title="first", due=FRIDAY)
    second = new_action(session, other, title="second", due=FRIDAY, owner="UPAUL")
    done = new_action(session, committee, title="done", due=TODAY)
    flows.complete_action(session, action_id=done.id, actor=OWNER, now=NOW)
    session.commit()

    def titles(**filters):
        return [a.title for a in store.list_actions(session, **filters)]

    assert titles() == ["done", "first", "second", "late"]
    assert titles(status="open") == ["first", "second", "late"]
    assert titles(status="done") == ["done"]
    assert titles(owner="UPAUL") == ["second"]
    assert titles(committee_id=committee.id) == ["done", "first", "late"]
    assert titles(status="open", owner=OWNER, committee_id=committee.id) == ["first", "late"]
    assert [a.title for a in store.open_actions_for_owner(session, OWNER)] == ["first", "late"]
    assert [a.title for a in store.open_actions_for_committee(session, other.id)] == ["second"]
    assert first.id < second.id


def test_overdue_actions(session, committee):
    due_friday = new_action(session, committee, title="friday")
    new_action(session, committee, title="april", due=date(2027, 4, 1))
    closed = new_action(session, committee, title="closed")
    flows.complete_action(session, action_id=closed.id, actor=OWNER, now=NOW)
    session.commit()
    assert store.overdue_actions(session, today=FRIDAY) == []
    assert [a.id for a in store.overdue_actions(session, today=date(2027, 3, 22))] == [due_friday.id]
    assert [
        a.id for a in store.overdue_actions(session, today=date(2027, 3, 22), committee_id=committee.id)
    ] == [due_friday.id]
    assert store.overdue_actions(session, today=date(2027, 3, 22), committee_id=committee.id + 1) == []


def test_history_is_in_order(session, committee):
    action = new_action(session, committee)
    flows.update_progress(
        session, action_id=action.id, actor=OWNER, status="in_progress", progress=10, now=LATER
    )
    flows.update_progress(
        session,
        action_id=action.id,
        actor=OWNER,
        status="in_progress",
        progress=50,
        now=LATER + timedelta(hours=1),
    )
    assert [c.new for c in store.history(session, action.id)] == [
        "Relancer le plan de renfort",
        "in_progress",
        "10",
        "50",
    ]


# --- users and away ---------------------------------------------------------------------------


def test_upsert_user_keeps_what_is_not_given(session):
    users.upsert_user(session, user_id="U1", tz="Europe/Paris", locale="fr-FR", now=NOW)
    users.upsert_user(session, user_id="U1", deleted=True, now=LATER)
    session.commit()
    user = users.get_user(session, "U1")
    assert (user.tz, user.locale, user.deleted, user.is_admin, user.fetched_at) == (
        "Europe/Paris",
        "fr-FR",
        True,
        False,
        LATER,
    )
    assert users.get_user(session, "UNKNOWN") is None


def test_away_until_and_off(session, committee):
    user = people.set_away(session, user_id=OWNER, until=date(2027, 4, 2), now=NOW, today=TODAY)
    session.commit()
    assert users.get_user(session, OWNER).away_until == date(2027, 4, 2)
    user.unreachable_reported_at = NOW  # the chair was told
    people.set_away(session, user_id=OWNER, until=date(2027, 4, 9), now=LATER, today=TODAY)
    assert user.unreachable_reported_at is None  # a new away period is reported again
    people.clear_away(session, user_id=OWNER, now=LATER)
    session.commit()
    assert users.get_user(session, OWNER).away_until is None


def test_away_until_a_past_date_is_refused(session, committee):
    with pytest.raises(InvalidInput) as raised:
        people.set_away(session, user_id=OWNER, until=date(2027, 3, 16), now=NOW, today=TODAY)
    assert raised.value.field == "until"
    assert users.get_user(session, OWNER) is None


def test_user_today_uses_the_users_then_the_workspaces_zone(session, committee):
    thursday_0630_utc = datetime(2027, 3, 18, 6, 30, tzinfo=UTC)
    users.upsert_user(session, user_id="ULA", tz="America/Los_Angeles", now=NOW)
    assert people.user_today(session, "ULA", thursday_0630_utc) == date(2027, 3, 17)
    assert people.user_today(session, "UNOBODY", thursday_0630_utc) == date(2027, 3, 18)  # Europe/Paris


# --- re-planning ------------------------------------------------------------------------------


def action_rows(session: Session, action_id: int) -> list[tuple[str, datetime]]:
    found = session.exec(select(Notification).where(Notification.action_id == action_id)).all()
    return sorted((row.kind, row.due_at) for row in found)


def test_a_change_replans_the_chase_in_its_own_transaction_and_a_rollback_undoes_both(session, committee):
    action = flows.create_action(
        session,
        title="Relancer",
        owner=OWNER,
        creator=CREATOR,
        due=FRIDAY,
        now=NOW,
        today=TODAY,
        committee_id=committee.id,
    )
    planned = action_rows(session, action.id)  # before any commit: planned with the item
    assert "action_due_soon" in {kind for kind, _ in planned}
    session.commit()

    flows.snooze_action(
        session, action_id=action.id, actor=OWNER, until=date(2027, 3, 26), now=LATER, today=TODAY
    )
    moved = action_rows(session, action.id)
    assert moved != planned  # re-planned with the change, not yet committed
    session.rollback()  # the change and its plan go together

    assert action_rows(session, action.id) == planned
