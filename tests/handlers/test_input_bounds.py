"""Issue 7, findings 10 and 11: what a user types is held to the database's limits and shown safely.

Before: a 40-character user id or a NUL in a title was accepted by the parser and then failed on
PostgreSQL ("unexpected error"; SQLite stored it); a deck link ending in ``><!channel>`` closed the
link early in the deck owner's confirmation and pinged the channel; a title with 60 mentions pinged 60
people at every chase; a title of zero-width characters, or one with right-to-left overrides, was
accepted. Each case goes through the real app over signed HTTP, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from bot.action_items.views import labels
from bot.slack import ids
from bot.text.render import render
from storage.models import ActionItem, Meeting
from tests.support.committee import button, materialise, url_input
from tests.support.slackapp import CHAIR, DECK, MARIE, SlackApp

LONG_ID = "U" + "A" * 39


def answer(app: SlackApp, text: str, *, user: str = CHAIR) -> str:
    response = app.command(text, user=user)
    assert response.status == 200, response.body
    return app.reply_text(user)


def test_an_owner_id_longer_than_slack_ids_is_refused(slack_app: SlackApp) -> None:
    text = answer(slack_app, f"add <@{LONG_ID}> Relancer le plan d'ici vendredi")

    assert "n'est pas un utilisateur Slack" in text and "inattendue" not in text
    assert slack_app.actions() == []


def test_assigning_to_an_id_longer_than_slack_ids_is_refused(slack_app: SlackApp) -> None:
    action_id = slack_app.make_action()

    text = answer(slack_app, f"assign A{action_id} <@{LONG_ID}>")

    assert "n'est pas un utilisateur Slack" in text
    assert slack_app.action(action_id).owner == MARIE


def test_a_nul_in_a_title_is_refused(slack_app: SlackApp) -> None:
    text = answer(slack_app, "add <@U123> Relancer\x00 le plan d'ici vendredi")

    assert "caractère nul" in text and "inattendue" not in text
    assert slack_app.actions() == []


def test_a_title_with_sixty_mentions_is_refused(slack_app: SlackApp) -> None:
    crowd = " ".join(f"<@U0P{n:03d}>" for n in range(60))

    text = answer(slack_app, f"add <@U123> Prévenir {crowd} d'ici vendredi")

    assert "mentionne 60 personnes ; 5 au plus" in text
    assert slack_app.actions() == []


def test_a_title_with_a_few_mentions_is_kept(slack_app: SlackApp) -> None:
    answer(slack_app, "add <@U123> Prévenir <@U0PAUL> et <@U0ANNA> d'ici vendredi")

    (item,) = slack_app.actions()
    assert item.title == "Prévenir <@U0PAUL> et <@U0ANNA>"


def test_a_title_of_zero_width_characters_only_is_refused(slack_app: SlackApp) -> None:
    text = answer(slack_app, "add <@U123> \u200b\u200c\u200d\ufeff d'ici vendredi")

    assert "aucun caractère visible" in text
    assert slack_app.actions() == []


def test_bidi_overrides_are_stripped_from_titles(slack_app: SlackApp) -> None:
    answer(slack_app, "add <@U123> Ouvrir \u202efdp.exe\u202c et \u2066relire\u2069 d'ici vendredi")

    (item,) = slack_app.actions()
    assert item.title == "Ouvrir fdp.exe et relire"


def test_a_title_of_bidi_overrides_only_counts_as_no_title(slack_app: SlackApp) -> None:
    response = slack_app.command("add <@U123> \u202e\u202d d'ici vendredi")

    assert response.status == 200
    modal = slack_app.modal()  # the form opens to ask for the title, as for an empty one
    assert modal["callback_id"] == ids.VIEW_ACTION
    assert slack_app.actions() == []


def test_a_nul_in_a_modal_title_is_refused_under_its_field(slack_app: SlackApp) -> None:
    slack_app.command("")
    modal = slack_app.modal()
    values: dict[str, dict[str, Any]] = {
        ids.BLOCK_TITLE: {"type": "plain_text_input", "value": "Relancer\x00"},
        ids.BLOCK_OWNER: {"type": "users_select", "selected_user": MARIE},
        ids.BLOCK_DUE: {"type": "datepicker", "selected_date": "9999-12-31"},
    }

    response = slack_app.submit(modal, values, user=CHAIR)

    assert response.status == 200
    errors = response.json()["errors"]
    assert "caractère nul" in errors[ids.BLOCK_TITLE]
    assert "trop lointaine" in errors[ids.BLOCK_DUE]
    assert slack_app.actions() == []


def test_a_deck_link_that_closes_early_is_escaped_in_the_confirmation(slack_app: SlackApp) -> None:
    meeting_id = materialise(slack_app)
    button(slack_app, ids.BTN_DECK_SHARED, meeting_id, user=DECK)
    modal = slack_app.modal()

    slack_app.submit(modal, {"link": url_input("https://drive.example/deck><!channel>")}, user=DECK)

    reply = slack_app.reply(DECK)
    everything = reply.text + str(reply.blocks)
    assert "<!channel" not in everything
    assert "<https://drive.example/deck&gt;&lt;!channel|Ouvrir le support>" in reply.text
    with Session(slack_app.engine) as session:
        assert session.exec(select(Meeting.deck_shared_at)).one() is not None
    slack_app.home(DECK)


def test_a_source_link_is_escaped_where_the_item_is_shown(slack_app: SlackApp) -> None:
    item = ActionItem(
        id=7,
        title="Relancer",
        owner=MARIE,
        creator=CHAIR,
        due=date(2027, 3, 19),
        source_link="https://x.slack.com/archives/C1/p1><!channel>",
    )

    text = render("fr", "action_item", action=item, title="Relancer", tz="Europe/Paris", labels=labels("fr"))

    assert "<!channel" not in text and "&lt;!channel&gt;|message source>" in text
