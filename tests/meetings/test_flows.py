"""Flows on one meeting (bot/meetings.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import Session, select

from bot.meetings import flows
from bot.meetings import state as meetings_state
from bot.meetings.input import parse_meeting_time
from bot.text.errors import InvalidInput, NotFound, PermissionDenied
from storage.db import session_scope
from storage.models import (
    ActionItem,
    AgendaItem,
    Decision,
    Meeting,
    SlackUser,
    WorkspaceSettings,
)
from tests.support.meeting_flows import (
    AFTER,
    FIRST,
    NOW,
    get_committee,
    load,
    next_meeting,
    notifications,
    paris,
    submit,
)

# --- resolving meetings ---------------------------------------------------------------------------


def test_next_meeting_is_materialised_once(db) -> None:
    first = next_meeting(db)
    assert next_meeting(db) == first
    (row,) = load(db, Meeting)
    assert row.start == FIRST
    assert row.end == FIRST + timedelta(minutes=90)
    assert row.series_start == FIRST.astimezone(UTC)


def test_next_meeting_skips_a_cancelled_occurrence(db) -> None:
    first = next_meeting(db)
    with session_scope(db) as session:
        flows.cancel_meeting(session, meeting_id=first, actor="U0CHAIR", now=NOW)
    second = next_meeting(db)
    assert second != first
    with Session(db) as session:
        assert session.get(Meeting, second).start == FIRST + timedelta(days=7)


def test_meeting_on_a_given_date(db) -> None:
    with session_scope(db) as session:
        meeting = meetings_state.resolve_meeting(
            session, committee=get_committee(session, "production"), when=date(2027, 1, 19), now=NOW
        )
        assert meeting.start == paris(2027, 1, 19, 10, 0)


def test_no_meeting_on_a_date_names_the_next_ones(db) -> None:
    with session_scope(db) as session, pytest.raises(NotFound) as error:
        meetings_state.resolve_meeting(
            session, committee=get_committee(session, "production"), when=date(2027, 1, 6), now=NOW
        )
    assert "2027-01-05 10:00" in error.value.message
    assert load(db, Meeting) == []


def test_minutes_meeting_is_the_latest_past_one_without_minutes(db) -> None:
    later = paris(2027, 1, 13, 9, 0)  # after the meetings of the 5th and the 12th
    with session_scope(db) as session:
        meeting = meetings_state.minutes_meeting(
            session, committee=get_committee(session, "production"), now=later
        )
        assert meeting.start == paris(2027, 1, 12, 10, 0)
        meeting.minutes_submitted_at = later
    with session_scope(db) as session:
        meeting = meetings_state.minutes_meeting(
            session, committee=get_committee(session, "production"), now=later
        )
        assert meeting.start == FIRST


# --- agenda topics --------------------------------------------------------------------------------


def test_topic_is_added_and_the_meeting_replanned(db, replans) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        flows.add_topic(
            session,
            meeting_id=meeting_id,
            title="  Plan de   renfort ",
            presenter="<@U0BOB|bob>",
            duration="20",
            notes="Chiffres de décembre",
            link="https://intranet.example/plan",
            proposer="U0ANN",
            now=NOW,
        )
    (item,) = load(db, AgendaItem)
    assert (item.title, item.presenter, item.duration, item.proposer) == (
        "Plan de renfort",
        "U0BOB",
        20,
        "U0ANN",
    )
    assert item.link == "https://intranet.example/plan"
    assert replans == [meeting_id]


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        ({"title": "   "}, "title", "titre"),
        ({"title": "x" * 3001}, "title", "3001"),
        ({"title": "Point <!channel>"}, "title", "@channel"),
        ({"title": "Point @here"}, "title", "@here"),
        ({"duration": 0}, "duration", "1 à 240"),
        ({"duration": "241"}, "duration", "1 à 240"),
        ({"duration": "vingt"}, "duration", "vingt"),
        ({"link": "intranet/plan"}, "link", "https://"),
        ({"presenter": "bob"}, "presenter", "@marie"),
    ],
)
def test_bad_topic_is_refused_and_changes_nothing(db, replans, fields, field, says) -> None:
    meeting_id = next_meeting(db)
    values = {"title": "Plan de renfort", "duration": None, "link": None, "presenter": None, **fields}
    with session_scope(db) as session, pytest.raises(InvalidInput) as error:
        flows.add_topic(session, meeting_id=meeting_id, proposer="U0ANN", now=NOW, notes=None, **values)
    assert field in error.value.fields
    assert says in error.value.fields[field]
    assert load(db, AgendaItem) == []
    assert replans == []


def test_every_bad_topic_field_is_reported_at_once(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session, pytest.raises(InvalidInput) as error:
        flows.add_topic(
            session, meeting_id=meeting_id, title="", duration=500, link="nope", proposer="U0ANN", now=NOW
        )
    assert set(error.value.fields) == {"title", "duration", "link"}
    assert "Give the topic a title" in error.value.fields_in_locale("en")["title"]


def test_topic_refused_once_the_meeting_has_started(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session, pytest.raises(InvalidInput, match="déjà commencé"):
        flows.add_topic(session, meeting_id=meeting_id, title="Trop tard", proposer="U0ANN", now=FIRST)
    assert load(db, AgendaItem) == []


def test_topic_refused_for_a_cancelled_meeting(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        flows.cancel_meeting(session, meeting_id=meeting_id, actor="U0CHAIR", now=NOW)
    with session_scope(db) as session, pytest.raises(InvalidInput, match="annulée"):
        flows.add_topic(session, meeting_id=meeting_id, title="Point", proposer="U0ANN", now=NOW)
    assert load(db, AgendaItem) == []


def test_unknown_meeting_is_not_found(db) -> None:
    with session_scope(db) as session, pytest.raises(NotFound):
        flows.add_topic(session, meeting_id=999, title="Point", proposer="U0ANN", now=NOW)


def test_agenda_lists_sections_action_review_and_topics(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        production = get_committee(session, "production")
        pilotage = get_committee(session, "pilotage")
        for title, due, committee_id, status in [
            ("Relancer le prestataire", date(2026, 12, 20), production.id, "open"),
            ("Mettre à jour le tableau", date(2027, 1, 20), production.id, "in_progress"),
            ("Déjà fait", date(2026, 12, 1), production.id, "done"),
            ("Autre comité", date(2026, 12, 1), pilotage.id, "open"),
        ]:
            session.add(
                ActionItem(
                    title=title,
                    owner="U0BOB",
                    creator="U0ANN",
                    due=due,
                    status=status,
                    committee_id=committee_id,
                )
            )
        flows.add_topic(
            session, meeting_id=meeting_id, title="Premier", duration=15, proposer="U0ANN", now=NOW
        )
        flows.add_topic(
            session, meeting_id=meeting_id, title="Second", presenter="U0BOB", proposer="U0BOB", now=NOW
        )
    with Session(db) as session:
        agenda = meetings_state.agenda(session, meeting_id=meeting_id, now=NOW)
    assert agenda.sections[-1] == agenda.action_review == "Revue des actions"
    assert len(agenda.sections) > 1
    assert [(a.title, a.overdue) for a in agenda.actions] == [
        ("Relancer le prestataire", True),
        ("Mettre à jour le tableau", False),
    ]
    assert [t.title for t in agenda.topics] == ["Premier", "Second"]
    assert agenda.topics_minutes == 15
    assert agenda.start == FIRST and agenda.start.tzinfo is not None
    # deck due 2 business days before, at the meeting's time (Friday 1 January is a holiday in France).
    assert agenda.deck_due == paris(2026, 12, 31, 10, 0)


def test_agenda_in_english_for_an_english_committee(db) -> None:
    meeting_id = next_meeting(db, "pilotage")
    with Session(db) as session:
        agenda = meetings_state.agenda(session, meeting_id=meeting_id)
    assert agenda.action_review == "Action review"
    assert agenda.locale == "en"


# --- deck -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["U0DECK", "U0CHAIR", "U0ADMIN", "U0SLACKADMIN"])
def test_deck_owner_chair_or_admin_mark_the_deck_shared(db, replans, actor) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        flows.mark_deck_shared(
            session, meeting_id=meeting_id, link="https://drive.example/deck", actor=actor, now=NOW
        )
    (meeting,) = load(db, Meeting)
    assert meeting.deck_shared_at == NOW and meeting.deck_link == "https://drive.example/deck"
    assert replans == [meeting_id]


def test_deck_shared_again_keeps_the_first_time(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        flows.mark_deck_shared(session, meeting_id=meeting_id, link=None, actor="U0DECK", now=NOW)
    with session_scope(db) as session:
        flows.mark_deck_shared(
            session,
            meeting_id=meeting_id,
            link="https://drive.example/v2",
            actor="U0DECK",
            now=NOW + timedelta(hours=3),
        )
    (meeting,) = load(db, Meeting)
    assert meeting.deck_shared_at == NOW and meeting.deck_link == "https://drive.example/v2"


def test_someone_else_cannot_mark_the_deck_shared(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session, pytest.raises(PermissionDenied) as error:
        flows.mark_deck_shared(session, meeting_id=meeting_id, link=None, actor="U0BOB", now=NOW)
    assert "U0DECK" in error.value.message
    assert "deck owner" in error.value.in_locale("en")
    assert load(db, Meeting)[0].deck_shared_at is None


def test_deck_link_must_be_a_link(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session, pytest.raises(InvalidInput) as error:
        flows.mark_deck_shared(session, meeting_id=meeting_id, link="le drive", actor="U0DECK", now=NOW)
    assert error.value.field == "link"
    assert load(db, Meeting)[0].deck_shared_at is None


# --- minutes --------------------------------------------------------------------------------------


def test_minutes_without_approval_are_posted_at_once(db, replans) -> None:
    meeting_id = next_meeting(db)
    result = submit(db, meeting_id)
    assert result.awaiting_approval is False
    assert result.decisions == ["Renfort de 3 conseillers", "Nouvelle grille qualité"]
    assert [d.text for d in load(db, Decision)] == result.decisions
    actions = load(db, ActionItem)
    assert [a.public_id for a in actions] == result.actions
    assert [(a.owner, a.title, a.due, a.priority) for a in actions] == [
        ("U0BOB", "Recruter 3 conseillers", date(2027, 1, 29), "high"),
        ("U0ANN", "Diffuser la grille", date(2027, 1, 15), "medium"),
    ]
    assert all(
        a.committee_id is not None and a.meeting_id == meeting_id and a.creator == "U0SEC" for a in actions
    )
    (meeting,) = load(db, Meeting)
    assert meeting.minutes_submitted_at == AFTER and meeting.minutes_submitted_by == "U0SEC"
    assert meeting.minutes_text == "Point sur les KPI de décembre."
    assert meeting.minutes_attendees == ["U0BOB", "U0ANN"]
    assert meeting.minutes_link == "https://drive.example/cr"
    assert meeting.status == "held"
    (posted,) = notifications(db, "minutes_posted")
    assert (posted.recipient, posted.due_at, posted.meeting_id) == ("C0PROD", AFTER, meeting_id)
    assert posted.key == "m:production:20270105T0900Z:minutes_posted:1"
    assert notifications(db, "minutes_approval") == []
    assert replans[-1] == meeting_id


def test_an_invalid_action_line_names_its_line_and_changes_nothing(db, replans) -> None:
    meeting_id = next_meeting(db)
    lines = [
        "<@U0BOB> Recruter by 2027-01-29",
        "Diffuser la grille d'ici vendredi",
        "<@U0ANN> Relancer by 31/02/2027",
    ]
    with pytest.raises(InvalidInput) as error:
        submit(db, meeting_id, action_lines=lines)
    message = error.value.fields.get("actions", error.value.message)
    assert "Ligne 2" in error.value.message and "responsable" in error.value.message
    assert "Ligne 3" in error.value.message
    assert "`@marie Relancer le plan de renfort d'ici le 2027-03-19`" in message
    assert "Line 2" in error.value.in_locale("en")
    assert load(db, Decision) == [] and load(db, ActionItem) == []
    (meeting,) = load(db, Meeting)
    assert meeting.minutes_submitted_at is None and meeting.minutes_text is None
    assert notifications(db, "minutes_posted") == []


def test_an_action_line_for_a_deactivated_owner_changes_nothing(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        session.add(SlackUser(user_id="U0GONE", deleted=True))
    with pytest.raises(InvalidInput, match="Ligne 1"):
        submit(db, meeting_id, action_lines=["<@U0GONE> Recruter by 2027-01-29"])
    assert load(db, Decision) == [] and load(db, ActionItem) == []
    assert load(db, Meeting)[0].minutes_submitted_at is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"summary": "  "}, "summary"),
        ({"link": "drive"}, "link"),
        ({"attendees": ["bob"]}, "attendees"),
        ({"decisions": ["@channel oui"]}, "decisions"),
    ],
)
def test_bad_minutes_fields_change_nothing(db, overrides, field) -> None:
    meeting_id = next_meeting(db)
    with pytest.raises(InvalidInput) as error:
        submit(db, meeting_id, **overrides)
    assert field in error.value.fields
    assert load(db, Decision) == [] and load(db, ActionItem) == []


def test_minutes_refused_before_the_meeting(db) -> None:
    meeting_id = next_meeting(db)
    with pytest.raises(InvalidInput, match="pas encore eu lieu"):
        submit(db, meeting_id, now=NOW)


def test_only_secretary_chair_or_admin_submit_minutes(db) -> None:
    meeting_id = next_meeting(db)
    with pytest.raises(PermissionDenied, match="U0SEC"):
        submit(db, meeting_id, actor="U0BOB")
    submit(db, meeting_id, actor="U0ADMIN")


def test_minutes_are_not_submitted_twice(db) -> None:
    meeting_id = next_meeting(db)
    submit(db, meeting_id)
    with pytest.raises(InvalidInput, match="déjà publié"):
        submit(db, meeting_id)
    assert len(load(db, ActionItem)) == 2


def test_minutes_wait_for_the_chair_when_approval_is_required(db) -> None:
    meeting_id = next_meeting(db, "pilotage")
    after = paris(2027, 1, 7, 16, 0)
    result = submit(db, meeting_id, now=after, action_lines=[])
    assert result.awaiting_approval is True
    (approval,) = notifications(db, "minutes_approval")
    assert (approval.recipient, approval.due_at) == ("U0CHAIR", after)
    assert approval.key == "m:pilotage:20270107T1300Z:minutes_approval:1"
    assert notifications(db, "minutes_posted") == []
    with Session(db) as session:
        meeting = session.get(Meeting, meeting_id)
        committee = get_committee(session, "pilotage")
        state = meetings_state.minutes_state(
            committee, session.exec(select(WorkspaceSettings)).one(), meeting, after
        )
    assert (state.status, state.holder) == ("awaiting_approval", "U0CHAIR")


def test_chair_approves_and_the_minutes_are_posted(db) -> None:
    meeting_id = next_meeting(db, "pilotage")
    after = paris(2027, 1, 7, 16, 0)
    submit(db, meeting_id, now=after, action_lines=[])
    with session_scope(db) as session, pytest.raises(PermissionDenied, match="U0CHAIR"):
        flows.approve_minutes(session, meeting_id=meeting_id, actor="U0SEC", now=after)
    with session_scope(db) as session:
        flows.approve_minutes(session, meeting_id=meeting_id, actor="U0CHAIR", now=after + timedelta(hours=1))
    (meeting,) = load(db, Meeting)
    assert meeting.minutes_approved_at == after + timedelta(hours=1)
    (posted,) = notifications(db, "minutes_posted")
    assert posted.recipient == "C0PIL" and posted.data["approved_by"] == "U0CHAIR"
    with session_scope(db) as session, pytest.raises(InvalidInput):
        flows.approve_minutes(session, meeting_id=meeting_id, actor="U0CHAIR", now=after + timedelta(hours=2))
    assert len(notifications(db, "minutes_posted")) == 1


def test_changes_requested_send_the_minutes_back_to_the_secretary(db) -> None:
    meeting_id = next_meeting(db, "pilotage")
    after = paris(2027, 1, 7, 16, 0)
    submit(db, meeting_id, now=after, action_lines=[], decisions=["Première version"])
    with session_scope(db) as session:
        with pytest.raises(InvalidInput) as error:
            flows.request_minutes_changes(
                session, meeting_id=meeting_id, comment="  ", actor="U0CHAIR", now=after
            )
        assert error.value.field == "comment"
    with session_scope(db) as session:
        flows.request_minutes_changes(
            session, meeting_id=meeting_id, comment="Ajouter le NPS", actor="U0CHAIR", now=after
        )
    (meeting,) = load(db, Meeting)
    assert meeting.minutes_submitted_at is None and meeting.minutes_text  # kept to pre-fill the form
    (changes,) = notifications(db, "minutes_changes_requested")
    assert changes.recipient == "U0SEC" and changes.data["comment"] == "Ajouter le NPS"
    # Submitted again: decisions replaced, a second approval request.
    submit(db, meeting_id, now=after + timedelta(hours=1), action_lines=[], decisions=["Version corrigée"])
    assert [d.text for d in load(db, Decision)] == ["Version corrigée"]
    assert sorted(n.key.rsplit(":", 1)[1] for n in notifications(db, "minutes_approval")) == ["1", "2"]


def test_request_changes_is_for_the_chair_only(db) -> None:
    meeting_id = next_meeting(db, "pilotage")
    submit(db, meeting_id, now=paris(2027, 1, 7, 16, 0), action_lines=[])
    with session_scope(db) as session, pytest.raises(PermissionDenied):
        flows.request_minutes_changes(
            session, meeting_id=meeting_id, comment="Non", actor="U0SEC", now=paris(2027, 1, 7, 17, 0)
        )
    assert load(db, Meeting)[0].minutes_submitted_at is not None


@pytest.mark.parametrize(
    ("now", "submitted", "approved", "posted", "approval", "status"),
    [
        (paris(2027, 1, 5, 11, 0), False, False, False, False, "not_due"),
        (paris(2027, 1, 5, 11, 30), False, False, False, False, "due"),
        (paris(2027, 1, 7, 11, 29), False, False, False, False, "due"),
        (paris(2027, 1, 7, 11, 30), False, False, False, False, "late"),
        (paris(2027, 1, 7, 11, 30), True, False, False, True, "awaiting_approval"),
        (paris(2027, 1, 7, 11, 30), True, False, False, False, "submitted"),
        (paris(2027, 1, 7, 11, 30), True, True, False, True, "submitted"),
        (paris(2027, 1, 7, 11, 30), True, True, True, True, "posted"),
    ],
)
def test_minutes_status(now, submitted, approved, posted, approval, status) -> None:
    meeting = Meeting(
        committee_id=1,
        series_start=FIRST,
        start=FIRST,
        end=FIRST + timedelta(minutes=90),
        minutes_submitted_at=FIRST if submitted else None,
        minutes_approved_at=FIRST if approved else None,
        minutes_posted_at=FIRST if posted else None,
    )
    assert (
        meetings_state.minutes_status(meeting, now, due=paris(2027, 1, 7, 11, 30), approval=approval)
        == status
    )


def test_a_cancelled_meeting_owes_no_minutes(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        flows.cancel_meeting(session, meeting_id=meeting_id, actor="U0CHAIR", now=NOW)
    with Session(db) as session:
        meeting = session.get(Meeting, meeting_id)
        state = meetings_state.minutes_state(
            get_committee(session, "production"),
            session.exec(select(WorkspaceSettings)).one(),
            meeting,
            AFTER + timedelta(days=5),
        )
    assert (state.status, state.holder) == ("cancelled", None)


def test_minutes_state_holder_and_due(db) -> None:
    meeting_id = next_meeting(db)
    with Session(db) as session:
        meeting = session.get(Meeting, meeting_id)
        state = meetings_state.minutes_state(
            get_committee(session, "production"),
            session.exec(select(WorkspaceSettings)).one(),
            meeting,
            AFTER,
        )
    assert (state.status, state.holder, state.requires_approval) == ("due", "U0SEC", False)
    assert state.due == paris(2027, 1, 7, 11, 30)


# --- move, cancel ---------------------------------------------------------------------------------


def test_chair_moves_one_occurrence(db, replans) -> None:
    meeting_id = next_meeting(db)
    new_start = paris(2027, 1, 6, 14, 0)
    with session_scope(db) as session:
        flows.move_meeting(session, meeting_id=meeting_id, new_start=new_start, actor="U0CHAIR", now=NOW)
    (meeting,) = load(db, Meeting)
    assert (meeting.status, meeting.start, meeting.end) == (
        "moved",
        new_start,
        new_start + timedelta(minutes=90),
    )
    assert meeting.series_start == FIRST.astimezone(UTC)
    (notice,) = notifications(db, "meeting_moved")
    assert notice.recipient == "C0PROD" and notice.due_at == NOW
    assert notice.data["original_start"] == FIRST.astimezone(UTC).isoformat()
    assert replans == [meeting_id]
    # The series is untouched: the next occurrence is the Tuesday after, at the usual time.
    with Session(db) as session:
        upcoming = meetings_state.upcoming_occurrences(
            session, committee=get_committee(session, "production"), now=NOW, limit=2
        )
    assert [o.start for o in upcoming] == [new_start, paris(2027, 1, 12, 10, 0)]


def test_moved_twice_keeps_one_notice_that_names_the_original_slot(db) -> None:
    meeting_id = next_meeting(db)
    for day in (6, 7):
        with session_scope(db) as session:
            flows.move_meeting(
                session, meeting_id=meeting_id, new_start=paris(2027, 1, day, 14, 0), actor="U0CHAIR", now=NOW
            )
    (notice,) = notifications(db, "meeting_moved")
    assert notice.data["original_start"] == FIRST.astimezone(UTC).isoformat()
    assert notice.data["start"] == paris(2027, 1, 7, 14, 0).astimezone(UTC).isoformat()


def test_moving_back_to_the_original_slot_makes_it_scheduled_again(db) -> None:
    meeting_id = next_meeting(db)
    for new_start in (paris(2027, 1, 6, 14, 0), FIRST):
        with session_scope(db) as session:
            flows.move_meeting(session, meeting_id=meeting_id, new_start=new_start, actor="U0CHAIR", now=NOW)
    (meeting,) = load(db, Meeting)
    assert (meeting.status, meeting.start) == ("scheduled", FIRST)


@pytest.mark.parametrize("new_start", [paris(2026, 12, 31, 10, 0), FIRST])
def test_move_to_the_past_or_the_same_time_is_refused(db, new_start) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session, pytest.raises(InvalidInput) as error:
        flows.move_meeting(session, meeting_id=meeting_id, new_start=new_start, actor="U0CHAIR", now=NOW)
    assert error.value.field == "when"
    assert load(db, Meeting)[0].status == "scheduled"
    assert notifications(db, "meeting_moved") == []


@pytest.mark.parametrize("flow", ["move", "cancel"])
def test_only_the_chair_moves_or_cancels(db, replans, flow) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session, pytest.raises(PermissionDenied) as error:
        if flow == "move":
            flows.move_meeting(
                session, meeting_id=meeting_id, new_start=paris(2027, 1, 6, 14, 0), actor="U0SEC", now=NOW
            )
        else:
            flows.cancel_meeting(session, meeting_id=meeting_id, actor="U0SEC", now=NOW)
    assert "U0CHAIR" in error.value.message
    assert load(db, Meeting)[0].status == "scheduled"
    assert replans == []


def test_admin_cancels_a_meeting(db, replans) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        flows.cancel_meeting(session, meeting_id=meeting_id, actor="U0ADMIN", now=NOW, reason="Jour de grève")
    (meeting,) = load(db, Meeting)
    assert meeting.status == "cancelled"
    (notice,) = notifications(db, "meeting_cancelled")
    assert notice.recipient == "C0PROD" and notice.data["reason"] == "Jour de grève"
    assert replans == [meeting_id]
    with session_scope(db) as session, pytest.raises(InvalidInput, match="déjà annulée"):
        flows.cancel_meeting(session, meeting_id=meeting_id, actor="U0CHAIR", now=NOW)


def test_a_started_meeting_cannot_be_moved_or_cancelled(db) -> None:
    meeting_id = next_meeting(db)
    with session_scope(db) as session:
        with pytest.raises(InvalidInput, match="déjà commencé"):
            flows.cancel_meeting(
                session, meeting_id=meeting_id, actor="U0CHAIR", now=FIRST + timedelta(minutes=5)
            )
        with pytest.raises(InvalidInput, match="déjà commencé"):
            flows.move_meeting(
                session, meeting_id=meeting_id, new_start=paris(2027, 1, 8, 10, 0), actor="U0CHAIR", now=FIRST
            )


# --- typing a meeting time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-19 14:00", paris(2027, 1, 19, 14, 0)),
        ("19/01 9h30", paris(2027, 1, 19, 9, 30)),
        ("mardi à 14h", paris(2027, 1, 5, 14, 0)),
        ("friday 2pm", paris(2027, 1, 8, 14, 0)),
        ("2027-01-19", paris(2027, 1, 19, 10, 0)),
    ],
)
def test_parse_meeting_time(text: str, expected: datetime) -> None:
    assert parse_meeting_time(text, now=NOW, tz="Europe/Paris", default_time=time(10, 0)) == expected


@pytest.mark.parametrize("text", ["", "14:00", "bientôt", "2027-01-19 25:00"])
def test_parse_meeting_time_says_how_to_write_it(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_meeting_time(text, now=NOW, tz="Europe/Paris", default_time=time(10, 0))
    assert error.value.field == "when"
