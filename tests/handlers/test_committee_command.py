"""The /committee command, the meeting buttons and modals, over real signed HTTP against the running app.

The app's clock is Tuesday 16 March 2027, 09:00 in Paris: the production committee (weekly, Tuesdays
10:00) meets in an hour; its last meeting was on 9 March.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.delivery import tick as dispatch
from bot.meetings import state as meetings_state
from bot.slack import ids
from storage.models import (
    ActionItem,
    AgendaItem,
    Committee,
    Decision,
    Meeting,
    Notification,
    WorkspaceSettings,
)
from tests.support.committee import (
    NEXT,
    PARIS,
    button,
    errors_of,
    materialise,
    mention,
    rich_text,
    text_input,
    url_input,
    words,
)
from tests.support.fakeslack import blocks_text
from tests.support.slackapp import (
    ADMIN,
    CHAIR,
    DECK,
    FEED_TOKEN,
    MARIE,
    PAUL,
    PROD,
    SECRETARY,
    STRANGER,
    SlackApp,
    find_element,
)

LAST = datetime(2027, 3, 9, 10, 0, tzinfo=PARIS)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def committee_command(app: SlackApp, text: str, *, user: str = CHAIR, channel: str = PROD):
    response = app.command(text, user=user, channel=channel, command="/committee")
    assert response.status == 200, response.body
    return response


def meetings(app: SlackApp) -> list[Meeting]:
    with Session(app.engine) as session:
        return list(session.exec(select(Meeting).order_by(Meeting.start)))


def rows(app: SlackApp, model: Any) -> list[Any]:
    with Session(app.engine) as session:
        return list(session.exec(select(model)))


def notifications(app: SlackApp, kind: str) -> list[Notification]:
    with Session(app.engine) as session:
        return list(session.exec(select(Notification).where(Notification.kind == kind)))


def settled(app: SlackApp, *users: str) -> None:
    """Wait for the work the app does after its ack (edits, App Homes) so the test ends quiet."""
    for user in users:
        app.home(user)


def require_approval(app: SlackApp) -> None:
    with Session(app.engine) as session:
        committee = session.get(Committee, app.committees["production"])
        committee.minutes_approval = True  # type: ignore[union-attr]
        session.add(committee)
        session.commit()


# --- /committee help, next, calendar ---------------------------------------------------------------


def test_help_lists_every_subcommand(slack_app: SlackApp) -> None:
    committee_command(slack_app, "help")
    text = slack_app.reply_text()
    for name in ("next", "calendar", "agenda", "minutes", "move", "cancel", "help"):
        assert f"/committee {name}" in text


def test_unknown_subcommand_says_what_exists(slack_app: SlackApp) -> None:
    committee_command(slack_app, "prochaine")
    text = slack_app.reply_text()
    assert "/committee prochaine" in text and "/committee next" in text


def test_a_channel_without_committee_is_told_so(slack_app: SlackApp) -> None:
    committee_command(slack_app, "next", channel="C0RANDOM")
    assert "Aucun comité" in slack_app.reply_text()


def test_next_lists_upcoming_meetings_with_date_tokens_and_zone(slack_app: SlackApp) -> None:
    committee_command(slack_app, "next", user=MARIE)
    text = slack_app.reply_text(MARIE)
    assert "Prochaines réunions — Comité de production" in text
    assert f"<!date^{int(NEXT.timestamp())}^" in text
    assert "2027-03-16 10:00, heure de Europe/Paris" in text
    assert "2027-03-23 10:00" in text and "2027-03-30 10:00" in text
    assert meetings(slack_app) == []  # reading materialises nothing


def test_next_in_english_for_an_english_reader(slack_app: SlackApp) -> None:
    committee_command(slack_app, "next", user="U0ANNA")
    assert "Upcoming meetings" in slack_app.reply_text("U0ANNA")


def test_calendar_shows_status_and_deadlines(slack_app: SlackApp) -> None:
    meeting_id = materialise(slack_app, paris(2027, 3, 23, 10, 0), status="cancelled")
    assert meeting_id
    committee_command(slack_app, "calendar")
    text = slack_app.reply().text
    lines = [line for line in text.split("\n") if line.startswith("•")]
    assert len(lines) == 8
    assert "annulée" in lines[1] and "support" not in lines[1]
    # Deck due 2 business days before (Friday 12th, 10:00); minutes 2 business days after (Thursday 18th, 11:00).
    assert f"<!date^{int(paris(2027, 3, 12, 10, 0).timestamp())}^" in lines[0]
    assert f"<!date^{int(paris(2027, 3, 18, 11, 0).timestamp())}^" in lines[0]
    assert ".ics" not in text


def test_calendar_links_the_ics_feed_when_the_public_url_is_known(
    slack_app: SlackApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PUBLIC_URL", "https://bot.example.com/")
    committee_command(slack_app, "calendar")
    assert f"https://bot.example.com/calendar/{FEED_TOKEN}.ics" in slack_app.reply_text()


# --- agenda topics ------------------------------------------------------------------------------


def test_agenda_opens_the_topic_modal_and_a_valid_topic_is_added(slack_app: SlackApp) -> None:
    committee_command(slack_app, "agenda Bilan du renfort", user=MARIE)
    modal = slack_app.modal()
    assert modal["callback_id"] == ids.VIEW_TOPIC
    assert len(modal["title"]["text"]) <= 24
    title_block = next(b for b in modal["blocks"] if b.get("block_id") == ids.BLOCK_TITLE)
    assert title_block["element"]["initial_value"] == "Bilan du renfort"
    response = slack_app.submit(
        modal,
        {
            "title": text_input("Bilan du renfort"),
            "presenter": {"type": "users_select", "selected_user": PAUL},
            "duration": {"type": "number_input", "value": "20"},
            "notes": text_input(None),
            "link": url_input("https://intranet.example/renfort"),
        },
        user=MARIE,
    )
    assert response.status == 200 and not response.body
    (item,) = rows(slack_app, AgendaItem)
    assert (item.title, item.presenter, item.duration, item.proposer) == ("Bilan du renfort", PAUL, 20, MARIE)
    assert "ajouté à l'ordre du jour" in slack_app.reply_text(MARIE)


def test_agenda_prefills_the_topic_as_typed_not_as_slack_escaped_it(slack_app: SlackApp) -> None:
    # Slack sends "Budget & coûts <x> @paul" as below (should_escape: true); the input must not show "&amp;".
    committee_command(slack_app, "agenda Budget &amp; coûts &lt;2027&gt; avec <@U0PAUL|paul>", user=MARIE)
    title_block = next(b for b in slack_app.modal()["blocks"] if b.get("block_id") == ids.BLOCK_TITLE)
    assert title_block["element"]["initial_value"] == "Budget & coûts <2027> avec @paul"


def test_a_topic_typed_longer_than_the_input_allows_is_cut_to_fit_so_slack_opens_the_modal(
    slack_app: SlackApp,
) -> None:
    committee_command(slack_app, "agenda " + "x" * 3100, user=MARIE)
    element = next(b for b in slack_app.modal()["blocks"] if b.get("block_id") == ids.BLOCK_TITLE)["element"]
    assert len(element["initial_value"]) <= element["max_length"] == 3000


def test_an_invalid_topic_shows_field_errors_and_changes_nothing(slack_app: SlackApp) -> None:
    committee_command(slack_app, "agenda", user=MARIE)
    modal = slack_app.modal()
    response = slack_app.submit(
        modal,
        {
            "title": text_input("Point <!channel>"),
            "presenter": {"type": "users_select", "selected_user": None},
            "duration": {"type": "number_input", "value": "500"},
            "notes": text_input(None),
            "link": url_input("intranet"),
        },
        user=MARIE,
    )
    errors = errors_of(response)
    assert set(errors) == {"title", "duration", "link"}
    assert "@channel" in errors["title"] and "240" in errors["duration"]
    assert rows(slack_app, AgendaItem) == []


def test_add_topic_button_opens_the_modal(slack_app: SlackApp) -> None:
    meeting_id = materialise(slack_app)
    button(slack_app, ids.BTN_ADD_TOPIC, meeting_id, user=PAUL)
    modal = slack_app.modal()
    assert modal["callback_id"] == ids.VIEW_TOPIC
    slack_app.submit(modal, {"title": text_input("Absentéisme")}, user=PAUL)
    assert [i.title for i in rows(slack_app, AgendaItem)] == ["Absentéisme"]


def test_add_topic_button_on_a_started_meeting_is_refused(slack_app: SlackApp) -> None:
    meeting_id = materialise(slack_app, LAST)
    button(slack_app, ids.BTN_ADD_TOPIC, meeting_id, user=PAUL)
    assert "déjà commencé" in slack_app.reply_text(PAUL)
    assert slack_app.fake.views == {}


# --- deck -----------------------------------------------------------------------------------------


def test_deck_owner_marks_the_deck_shared(slack_app: SlackApp) -> None:
    meeting_id = materialise(slack_app)
    button(slack_app, ids.BTN_DECK_SHARED, meeting_id, user=DECK)
    modal = slack_app.modal()
    assert modal["callback_id"] == ids.VIEW_DECK
    response = slack_app.submit(modal, {"link": url_input("https://drive.example/deck.pdf")}, user=DECK)
    assert response.status == 200 and not response.body
    (meeting,) = meetings(slack_app)
    assert meeting.deck_shared_at is not None and meeting.deck_link == "https://drive.example/deck.pdf"
    assert "Support marqué comme partagé" in slack_app.reply_text(DECK)
    settled(slack_app, DECK)


def test_deck_button_is_refused_to_someone_else(slack_app: SlackApp) -> None:
    meeting_id = materialise(slack_app)
    button(slack_app, ids.BTN_DECK_SHARED, meeting_id, user=STRANGER)
    assert "responsable du support" in slack_app.reply_text(STRANGER)
    assert slack_app.fake.views == {}
    assert meetings(slack_app)[0].deck_shared_at is None


# --- minutes --------------------------------------------------------------------------------------


def test_minutes_modal_for_the_last_meeting_and_a_valid_submission(slack_app: SlackApp) -> None:
    committee_command(slack_app, "minutes", user=SECRETARY)
    modal = slack_app.modal()
    assert modal["callback_id"] == ids.VIEW_MINUTES
    assert {b.get("block_id") for b in modal["blocks"]} >= {
        "summary",
        "decisions",
        "actions",
        "attendees",
        "link",
    }
    (meeting,) = meetings(slack_app)
    assert meeting.start == LAST
    response = slack_app.submit(
        modal,
        {
            "summary": text_input("KPI de la semaine en hausse."),
            "decisions": text_input("Renfort de 3 conseillers\nNouvelle grille"),
            "actions": rich_text(
                [mention(MARIE), words(" Recruter 3 conseillers by 2027-03-26 !high")],
                [mention(PAUL), words(" Diffuser la grille d'ici vendredi")],
            ),
            "attendees": {"type": "multi_users_select", "selected_users": [MARIE, PAUL]},
            "link": url_input(None),
        },
        user=SECRETARY,
    )
    assert response.status == 200 and not response.body
    assert [d.text for d in rows(slack_app, Decision)] == ["Renfort de 3 conseillers", "Nouvelle grille"]
    actions = sorted(rows(slack_app, ActionItem), key=lambda a: a.id)
    assert [(a.owner, a.title, a.priority, a.creator) for a in actions] == [
        (MARIE, "Recruter 3 conseillers", "high", SECRETARY),
        (PAUL, "Diffuser la grille", "medium", SECRETARY),
    ]
    assert all(a.meeting_id == meeting.id for a in actions)
    assert len(notifications(slack_app, "minutes_posted")) == 1
    reply = slack_app.reply_text(SECRETARY)
    assert "publié" in reply and "A1" in reply
    settled(slack_app, SECRETARY, CHAIR)


def test_an_invalid_action_line_is_shown_under_the_actions_field(slack_app: SlackApp) -> None:
    committee_command(slack_app, "minutes", user=SECRETARY)
    modal = slack_app.modal()
    response = slack_app.submit(
        modal,
        {
            "summary": text_input("KPI."),
            "actions": rich_text(
                [mention(MARIE), words(" Recruter by 2027-03-26")],
                [words("Diffuser la grille d'ici vendredi")],
            ),
        },
        user=SECRETARY,
    )
    errors = errors_of(response)
    assert list(errors) == ["actions"]
    assert "Ligne 2" in errors["actions"] and "@marie" in errors["actions"]
    assert rows(slack_app, ActionItem) == [] and rows(slack_app, Decision) == []
    assert meetings(slack_app)[0].minutes_submitted_at is None


def test_minutes_are_refused_to_a_stranger(slack_app: SlackApp) -> None:
    committee_command(slack_app, "minutes", user=STRANGER)
    assert "secrétaire" in slack_app.reply_text(STRANGER)
    assert slack_app.fake.views == {}


def test_submit_minutes_button_opens_the_prefilled_modal(slack_app: SlackApp) -> None:
    meeting_id = materialise(slack_app, LAST, minutes_text="Brouillon", minutes_attendees=[MARIE])
    button(slack_app, ids.BTN_SUBMIT_MINUTES, meeting_id, user=SECRETARY, channel="D0SEC")
    modal = slack_app.modal()
    summary = next(b for b in modal["blocks"] if b.get("block_id") == "summary")
    attendees = next(b for b in modal["blocks"] if b.get("block_id") == "attendees")
    assert summary["element"]["initial_value"] == "Brouillon"
    assert attendees["element"]["initial_users"] == [MARIE]


def test_chair_approves_minutes_and_a_secretary_cannot(slack_app: SlackApp) -> None:
    require_approval(slack_app)
    meeting_id = materialise(
        slack_app,
        LAST,
        minutes_text="CR",
        minutes_submitted_at=LAST + timedelta(hours=2),
        minutes_submitted_by=SECRETARY,
    )
    button(slack_app, ids.BTN_MINUTES_APPROVE, meeting_id, user=SECRETARY, channel="D0SEC")
    assert "président" in slack_app.reply_text(SECRETARY)
    assert meetings(slack_app)[0].minutes_approved_at is None
    button(slack_app, ids.BTN_MINUTES_APPROVE, meeting_id, user=CHAIR, channel="D0CHAIR")
    assert "approuvé" in slack_app.reply_text(CHAIR)
    assert meetings(slack_app)[0].minutes_approved_at is not None
    assert len(notifications(slack_app, "minutes_posted")) == 1
    settled(slack_app, SECRETARY, CHAIR)


def test_chair_requests_changes_with_a_comment(slack_app: SlackApp) -> None:
    require_approval(slack_app)
    meeting_id = materialise(
        slack_app,
        LAST,
        minutes_text="CR",
        minutes_submitted_at=LAST + timedelta(hours=2),
        minutes_submitted_by=SECRETARY,
    )
    button(slack_app, ids.BTN_MINUTES_CHANGES, meeting_id, user=CHAIR, channel="D0CHAIR")
    modal = slack_app.modal()
    assert modal["callback_id"] == ids.VIEW_MINUTES_CHANGES
    assert "comment" in errors_of(slack_app.submit(modal, {"comment": text_input("   ")}, user=CHAIR))
    assert meetings(slack_app)[0].minutes_submitted_at is not None
    response = slack_app.submit(modal, {"comment": text_input("Ajouter le taux de décroché")}, user=CHAIR)
    assert response.status == 200 and not response.body
    assert meetings(slack_app)[0].minutes_submitted_at is None
    (changes,) = notifications(slack_app, "minutes_changes_requested")
    assert changes.recipient == SECRETARY and changes.data["comment"] == "Ajouter le taux de décroché"
    assert "renvoyé" in slack_app.reply_text(CHAIR)
    settled(slack_app, SECRETARY, CHAIR)


def test_request_changes_button_is_for_the_chair_only(slack_app: SlackApp) -> None:
    require_approval(slack_app)
    meeting_id = materialise(
        slack_app,
        LAST,
        minutes_text="CR",
        minutes_submitted_at=LAST + timedelta(hours=2),
        minutes_submitted_by=SECRETARY,
    )
    button(slack_app, ids.BTN_MINUTES_CHANGES, meeting_id, user=MARIE)
    assert "président" in slack_app.reply_text(MARIE)
    assert slack_app.fake.views == {}


# --- move, cancel ---------------------------------------------------------------------------------


def test_chair_moves_the_next_meeting(slack_app: SlackApp) -> None:
    committee_command(slack_app, "move 2027-03-17 14:00")
    text = slack_app.reply_text()
    assert "déplacée" in text and "Europe/Paris" in text
    (meeting,) = meetings(slack_app)
    assert (meeting.status, meeting.start, meeting.end) == (
        "moved",
        paris(2027, 3, 17, 14, 0),
        paris(2027, 3, 17, 15, 0),
    )
    assert meeting.series_start == NEXT
    assert len(notifications(slack_app, "meeting_moved")) == 1
    settled(slack_app, CHAIR, SECRETARY, DECK)


def test_move_onto_another_meeting_of_the_committee_is_refused(slack_app: SlackApp) -> None:
    committee_command(slack_app, "move 2027-03-23 10:30")  # the 23 March meeting runs 10:00-11:00
    text = slack_app.reply_text()
    assert "déjà une réunion le 2027-03-23 10:00 (Europe/Paris)" in text and "/committee cancel" in text
    assert all(m.status == "scheduled" for m in meetings(slack_app))
    assert notifications(slack_app, "meeting_moved") == []
    committee_command(slack_app, "move 2027-03-23 14:00")  # later that day is free
    assert "déplacée" in slack_app.reply_text(after=1)
    settled(slack_app, CHAIR, SECRETARY, DECK)


def test_move_is_refused_to_a_member(slack_app: SlackApp) -> None:
    committee_command(slack_app, "move 2027-03-17 14:00", user=MARIE)
    assert "président" in slack_app.reply_text(MARIE)
    assert all(m.status == "scheduled" for m in meetings(slack_app))
    assert notifications(slack_app, "meeting_moved") == []


def test_move_with_an_unreadable_time_says_how_to_write_it(slack_app: SlackApp) -> None:
    committee_command(slack_app, "move bientôt")
    assert "/committee move 2027-03-19 14:00" in slack_app.reply_text()
    assert all(m.status == "scheduled" for m in meetings(slack_app))


def test_move_without_a_date_opens_the_move_modal(slack_app: SlackApp) -> None:
    committee_command(slack_app, "move")
    modal = slack_app.modal()
    assert modal["callback_id"] == ids.VIEW_MOVE
    select = next(b for b in modal["blocks"] if b.get("block_id") == ids.BLOCK_MEETING)["element"]
    second = select["options"][1]
    past = slack_app.submit(
        modal,
        {
            "meeting": {"type": "static_select", "selected_option": second},
            "when": {"type": "datepicker", "selected_date": "2027-03-01"},
            "time": {"type": "timepicker", "selected_time": "14:00"},
        },
        user=CHAIR,
    )
    assert "when" in errors_of(past)
    response = slack_app.submit(
        modal,
        {
            "meeting": {"type": "static_select", "selected_option": second},
            "when": {"type": "datepicker", "selected_date": "2027-03-24"},
            "time": {"type": "timepicker", "selected_time": "15:30"},
        },
        user=CHAIR,
    )
    assert response.status == 200 and not response.body
    (meeting,) = meetings(slack_app)
    assert meeting.series_start == paris(2027, 3, 23, 10, 0)
    assert (meeting.status, meeting.start) == ("moved", paris(2027, 3, 24, 15, 30))
    settled(slack_app, CHAIR, SECRETARY, DECK)


def test_chair_cancels_a_meeting_by_date(slack_app: SlackApp) -> None:
    committee_command(slack_app, "cancel 2027-03-23")
    assert "annulée" in slack_app.reply_text()
    (meeting,) = meetings(slack_app)
    assert (meeting.start, meeting.status) == (paris(2027, 3, 23, 10, 0), "cancelled")
    assert len(notifications(slack_app, "meeting_cancelled")) == 1
    settled(slack_app, CHAIR, SECRETARY, DECK)


def test_cancel_is_refused_to_a_member_and_admins_may(slack_app: SlackApp) -> None:
    committee_command(slack_app, "cancel", user=PAUL)
    assert "président" in slack_app.reply_text(PAUL)
    assert notifications(slack_app, "meeting_cancelled") == []
    committee_command(slack_app, "cancel", user=ADMIN)
    assert "annulée" in slack_app.reply_text(ADMIN)
    assert [m.status for m in meetings(slack_app)] == ["cancelled"]
    settled(slack_app, CHAIR, SECRETARY, DECK, ADMIN)


# --- end to end: the dispatcher's messages, their buttons, and the edits --------------------------


def tick(app: SlackApp, now: datetime) -> None:
    client = WebClient(token="xoxb-test", base_url=app.fake.api_url)
    dispatch.tick(app.engine, client, now=now, worker="test", sleep=lambda _s: None)


def test_a_topic_added_from_the_agenda_request_edits_that_message(slack_app: SlackApp) -> None:
    # The agenda request of the 23 March meeting goes out on the 18th at 09:00 (3 business days before).
    tick(slack_app, paris(2027, 3, 18, 9, 0))
    request = next(
        m
        for m in slack_app.fake.messages(PROD)
        if any(e.get("action_id") == ids.BTN_ADD_TOPIC for b in m.blocks for e in b.get("elements", []))
    )
    block, element = find_element(request.blocks, ids.BTN_ADD_TOPIC)
    slack_app.click(block, element, user=PAUL)
    modal = slack_app.modal()
    slack_app.submit(modal, {"title": text_input("Absentéisme & <retards>")}, user=PAUL)
    assert "ajouté" in slack_app.reply_text(PAUL)
    edited = slack_app.wait(lambda: request.edits and request, what="the agenda request edited")
    assert "Absentéisme &amp; &lt;retards&gt;" in blocks_text(edited.blocks)


def test_minutes_submitted_are_posted_by_the_dispatcher(slack_app: SlackApp) -> None:
    committee_command(slack_app, "minutes", user=SECRETARY)
    slack_app.submit(
        slack_app.modal(),
        {"summary": text_input("KPI en hausse."), "decisions": text_input("Renfort validé")},
        user=SECRETARY,
    )
    settled(slack_app, SECRETARY, CHAIR)
    tick(slack_app, paris(2027, 3, 16, 9, 1))
    posted = [m for m in slack_app.fake.messages(PROD) if "minutes_posted" in json.dumps(m.metadata or {})]
    assert len(posted) == 1 and "Renfort validé" in blocks_text(posted[0].blocks)
    with Session(slack_app.engine) as session:
        meeting = session.exec(select(Meeting).where(Meeting.start == LAST)).one()
        committee = session.get(Committee, meeting.committee_id)
        state = meetings_state.minutes_state(
            committee, session.exec(select(WorkspaceSettings)).one(), meeting, paris(2027, 3, 16, 9, 2)
        )  # type: ignore[arg-type]
    assert (state.status, state.holder) == ("posted", None)
