"""Moving, cancelling and restoring one occurrence, over real signed HTTP against the running app
(issue 9: "Meetings survive every change a committee makes").

The app's clock is Tuesday 16 March 2027, 09:00 in Paris: the production committee (weekly, Tuesdays
10:00) meets in an hour, then on 23 and 30 March.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.delivery import tick as dispatch
from bot.slack import ids
from storage.models import Meeting, Notification
from tests.support.fakeslack import Message, blocks_text
from tests.support.slackapp import (
    ADMIN,
    CHAIR,
    DECK,
    MARIE,
    PROD,
    SECRETARY,
    SlackApp,
    find_element,
)

PARIS = ZoneInfo("Europe/Paris")


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def epoch(moment: datetime) -> str:
    """How a Slack date token names ``moment`` (``<!date^EPOCH^…>``)."""
    return f"<!date^{int(moment.timestamp())}^"


def committee(app: SlackApp, text: str, *, user: str = CHAIR, channel: str = PROD) -> None:
    response = app.command(text, user=user, channel=channel, command="/committee")
    assert response.status == 200, response.body


def tick(app: SlackApp, now: datetime) -> None:
    client = WebClient(token="xoxb-test", base_url=app.fake.api_url)
    dispatch.tick(app.engine, client, now=now, worker="test", sleep=lambda _s: None)


def meeting_at(app: SlackApp, series_start: datetime) -> Meeting:
    with Session(app.engine) as session:
        return session.exec(select(Meeting).where(Meeting.series_start == series_start)).one()


def rows_of(app: SlackApp, meeting_id: int, kind: str) -> list[Notification]:
    with Session(app.engine) as session:
        return list(
            session.exec(
                select(Notification).where(Notification.meeting_id == meeting_id, Notification.kind == kind)
            )
        )


def posted(app: SlackApp, kind: str, channel: str = PROD) -> list[Message]:
    return [m for m in app.fake.messages(channel) if f":{kind}" in json.dumps(m.metadata or {})]


def settled(app: SlackApp, *users: str) -> None:
    """Wait for the work the app does after its ack (edits, App Homes) so that the test ends quiet."""
    for user in users:
        app.home(user)


def wait_edited(app: SlackApp, message: Message, count: int = 1) -> Message:
    return app.wait(lambda: len(message.edits) >= count and message, what="the message edited")


def click(app: SlackApp, message: Message, action_id: str, *, user: str = CHAIR) -> Any:
    block, element = find_element(message.blocks, action_id)
    response = app.click(block, element, user=user, channel=message.channel if message.channel else PROD)
    assert response.status == 200, response.body
    return response


# --- "Why", bullet 1: moving a meeting twice ------------------------------------------------------


def test_a_meeting_moved_twice_still_reminds_the_deck_owner_and_asks_for_topics(slack_app: SlackApp) -> None:
    """`/committee move demain 15h`, then `/committee move 24/03 14:00`: the agenda request and the
    deck reminder skipped for the intermediate slot (its deck deadline had passed) go out for the
    final one; the agenda already posted is edited (not "deck missing": the deck is not due yet); one
    move notice, edited, shows the slot as originally scheduled."""
    tick(slack_app, paris(2027, 3, 16, 8, 0))  # the first plan
    committee(slack_app, "move demain 15h")
    assert "déplacée" in slack_app.reply_text()
    meeting = meeting_at(slack_app, paris(2027, 3, 16, 10, 0))
    assert meeting.start == paris(2027, 3, 17, 15, 0)
    settled(slack_app, CHAIR, SECRETARY, DECK)
    tick(slack_app, paris(2027, 3, 16, 9, 1))
    (notice,) = posted(slack_app, "meeting_moved")
    (agenda,) = [
        m
        for m in posted(slack_app, "agenda_published")
        if epoch(paris(2027, 3, 17, 15, 0)) in m.text + blocks_text(m.blocks)
    ]

    committee(slack_app, "move 24/03 14:00")
    assert "déplacée" in slack_app.reply_text(after=1)
    meeting = meeting_at(slack_app, paris(2027, 3, 16, 10, 0))
    assert meeting.start == paris(2027, 3, 24, 14, 0)

    # One move notice, edited: the originally scheduled slot (16/03 10:00) and the new one.
    assert len(rows_of(slack_app, meeting.id, "meeting_moved")) == 1
    edited = slack_app.wait(
        lambda: epoch(paris(2027, 3, 24, 14, 0)) in blocks_text(notice.blocks) and notice,
        what="move notice edited",
    )
    text = blocks_text(edited.blocks)
    assert epoch(paris(2027, 3, 16, 10, 0)) in text and "2027-03-16 10:00" in text
    assert epoch(paris(2027, 3, 17, 15, 0)) not in text
    # The agenda posted for the intermediate slot now shows the new one, and the deck as due.
    slack_app.wait(
        lambda: epoch(paris(2027, 3, 24, 14, 0)) in blocks_text(agenda.blocks), what="agenda edited"
    )
    assert "manquant" not in blocks_text(agenda.blocks) and "attendu" in blocks_text(agenda.blocks)

    # Agenda request and deck reminder: pending at their instants for the new slot (3 and 2+1
    # business days before Wednesday 24 March), as `plan` lists them.
    for kind in ("agenda_request", "deck_reminder"):
        (row,) = rows_of(slack_app, meeting.id, kind)
        assert (row.state, row.due_at) == ("pending", paris(2027, 3, 19, 9, 0)), (kind, row.state, row.error)
    settled(slack_app, CHAIR, SECRETARY, DECK)

    tick(slack_app, paris(2027, 3, 19, 9, 0))
    reminder = slack_app.wait(lambda: posted(slack_app, "deck_reminder", DECK), what="deck reminder")
    find_element(reminder[0].blocks, ids.BTN_DECK_SHARED)
    assert posted(slack_app, "agenda_request") and posted(slack_app, "meeting_moved") == [notice]


# --- "Why", bullet 2: cancel asks, can be undone, and never acts on another occurrence ------------


def reply_blocks(app: SlackApp, user: str = CHAIR, *, after: int = 0) -> Message:
    return app.reply(user, after=after)


def buttons(message: Message) -> list[dict[str, Any]]:
    return [e for b in message.blocks for e in b.get("elements", []) if e.get("type") == "button"]


def press(app: SlackApp, element: dict[str, Any], *, user: str = CHAIR, channel: str = PROD) -> None:
    response = app.click({"block_id": "x"}, element, user=user, channel=channel)
    assert response.status == 200, response.body


def status_at(app: SlackApp, series_start: datetime) -> tuple[str, datetime] | None:
    with Session(app.engine) as session:
        row = session.exec(select(Meeting).where(Meeting.series_start == series_start)).first()
        return (row.status, row.start) if row else None


def test_cancel_asks_for_confirmation_naming_the_occurrence(slack_app: SlackApp) -> None:
    committee(slack_app, "cancel 23/03")
    question = reply_blocks(slack_app)
    confirm, keep = buttons(question)
    assert "2027-03-23 10:00" in confirm["text"]["text"] and confirm["style"] == "danger"
    assert epoch(paris(2027, 3, 23, 10, 0)) in blocks_text(question.blocks)
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0)) in (None, ("scheduled", paris(2027, 3, 23, 10, 0)))
    press(slack_app, keep)
    assert "Rien n'a changé" in slack_app.reply_text(after=1)
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0)) in (None, ("scheduled", paris(2027, 3, 23, 10, 0)))
    press(slack_app, confirm)
    assert "est annulée" in slack_app.reply_text(
        after=2
    ) and "/committee restore 23/03" in slack_app.reply_text(after=2)
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0)) == ("cancelled", paris(2027, 3, 23, 10, 0))
    assert status_at(slack_app, paris(2027, 3, 16, 10, 0)) in (None, ("scheduled", paris(2027, 3, 16, 10, 0)))
    settled(slack_app, CHAIR, SECRETARY, DECK)


def cancel_23(app: SlackApp) -> None:
    committee(app, "cancel 23/03")
    confirm, _keep = buttons(reply_blocks(app))
    press(app, confirm)
    app.wait(lambda: status_at(app, paris(2027, 3, 23, 10, 0)) == ("cancelled", paris(2027, 3, 23, 10, 0)))
    settled(app, CHAIR, SECRETARY, DECK)


def test_restore_by_command_replans_the_meeting_and_edits_the_cancellation_notice(
    slack_app: SlackApp,
) -> None:
    tick(slack_app, paris(2027, 3, 16, 8, 0))  # planned: the 23 March agenda request goes out on the 18th
    cancel_23(slack_app)
    meeting = meeting_at(slack_app, paris(2027, 3, 23, 10, 0))
    (request,) = rows_of(slack_app, meeting.id, "agenda_request")
    assert request.state == "skipped"
    tick(slack_app, paris(2027, 3, 16, 9, 1))
    (notice,) = posted(slack_app, "meeting_cancelled")
    find_element(notice.blocks, ids.BTN_MEETING_RESTORE)

    committee(slack_app, "restore 23/03")
    assert "rétablie" in slack_app.reply_text(after=2)
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0)) == ("scheduled", paris(2027, 3, 23, 10, 0))
    (request,) = rows_of(slack_app, meeting.id, "agenda_request")
    assert (request.state, request.due_at) == ("pending", paris(2027, 3, 18, 9, 0))
    edited = wait_edited(slack_app, notice)
    assert "Annulation levée" in blocks_text(edited.blocks)
    assert not buttons(edited)
    settled(slack_app, CHAIR, SECRETARY, DECK)
    tick(slack_app, paris(2027, 3, 18, 9, 0))
    assert [m for m in posted(slack_app, "agenda_request") if epoch(paris(2027, 3, 23, 10, 0)) in m.text]


def test_restore_button_on_the_cancellation_notice_is_for_the_chair(slack_app: SlackApp) -> None:
    cancel_23(slack_app)
    tick(slack_app, paris(2027, 3, 16, 9, 1))
    (notice,) = posted(slack_app, "meeting_cancelled")
    _block, restore = find_element(notice.blocks, ids.BTN_MEETING_RESTORE)
    press(slack_app, restore, user=MARIE)
    assert "président" in slack_app.reply_text(MARIE)
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0))[0] == "cancelled"  # type: ignore[index]
    press(slack_app, restore)
    slack_app.wait(lambda: status_at(slack_app, paris(2027, 3, 23, 10, 0))[0] == "scheduled")  # type: ignore[index]
    assert "Annulation levée" in blocks_text(wait_edited(slack_app, notice).blocks)
    settled(slack_app, CHAIR, SECRETARY, DECK)


def test_moving_onto_a_cancelled_date_asks_instead_of_moving_the_next_meeting(slack_app: SlackApp) -> None:
    """ "Moving back to the cancelled date moved the next meeting instead, and January's meeting was gone"."""
    cancel_23(slack_app)
    committee(slack_app, "move 23/03 10:00")
    question = reply_blocks(slack_app, after=2)
    restore, move, _keep = buttons(question)
    assert "2027-03-23 10:00" in restore["text"]["text"] and "2027-03-16 10:00" in move["text"]["text"]
    assert status_at(slack_app, paris(2027, 3, 16, 10, 0)) in (None, ("scheduled", paris(2027, 3, 16, 10, 0)))
    press(slack_app, restore)
    assert "rétablie" in slack_app.reply_text(after=3)
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0)) == ("scheduled", paris(2027, 3, 23, 10, 0))
    assert status_at(slack_app, paris(2027, 3, 16, 10, 0)) in (None, ("scheduled", paris(2027, 3, 16, 10, 0)))
    settled(slack_app, CHAIR, SECRETARY, DECK)


def test_move_names_the_occurrence_by_its_original_or_its_current_date(slack_app: SlackApp) -> None:
    committee(slack_app, "move 23/03 to 24/03 15:00")
    assert "déplacée" in slack_app.reply_text()
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0)) == ("moved", paris(2027, 3, 24, 15, 0))
    committee(slack_app, "move 24/03 au 25/03 14h")  # its current date
    text = slack_app.reply_text(after=1)
    assert epoch(paris(2027, 3, 23, 10, 0)) in text and epoch(paris(2027, 3, 25, 14, 0)) in text
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0)) == ("moved", paris(2027, 3, 25, 14, 0))
    committee(slack_app, "move 23/03 to 26/03 9h")  # its original date
    assert "déplacée" in slack_app.reply_text(after=2)
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0)) == ("moved", paris(2027, 3, 26, 9, 0))
    assert status_at(slack_app, paris(2027, 3, 16, 10, 0)) in (None, ("scheduled", paris(2027, 3, 16, 10, 0)))
    committee(slack_app, "move 23/03 to")
    assert "/committee move 14/01 au 12/01 15h" in slack_app.reply_text(after=3)
    settled(slack_app, CHAIR, SECRETARY, DECK)


def test_a_date_naming_two_occurrences_offers_a_choice(slack_app: SlackApp) -> None:
    committee(slack_app, "move 23/03 to 30/03 15:00")  # now two meetings on 30 March
    assert "déplacée" in slack_app.reply_text()
    committee(slack_app, "cancel 30/03")
    question = reply_blocks(slack_app, after=1)
    first, second, _keep = buttons(question)
    assert "2027-03-30 10:00" in first["text"]["text"] and "2027-03-30 15:00" in second["text"]["text"]
    assert "2027-03-23 10:00" in second["text"]["text"]  # named with its original slot
    press(slack_app, second)
    slack_app.wait(lambda: status_at(slack_app, paris(2027, 3, 23, 10, 0))[0] == "cancelled")  # type: ignore[index]
    assert status_at(slack_app, paris(2027, 3, 30, 10, 0)) in (None, ("scheduled", paris(2027, 3, 30, 10, 0)))
    settled(slack_app, CHAIR, SECRETARY, DECK)


def test_cancel_and_restore_without_a_date_open_a_modal_with_an_occurrence_picker(
    slack_app: SlackApp,
) -> None:
    committee(slack_app, "cancel")
    modal = slack_app.modal()
    assert modal["callback_id"] == ids.VIEW_CANCEL
    select = next(b for b in modal["blocks"] if b.get("block_id") == ids.BLOCK_MEETING)["element"]
    second = select["options"][1]
    assert "2027-03-23 10:00" in second["text"]["text"]
    response = slack_app.submit(
        modal,
        {
            "meeting": {"type": "static_select", "selected_option": second},
            "reason": {"type": "plain_text_input", "value": "Férié local"},
        },
        user=CHAIR,
    )
    assert response.status == 200 and not response.body
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0))[0] == "cancelled"  # type: ignore[index]
    committee(slack_app, "restore")
    modal = slack_app.modal(after=1)
    assert modal["callback_id"] == ids.VIEW_RESTORE
    select = next(b for b in modal["blocks"] if b.get("block_id") == ids.BLOCK_MEETING)["element"]
    (only,) = select["options"]
    slack_app.submit(modal, {"meeting": {"type": "static_select", "selected_option": only}}, user=CHAIR)
    assert status_at(slack_app, paris(2027, 3, 23, 10, 0))[0] == "scheduled"  # type: ignore[index]
    settled(slack_app, CHAIR, SECRETARY, DECK)


# --- point 8: /committee from anywhere -----------------------------------------------------------


def test_committee_commands_work_from_a_dm_with_a_key(slack_app: SlackApp) -> None:
    committee(slack_app, "next qualite", user=ADMIN, channel="D0ADMIN")
    assert "Comité qualité" in slack_app.reply_text(ADMIN)
    committee(slack_app, "cancel production 23/03", channel="D0CHAIR")
    confirm, _keep = buttons(reply_blocks(slack_app))
    assert "2027-03-23 10:00" in confirm["text"]["text"]


def test_outside_a_committee_channel_a_picker_limited_to_my_committees(slack_app: SlackApp) -> None:
    committee(slack_app, "next", user=SECRETARY, channel="D0SEC")  # secretary of both committees
    picker = reply_blocks(slack_app, SECRETARY)
    block, select = find_element(picker.blocks, ids.BTN_COMMITTEE_PICK)
    assert [o["text"]["text"] for o in select["options"]] == [
        "Comité de production (production)",
        "Comité qualité (qualite)",
    ]
    slack_app.click(block, select, user=SECRETARY, channel="D0SEC", option=1)
    assert "Comité qualité" in slack_app.reply_text(SECRETARY, after=1)
    committee(slack_app, "next", user=MARIE, channel="D0MARIE")  # on one committee only: that one
    assert "Comité de production" in slack_app.reply_text(MARIE)
