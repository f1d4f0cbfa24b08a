"""Buttons, modals, the message shortcut and the App Home over real HTTP, and who may use them."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlmodel import Session

from bot.action_items.views import action_block, snooze_select
from bot.delivery import tick as dispatch
from storage.models import ActionItem, Meeting
from tests.support.fakeslack import blocks_text
from tests.support.slackapp import (
    ADMIN,
    CHAIR,
    DECK,
    MARIE,
    NOW,
    PAUL,
    PROD,
    SECRETARY,
    STRANGER,
    SlackApp,
    find_element,
)

VALID = {
    "title": {"value": "Relancer le plan de renfort"},
    "owner": {"selected_user": MARIE},
    "due": {"selected_date": "2027-03-26"},
    "priority": {"selected_option": {"value": "high"}},
}


def chase(app: SlackApp, item: int) -> list[dict[str, Any]]:
    """The blocks of a chase message about ``item``, as the dispatcher builds them."""
    return [block.to_dict() for block in action_block(app.action(item), locale="fr", tz="Europe/Paris")]


def press(
    app: SlackApp, item: int, action_id: str, *, user: str, option: int | None = None, home: bool = False
) -> None:
    block, element = find_element(chase(app, item), action_id)
    answer = app.click(block, element, user=user, channel=user, option=option, home=home)
    assert answer.status == 200


def errors_of(answer: Any) -> dict[str, str]:
    body = answer.json()
    assert body["response_action"] == "errors", body
    return body["errors"]


# -- the action modal ------------------------------------------------------------------------


def test_action_modal_valid_creates_and_confirms_in_the_channel(slack_app: SlackApp) -> None:
    slack_app.command("")
    answer = slack_app.submit(slack_app.modal(), VALID, user=CHAIR)
    assert answer.status == 200 and answer.body == ""
    [item] = slack_app.actions()
    assert (item.title, item.owner, item.due, item.priority) == (
        "Relancer le plan de renfort",
        MARIE,
        date(2027, 3, 26),
        "high",
    )
    confirmation = slack_app.reply()
    assert confirmation.channel == PROD and "A1" in confirmation.text


def test_action_modal_invalid_answers_field_errors_and_creates_nothing(slack_app: SlackApp) -> None:
    slack_app.command("")
    errors = errors_of(
        slack_app.submit(
            slack_app.modal(),
            {**VALID, "title": {"value": "  "}, "due": {"selected_date": "2027-03-01"}},
            user=CHAIR,
        )
    )
    assert set(errors) == {"title", "due"}
    assert "vide" in errors["title"] and "déjà passée" in errors["due"]
    assert slack_app.actions() == []


def test_action_modal_refuses_broadcast_and_long_titles(slack_app: SlackApp) -> None:
    slack_app.command("")
    modal = slack_app.modal()
    assert (
        "@channel"
        in errors_of(
            slack_app.submit(modal, {**VALID, "title": {"value": "Dire à @here de relancer"}}, user=CHAIR)
        )["title"]
    )
    assert (
        "3001"
        in errors_of(slack_app.submit(modal, {**VALID, "title": {"value": "y" * 3001}}, user=CHAIR))["title"]
    )
    assert slack_app.actions() == []


def test_edit_modal_changes_title_due_and_owner(slack_app: SlackApp) -> None:
    item = slack_app.make_action(title="Ancien titre", owner=MARIE)
    slack_app.command(f"edit A{item}")
    answer = slack_app.submit(
        slack_app.modal(),
        {**VALID, "title": {"value": "Nouveau titre"}, "owner": {"selected_user": PAUL}},
        user=CHAIR,
    )
    assert answer.status == 200 and answer.body == ""
    changed = slack_app.action(item)
    assert (changed.title, changed.owner, changed.due, changed.priority) == (
        "Nouveau titre",
        PAUL,
        date(2027, 3, 26),
        "high",
    )
    assert {c.field for c in slack_app.history(item)} == {"title", "due", "priority", "owner"}
    assert "modifiée" in slack_app.reply_text()


def test_edit_by_a_stranger_is_refused(slack_app: SlackApp) -> None:
    item = slack_app.make_action()
    slack_app.command(f"edit A{item}", user=STRANGER)
    assert "Vous ne pouvez pas modifier" in slack_app.reply_text(STRANGER)
    assert slack_app.fake.views == {}


# -- buttons ---------------------------------------------------------------------------------


def test_done_button(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE)
    press(slack_app, item, "action_done", user=MARIE)
    assert "terminée" in slack_app.reply_text(MARIE)
    assert slack_app.action(item).status == "done"
    home = slack_app.home(MARIE)  # the owner's App Home follows the change
    assert f"A{item}" not in blocks_text(home["blocks"])


def test_the_former_snooze_select_of_older_messages_still_mutes_on_business_days(slack_app: SlackApp) -> None:
    first, second = slack_app.make_action(owner=MARIE), slack_app.make_action(owner=MARIE)

    def click_old_select(item: int, option: int) -> None:
        select = snooze_select(slack_app.action(item), locale="fr").to_dict()
        block = {"type": "actions", "block_id": f"action_{item}", "elements": [select]}
        assert slack_app.click(block, select, user=MARIE, channel=MARIE, option=option).status == 200

    click_old_select(first, 0)  # 1 business day
    slack_app.reply(MARIE)
    click_old_select(second, 1)  # 1 week
    slack_app.reply(MARIE, after=1)
    assert slack_app.action(first).snoozed_until == date(2027, 3, 17)
    assert slack_app.action(second).snoozed_until == date(2027, 3, 23)


def test_progress_button_opens_the_modal_and_saves(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE)
    press(slack_app, item, "action_progress", user=MARIE)
    modal = slack_app.modal()
    assert modal["callback_id"] == "progress_modal"
    bad = slack_app.submit(
        modal,
        {
            "status": {"selected_option": {"value": "in_progress"}},
            "progress": {"value": "140"},
            "comment": {"value": None},
        },
        user=MARIE,
    )
    assert "progress" in errors_of(bad) and slack_app.action(item).progress == 0
    good = slack_app.submit(
        modal,
        {
            "status": {"selected_option": {"value": "in_progress"}},
            "progress": {"value": "40"},
            "comment": {"value": "Devis reçu"},
        },
        user=MARIE,
    )
    assert good.status == 200 and good.body == ""
    saved = slack_app.action(item)
    assert (saved.status, saved.progress) == ("in_progress", 40)
    assert any(c.comment == "Devis reçu" for c in slack_app.history(item))
    assert "40 %" in slack_app.reply_text(MARIE)


def test_reassign_button_opens_a_user_picker_and_saves(slack_app: SlackApp) -> None:
    slack_app.fake.add_user("U0GONE", deleted=True)
    item = slack_app.make_action(owner=MARIE)
    press(slack_app, item, "action_reassign", user=MARIE)
    modal = slack_app.modal()
    assert modal["callback_id"] == "reassign_modal"
    assert (
        "désactivé"
        in errors_of(slack_app.submit(modal, {"owner": {"selected_user": "U0GONE"}}, user=MARIE))["owner"]
    )
    assert slack_app.action(item).owner == MARIE
    answer = slack_app.submit(modal, {"owner": {"selected_user": PAUL}}, user=MARIE)
    assert answer.status == 200 and answer.body == ""
    assert slack_app.action(item).owner == PAUL
    slack_app.home(PAUL)
    slack_app.home(MARIE)  # both the new and the former owner see it


def test_a_stranger_is_refused_by_every_button_and_nothing_changes(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE, creator=DECK)
    for n, (action_id, option) in enumerate(
        [
            ("action_done", None),
            ("action_postpone", None),
            ("action_mute", None),
            ("action_progress", None),
            ("action_reassign", None),
        ]
    ):
        press(slack_app, item, action_id, user=STRANGER, option=option)
        text = slack_app.reply_text(STRANGER, after=n)
        assert (
            "Vous ne pouvez pas modifier" in text
            and "<@U123>" in text
            and "<@U0DECK>" in text
            and "<@U0CHAIR>" in text
        )
    assert slack_app.fake.views == {}
    unchanged = slack_app.action(item)
    assert (unchanged.status, unchanged.snoozed_until, unchanged.owner) == ("open", None, MARIE)
    assert slack_app.history(item) == []


def test_creator_chair_and_admin_may_change_an_item(slack_app: SlackApp) -> None:
    items = [slack_app.make_action(owner=MARIE, creator=DECK) for _ in range(3)]
    for n, (item, user) in enumerate(zip(items, (DECK, CHAIR, ADMIN), strict=True)):
        press(slack_app, item, "action_done", user=user)
        assert "terminée" in slack_app.reply_text(user), user
        assert slack_app.action(item).status == "done"
        del n


def test_refusal_in_the_app_home_shows_a_modal(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE)
    press(slack_app, item, "action_done", user=STRANGER, home=True)
    notice = slack_app.modal()
    assert notice["callback_id"] == "notice_modal" and "Vous ne pouvez pas modifier" in blocks_text(
        notice["blocks"]
    )
    assert slack_app.action(item).status == "open"


def test_done_from_the_app_home_republishes_it(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE)
    press(slack_app, item, "action_done", user=MARIE, home=True)
    slack_app.wait(lambda: slack_app.action(item).status == "done")
    assert "Aucune action ouverte" in blocks_text(slack_app.home(MARIE)["blocks"])


# -- message shortcut, App Home --------------------------------------------------------------


def test_shortcut_prefills_title_and_source_link(slack_app: SlackApp) -> None:
    slack_app.shortcut(text="Il faut relancer le prestataire sur le plan de renfort", ts="1800000000.000042")
    modal = slack_app.modal()
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    meta = json.loads(modal["private_metadata"])
    assert (
        blocks["title"]["element"]["initial_value"]
        == "Il faut relancer le prestataire sur le plan de renfort"
    )
    assert meta["source_link"].endswith("/archives/C0PROD/p1800000000000042")
    slack_app.submit(modal, VALID, user=CHAIR)
    [item] = slack_app.actions()
    assert item.source_link == meta["source_link"] and item.committee_id == slack_app.committees["production"]


def test_shortcut_prefills_the_message_as_written_not_as_slack_escaped_it(slack_app: SlackApp) -> None:
    slack_app.shortcut(text="Relancer R&amp;D &lt;urgent&gt; : <https://intranet.example/plan|le plan>")
    blocks = {b["block_id"]: b for b in slack_app.modal()["blocks"]}
    assert (
        blocks["title"]["element"]["initial_value"]
        == "Relancer R&D <urgent> : le plan (https://intranet.example/plan)"
    )


def test_shortcut_outside_a_committee_channel_asks_for_the_committee(slack_app: SlackApp) -> None:
    slack_app.shortcut(text="Relancer", channel="C0NONE")
    modal = slack_app.modal()
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    assert "committee" in blocks
    committee = blocks["committee"]["element"]["options"][0]["value"]
    slack_app.submit(modal, {**VALID, "committee": {"selected_option": {"value": committee}}}, user=CHAIR)
    [item] = slack_app.actions()
    assert item.committee_id == int(committee)


def test_app_home_opened_publishes_my_items_with_buttons(slack_app: SlackApp) -> None:
    slack_app.make_action(title="Préparer le support", owner=MARIE)
    slack_app.make_action(title="Pas à moi", owner=PAUL)
    assert slack_app.home_opened(MARIE).status == 200
    home = slack_app.home(MARIE)
    text = blocks_text(home["blocks"])
    assert "Préparer le support" in text and "Pas à moi" not in text
    find_element(home["blocks"], "action_done")
    assert "Mes prochaines réunions" in text


def test_app_home_stays_within_100_blocks(slack_app: SlackApp) -> None:
    for n in range(60):
        slack_app.make_action(title=f"Tâche {n}", owner=MARIE)
    slack_app.home_opened(MARIE)
    home = slack_app.home(MARIE)
    assert len(home["blocks"]) <= 100
    assert "et 30 de plus" in blocks_text(home["blocks"])


def test_new_action_button_in_the_app_home(slack_app: SlackApp) -> None:
    slack_app.home_opened(MARIE)
    block, button = find_element(slack_app.home(MARIE)["blocks"], "action_new")
    slack_app.click(block, button, user=MARIE, home=True)
    modal = slack_app.modal()
    options = {b["block_id"]: b for b in modal["blocks"]}["committee"]["element"]["options"]
    assert options[0]["text"]["text"] == "Comité de production"  # Marie's committee first


def test_chase_message_blocks_hold_the_buttons(slack_app: SlackApp) -> None:
    item = slack_app.make_action()
    blocks = chase(slack_app, item)
    ids = [e["action_id"] for e in blocks[1]["elements"]]
    assert ids == ["action_done", "action_progress", "action_postpone", "action_mute", "action_reassign"]
    closed = ActionItem(id=1, title="x", owner=MARIE, creator=CHAIR, due=date(2027, 3, 19), status="done")
    assert len(action_block(closed, locale="en", tz="UTC")) == 1


def test_app_home_lists_minutes_and_decks_owed_and_next_meetings(slack_app: SlackApp) -> None:
    committee = slack_app.committees["production"]
    with Session(slack_app.engine) as session:
        past = NOW - timedelta(days=1)
        soon = NOW + timedelta(days=7, hours=1)  # the 23 March meeting, as the calendar has it
        session.add(
            Meeting(committee_id=committee, series_start=past, start=past, end=past + timedelta(hours=1))
        )
        session.add(
            Meeting(committee_id=committee, series_start=soon, start=soon, end=soon + timedelta(hours=1))
        )
        session.commit()
    for user in (SECRETARY, DECK, MARIE):
        slack_app.home_opened(user)
    minutes = blocks_text(slack_app.home(SECRETARY)["blocks"])
    deck = blocks_text(slack_app.home(DECK)["blocks"])
    meetings = blocks_text(slack_app.home(MARIE)["blocks"])
    assert "Comité de production* — <!date^" in minutes and "compte rendu à soumettre" in minutes
    assert "support à partager" in deck and "support à partager" not in minutes
    # Each line gives its deadline (the committee's business days, not a fixed "48 h").
    assert "à soumettre avant le <!date^" in minutes and "à partager avant le <!date^" in deck
    assert "48 h" not in deck
    assert f"<!date^{int(soon.timestamp())}^" in meetings  # Marie is a member: her next meeting
    assert datetime.fromtimestamp(int(soon.timestamp()), UTC) == soon


def test_unexpected_error_gives_a_reference_in_the_reply_and_the_log(
    slack_app: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    slack_app.fake.fail("views.open", "internal_error")
    answer = slack_app.command("", user=MARIE)  # /action alone opens the modal
    assert answer.status == 200
    text = slack_app.reply_text(MARIE)
    ref = re.search(r"réf\. `([0-9a-f]{6})`", text)
    assert ref, text
    assert any(ref.group(1) in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "value",
    [
        "not-a-payload",
        '{"t":"a","action_id":1000000000000000000000000000000}',
        '{"t":"a","action_id":{}}',
        '{"t":"a","action_id":"12"}',
        '{"t":"a","action_id":true}',
        "{}",
    ],
)
def test_a_button_value_this_version_did_not_write_gets_a_plain_answer_and_changes_nothing(
    slack_app: SlackApp, value: str
) -> None:
    item = slack_app.make_action()
    block = {"block_id": "action_1", "elements": []}
    answer = slack_app.click(
        block, {"action_id": "action_done", "type": "button", "value": value}, user=MARIE, channel=MARIE
    )
    assert answer.status == 200
    text = slack_app.reply_text(MARIE)
    assert "n'est plus valable" in text and "réf." not in text
    assert slack_app.action(item).status == "open"


def test_reassigning_from_the_owner_unreachable_message_edits_that_message(slack_app: SlackApp) -> None:

    first = slack_app.make_action(title="Relancer le plan", owner=MARIE, due=date(2027, 3, 18))
    second = slack_app.make_action(title="Chiffrer le renfort", owner=MARIE, due=date(2027, 3, 18))
    slack_app.command("away until 2027-03-30", user=MARIE)
    slack_app.reply(MARIE)
    client = WebClient(token="xoxb-test", base_url=slack_app.fake.api_url)
    dispatch.tick(
        slack_app.engine,
        client,
        now=datetime(2027, 3, 17, 8, 0, tzinfo=UTC),
        worker="test",
        sleep=lambda _s: None,
    )
    [report] = [m for m in slack_app.fake.messages(CHAIR) if "injoignable" in m.text]

    def reassign(item: int, after: int) -> None:
        block, element = next(
            (b, e)
            for b in report.blocks
            for e in b.get("elements", [])
            if e.get("action_id") == "action_reassign" and b["block_id"] == f"reassign_{item}"
        )
        slack_app.click(block, element, user=CHAIR, channel=CHAIR)
        slack_app.submit(
            slack_app.modal(after=after),
            {"owner": {"type": "users_select", "selected_user": PAUL}},
            user=CHAIR,
        )
        slack_app.wait(lambda: slack_app.action(item).owner == PAUL, what="the reassignment")

    reassign(first, 0)
    slack_app.wait(lambda: len(report.edits) >= 1, what="the report edited after the first reassignment")
    assert "Relancer le plan" not in blocks_text(report.blocks) and f"reassign_{second}" in json.dumps(
        report.blocks
    )
    reassign(second, 1)
    slack_app.wait(lambda: "Plus rien à réattribuer" in blocks_text(report.blocks), what="the report settled")
    assert "action_reassign" not in json.dumps(report.blocks)


def test_owner_unreachable_report_agrees_with_a_single_action(slack_app: SlackApp) -> None:

    slack_app.make_action(title="Relancer le plan", owner=MARIE, due=date(2027, 3, 18))
    slack_app.command("away until 2027-03-30", user=MARIE)
    slack_app.reply(MARIE)
    client = WebClient(token="xoxb-test", base_url=slack_app.fake.api_url)
    dispatch.tick(
        slack_app.engine,
        client,
        now=datetime(2027, 3, 17, 8, 0, tzinfo=UTC),
        worker="test",
        sleep=lambda _s: None,
    )
    [report] = [m for m in slack_app.fake.messages(CHAIR) if "injoignable" in m.text]
    text = blocks_text(report.blocks)
    assert "Son action ouverte du *Comité de production* ne sera plus relancée ; réattribuez-la" in text
    assert "Ses 1" not in text
