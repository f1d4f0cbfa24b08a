"""Issue 9, action items, over real HTTP with signed requests: owners told on assignment and
reassignment, the message shortcut read like ``/action add``, Postpone versus Mute reminders, due
dates refused with their reason or flagged on a non-business day, and every bad minutes line at once.

Each test reproduces one failure a new user met ("Why" of the issue) and proves it fixed.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.action_items import flows
from bot.action_items.views import action_block
from bot.delivery import tick as delivery
from bot.notices.health import governance_health
from bot.slack.users import Person
from bot.surface import item_replies
from storage.models import Notification, SlackUser
from tests.support.fakeslack import Message, blocks_text
from tests.support.slackapp import (
    CHAIR,
    MARIE,
    NOW,
    PAUL,
    PROD,
    SECRETARY,
    SlackApp,
    find_element,
)

CHASE_BUTTONS = ["action_done", "action_progress", "action_postpone", "action_mute", "action_reassign"]


def dms(app: SlackApp, user: str) -> list[Message]:
    return app.fake.messages(user)


def buttons(message: Message) -> list[str]:
    return [
        element["action_id"]
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


def notifications(app: SlackApp, kind: str) -> list[Notification]:
    with Session(app.engine) as session:
        return list(session.exec(select(Notification).where(Notification.kind == kind)))


def tick(app: SlackApp, now: datetime) -> delivery.TickSummary:
    client = WebClient(token="xoxb-test", base_url=app.fake.api_url)
    return delivery.tick(app.engine, client, now=now, worker="test", sleep=lambda _s: None)


def errors_of(response: Any) -> dict[str, str]:
    body = response.json()
    assert body and body.get("response_action") == "errors", response.body
    return body["errors"]


# -- owners are told (was: "their first DM is the due-soon chase") ---------------------------------


def test_the_owner_gets_a_dm_with_the_item_and_its_buttons_when_an_item_is_assigned(
    slack_app: SlackApp,
) -> None:
    slack_app.command("add <@U123|marie> Relancer le plan de renfort d'ici vendredi !high")
    slack_app.reply_text()
    [dm] = slack_app.wait(lambda: dms(slack_app, MARIE), what="Marie's DM")
    text = dm.text + "\n" + blocks_text(dm.blocks)
    assert "<@U0CHAIR> vous a confié l'action A1" in text and "Relancer le plan de renfort" in text
    assert buttons(dm) == CHASE_BUTTONS
    labels = [e["text"]["text"] for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert "Reporter l'échéance" in labels and "Suspendre les relances" in labels
    # Through the outbox, once: its key names the history entry; a tick afterwards sends nothing more.
    [row] = slack_app.wait(
        lambda: [r for r in notifications(slack_app, "action_assigned") if r.state == "sent"], what="recorded"
    )
    assert row.key.startswith("a:1:assigned:") and row.recipient == MARIE
    tick(slack_app, NOW)
    assert len(dms(slack_app, MARIE)) == 1


def test_the_creator_who_takes_an_item_is_not_sent_a_dm_about_it(slack_app: SlackApp) -> None:
    slack_app.command("add <@U0CHAIR> Préparer le support d'ici vendredi")
    slack_app.reply_text()
    tick(slack_app, NOW)
    assert notifications(slack_app, "action_assigned") == []
    assert not [
        m
        for m in dms(slack_app, CHAIR)
        if (m.metadata or {}).get("event_payload", {}).get("key", "").startswith("a:")
    ]


def test_reassignment_tells_the_new_owner_with_buttons_and_the_previous_one_in_a_short_note(
    slack_app: SlackApp,
) -> None:
    item = slack_app.make_action(owner=MARIE)
    slack_app.command(f"assign A{item} <@U0PAUL|paul>")
    assert "confiée à <@U0PAUL>" in slack_app.reply_text()
    [to_paul] = slack_app.wait(lambda: dms(slack_app, PAUL), what="Paul's DM")
    assert "vous a réattribué l'action A1" in to_paul.text and buttons(to_paul) == CHASE_BUTTONS
    [to_marie] = slack_app.wait(lambda: dms(slack_app, MARIE), what="Marie's note")
    note = to_marie.text + blocks_text(to_marie.blocks)
    assert "désormais confiée à <@U0PAUL>" in note and "plus responsable" in note and buttons(to_marie) == []
    tick(slack_app, NOW)
    assert len(dms(slack_app, PAUL)) == 1 and len(dms(slack_app, MARIE)) == 1


def test_an_assignment_dm_already_sent_is_edited_when_the_item_moves_on(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> Relancer le plan d'ici vendredi")
    [dm] = slack_app.wait(lambda: dms(slack_app, MARIE), what="Marie's DM")
    slack_app.command("assign A1 <@U0PAUL>")
    slack_app.wait(lambda: dms(slack_app, PAUL), what="Paul's DM")
    first = slack_app.wait(
        lambda: [
            m for m in dms(slack_app, MARIE) if m.edits and "désormais confiée" in blocks_text(m.blocks)
        ],
        what="the first DM edited",
    )[0]
    assert first.ts == dm.ts and "désormais confiée à <@U0PAUL>" in blocks_text(first.blocks)
    assert buttons(first) == []  # no buttons left on what is no longer hers


# -- the message shortcut (was: raw <@U…> in the title, neither owner nor due date read) ----------


def test_the_shortcut_reads_owner_due_and_priority_and_shows_readable_text(slack_app: SlackApp) -> None:
    slack_app.fake.add_user(PAUL, tz="Europe/Paris", locale="fr-FR", name="paul")
    slack_app.shortcut(
        text="<@U123> relancer <@U0PAUL> sur le plan R&amp;D d'ici le 26/03 !high", ts="1800000000.000042"
    )
    modal = slack_app.modal()
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == "relancer @paul sur le plan R&D"
    assert blocks["owner"]["element"]["initial_user"] == MARIE
    assert blocks["due"]["element"]["initial_date"] == "2027-03-26"
    assert blocks["priority"]["element"]["initial_option"]["value"] == "high"
    assert json.loads(modal["private_metadata"])["thread_ts"] == "1800000000.000042"

    values = {
        "title": {"value": blocks["title"]["element"]["initial_value"]},
        "owner": {"selected_user": MARIE},
        "due": {"selected_date": "2027-03-26"},
        "priority": {"selected_option": {"value": "high"}},
    }
    assert slack_app.submit(modal, values, user=CHAIR).status == 200
    [reply] = slack_app.wait(
        lambda: [m for m in slack_app.fake.messages(PROD) if m.thread_ts == "1800000000.000042"],
        what="the item in the message's thread",
    )
    assert "A1" in reply.text and "relancer @paul sur le plan R&amp;D" in blocks_text(reply.blocks)
    [item] = slack_app.actions()
    assert (item.owner, item.due, item.priority) == (MARIE, date(2027, 3, 26), "high")


def test_the_item_posted_in_the_thread_is_edited_when_it_is_done(slack_app: SlackApp) -> None:
    slack_app.shortcut(text="<@U123> relancer le plan d'ici vendredi", ts="1800000000.000077")
    modal = slack_app.modal()
    values = {
        "title": {"value": "relancer le plan"},
        "owner": {"selected_user": MARIE},
        "due": {"selected_date": "2027-03-19"},
        "priority": {"selected_option": {"value": "medium"}},
    }
    slack_app.submit(modal, values, user=CHAIR)
    slack_app.wait(lambda: [m for m in slack_app.fake.messages(PROD) if m.thread_ts], what="thread reply")
    slack_app.command("done A1", user=MARIE)
    slack_app.wait(
        lambda: [
            m for m in slack_app.fake.messages(PROD) if m.thread_ts and "terminée" in blocks_text(m.blocks)
        ],
        what="the thread reply showing the item done",
    )


# -- Postpone versus Mute reminders (was: "Reporter…" only muted the reminders) --------------------


def test_postpone_sets_a_new_due_date_kept_in_the_history_and_counted_as_postponed(
    slack_app: SlackApp,
) -> None:
    item = slack_app.make_action(owner=MARIE, due=date(2027, 3, 17))
    slack_app.command(f"postpone A{item} 2027-03-24", user=MARIE)
    assert "échéance reportée au" in slack_app.reply_text(MARIE)
    postponed = slack_app.action(item)
    assert (postponed.due, postponed.postponed_from, postponed.snoozed_until) == (
        date(2027, 3, 24),
        date(2027, 3, 17),
        None,
    )
    [entry] = slack_app.history(item)
    assert (entry.field, entry.old, entry.new, entry.actor) == (
        "postponed",
        "2027-03-17",
        "2027-03-24",
        MARIE,
    )
    # Closed by the new date, it still counts as postponed, not as closed on time.
    slack_app.command(f"done A{item}", user=MARIE)
    slack_app.reply_text(MARIE, after=1)
    with Session(slack_app.engine) as session:
        health = governance_health(
            session,
            committee_ids=[slack_app.committees["production"]],
            now=datetime(2027, 3, 25, 12, tzinfo=UTC),
        )
    assert (health.actions.on_time, health.actions.total, health.actions.postponed) == (0, 1, 1)


def test_mute_reminders_keeps_the_due_date_and_only_pauses_the_chase(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE, due=date(2027, 3, 19))
    slack_app.command(f"snooze A{item} lundi", user=MARIE)
    text = slack_app.reply_text(MARIE)
    assert "relances suspendues jusqu'au" in text and "L'échéance reste le" in text
    muted = slack_app.action(item)
    assert (muted.due, muted.snoozed_until, muted.postponed_from) == (
        date(2027, 3, 19),
        date(2027, 3, 22),
        None,
    )


def test_the_postpone_and_mute_buttons_open_their_modals_and_save(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE, due=date(2027, 3, 19))
    dm_blocks = [b.to_dict() for b in action_block(slack_app.action(item), locale="fr", tz="Europe/Paris")]
    block, element = find_element(dm_blocks, "action_postpone")
    slack_app.click(block, element, user=MARIE, channel=MARIE)
    postpone = slack_app.modal()
    assert postpone["callback_id"] == "postpone_modal" and postpone["title"]["text"] == "Reporter l'échéance"
    earlier = slack_app.submit(
        postpone, {"due": {"selected_date": "2027-03-18"}, "comment": {"value": None}}, user=MARIE
    )
    assert "après l'actuelle" in errors_of(earlier)["due"] and slack_app.action(item).due == date(2027, 3, 19)
    ok = slack_app.submit(
        postpone,
        {"due": {"selected_date": "2027-03-26"}, "comment": {"value": "Devis en retard"}},
        user=MARIE,
    )
    assert ok.status == 200 and not ok.body
    assert slack_app.action(item).due == date(2027, 3, 26)
    assert slack_app.history(item)[-1].comment == "Devis en retard"

    block, element = find_element(dm_blocks, "action_mute")
    slack_app.click(block, element, user=MARIE, channel=MARIE)
    mute = slack_app.modal(after=1)
    assert mute["callback_id"] == "mute_modal" and mute["title"]["text"] == "Suspendre les relances"
    past = slack_app.submit(mute, {"until": {"selected_date": "2027-03-16"}}, user=MARIE)
    assert "until" in errors_of(past)
    slack_app.submit(mute, {"until": {"selected_date": "2027-03-23"}}, user=MARIE)
    assert slack_app.wait(lambda: slack_app.action(item).snoozed_until == date(2027, 3, 23))
    assert slack_app.action(item).due == date(2027, 3, 26)


def test_help_tells_postpone_and_mute_apart_in_both_languages(slack_app: SlackApp) -> None:
    slack_app.command("help")
    text = slack_app.reply_text()
    assert "/action postpone" in text and "Reporter l'échéance" in text and "Suspendre les relances" in text
    slack_app.command("help", user="U0ANNA")
    text = slack_app.reply_text("U0ANNA")
    assert "*Postpone*" in text and "*Mute reminders*" in text and "the due date stays" in text


# -- due dates (was: 15/11 became next year, 31/02 ended up in the title, Sunday without a word) ---


def test_a_day_and_month_that_passed_lately_is_refused_not_moved_to_next_year(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> Relancer le plan 15/03")  # NOW is 16 March 2027
    text = slack_app.reply_text()
    assert "« 15/03 » est déjà passé" in text and "2027-03-15" in text and "15/03/2028" in text
    assert slack_app.actions() == [] and slack_app.fake.views == {}


def test_an_impossible_date_is_refused_with_the_reason_not_left_in_the_title(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> Relancer le plan 31/02")
    text = slack_app.reply_text()
    assert "« 31/02 » n'existe pas" in text and "février n'a que 28 jours" in text
    assert slack_app.actions() == [] and slack_app.fake.views == {}


def test_a_due_date_on_a_sunday_is_accepted_with_a_note_and_a_previous_business_day_button(
    slack_app: SlackApp,
) -> None:
    slack_app.command("add <@U123> Relancer le plan dans 5 jours")  # Tuesday + 5 = Sunday 21 March
    reply = slack_app.reply()
    [item] = slack_app.actions()
    assert item.due == date(2027, 3, 21)
    note = blocks_text(reply.blocks)
    assert "tombe un jour non ouvré" in note and "|2027-03-19>" in note
    block, element = find_element(reply.blocks, "action_previous_business_day")
    assert element["text"]["text"] == "Avancer au 19/03"
    slack_app.click(block, element, user=CHAIR)
    slack_app.wait(lambda: slack_app.action(item.id).due == date(2027, 3, 19), what="moved to Friday")
    # A second click (the date changed since) changes nothing.
    slack_app.click(block, element, user=CHAIR)
    slack_app.reply(after=2)
    assert slack_app.action(item.id).due == date(2027, 3, 19)


def test_end_of_a_month_on_a_sunday_gets_the_note_in_english_too(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> Send the plan by end of october", user="U0ANNA")
    reply = slack_app.reply("U0ANNA")
    assert slack_app.actions()[0].due == date(2027, 10, 31)
    assert "is not a business day for the committee" in blocks_text(reply.blocks)
    find_element(reply.blocks, "action_previous_business_day")


def test_a_public_holiday_is_named_in_the_note(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> Relancer le plan due:2027-05-06")  # Ascension 2027, a Thursday
    text = blocks_text(slack_app.reply().blocks)
    assert "jour férié" in text and "|2027-05-05>" in text


# -- the minutes modal (was: one bad line at a time, markup shown literally) -----------------------


def _mention(user: str) -> dict[str, Any]:
    return {"type": "user", "user_id": user}


def _words(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def _rich_text(*lines: list[dict[str, Any]]) -> dict[str, Any]:
    elements: list[dict[str, Any]] = []
    for n, line in enumerate(lines):
        elements.extend(line + ([_words("\n")] if n < len(lines) - 1 else []))
    return {
        "type": "rich_text_input",
        "rich_text_value": {
            "type": "rich_text",
            "elements": [{"type": "rich_text_section", "elements": elements}],
        },
    }


def test_the_minutes_modal_reports_every_bad_action_line_at_once_in_order_without_markup(
    slack_app: SlackApp,
) -> None:
    slack_app.fake.add_user(PAUL, tz="Europe/Paris", locale="fr-FR", name="paul", deleted=True)
    with Session(slack_app.engine) as session:  # the bot has seen Paul's account deactivated
        session.add(SlackUser(user_id=PAUL, deleted=True, fetched_at=NOW))
        session.commit()
    slack_app.command("minutes", user=SECRETARY, command="/committee")
    modal = slack_app.modal()
    answer = slack_app.submit(
        modal,
        {
            "summary": {"type": "plain_text_input", "value": "KPI."},
            "actions": _rich_text(
                [_mention(MARIE), _words(" Recruter 3 conseillers by 2027-03-26")],
                [_words("Diffuser la grille")],
                [_mention(MARIE), _words(" Relancer le plan 31/02")],
                [_mention(PAUL), _words(" Mettre à jour la grille d'ici vendredi")],
                [_mention(MARIE), _words(" Revoir les scripts 15/03")],
            ),
        },
        user=SECRETARY,
    )
    message = errors_of(answer)["actions"]
    lines = message.split("\n")
    assert [line.split(" :")[0] for line in lines] == ["Ligne 2", "Ligne 3", "Ligne 4", "Ligne 5"]
    assert "il manque le responsable (@quelqu'un), il manque l'échéance." in lines[0]
    assert "31/02" in lines[1] and "@paul" in lines[2] and "déjà passé" in lines[3]
    assert "<@" not in message and "&lt;" not in message and "`" not in message
    assert slack_app.actions() == []


def test_the_action_modal_reports_every_bad_field_at_once(slack_app: SlackApp) -> None:
    slack_app.command("")
    modal = slack_app.modal()
    answer = slack_app.submit(
        modal,
        {
            "title": {"value": "Prévenir <!channel> du plan"},
            "owner": {"selected_user": None},
            "due": {"selected_date": "2027-03-01"},
            "priority": {"selected_option": {"value": "medium"}},
        },
        user=CHAIR,
    )
    errors = errors_of(answer)
    assert set(errors) == {"owner", "due", "title"}
    assert "déjà passée" in errors["due"] and "@channel" in errors["title"]
    assert all("<" not in message and "`" not in message for message in errors.values())
    assert slack_app.actions() == []


def test_a_due_date_today_on_a_non_business_day_gets_the_note_without_a_button_to_the_past(
    slack_app: SlackApp,
) -> None:
    with Session(slack_app.engine) as session:  # a Saturday: the business day before is already past
        saturday = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
        action = flows.create_action(
            session,
            title="x",
            owner=MARIE,
            creator=CHAIR,
            due=date(2027, 3, 20),
            committee_id=1,
            now=saturday,
            today=date(2027, 3, 20),
            notify=False,
        )
        person = Person(user_id=CHAIR, tz="Europe/Paris", locale="en")
        note = item_replies.due_note(session, action, person, now=saturday)
    assert len(note) == 1 and "It is kept as it is." in blocks_text(note)
