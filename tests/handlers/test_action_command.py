"""``/action`` over real HTTP: every subcommand, and bad input refused ephemerally with nothing changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import database_env
from tests.support.slackapp import ANNA, CHAIR, MARIE, PAUL, PROD, QUAL, STRANGER, SlackApp, find_element

ROOT = Path(__file__).resolve().parents[2]


def cli_json(app: SlackApp, *args: str) -> object:
    env = {**os.environ, **database_env(app.database)}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "committee-bot"), *args],
        check=False,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.slow
def test_add_from_committee_channel_is_acked_fast_and_creates_the_item(slack_app: SlackApp) -> None:
    started = time.monotonic()
    answer = slack_app.command("add <@U123|marie> Relancer le plan de renfort d'ici vendredi !high")
    acked_in = time.monotonic() - started

    assert answer.status == 200 and acked_in < 3
    reply = slack_app.reply_text()
    [item] = slack_app.actions()
    assert (item.owner, item.due, item.priority, item.committee_id) == (
        MARIE,
        date(2027, 3, 19),
        "high",
        slack_app.committees["production"],
    )
    assert item.title == "Relancer le plan de renfort" and item.creator == CHAIR
    assert "A1" in reply and "|2027-03-19>" in reply and "Europe/Paris" in reply
    listed = cli_json(slack_app, "actions", "list", "--format", "json")
    assert [(row["id"], row["owner"], row["due"], row["priority"], row["committee"]) for row in listed] == [
        ("A1", MARIE, "2027-03-19", "high", "production")
    ]  # type: ignore[union-attr]


def test_a_second_mention_in_the_title_shows_as_a_mention_and_other_markup_stays_escaped(
    slack_app: SlackApp,
) -> None:
    slack_app.command("add <@U123|marie> Appeler <@U0PAUL|paul> & <b> pour le planning d'ici vendredi")
    reply = slack_app.reply_text()
    assert "Appeler <@U0PAUL> &amp; &lt;b&gt; pour le planning" in reply
    assert slack_app.actions()[0].title == "Appeler <@U0PAUL> & <b> pour le planning"


def test_add_in_the_users_own_zone_and_language(slack_app: SlackApp) -> None:
    # 09:00 in Paris is 04:00 in New York: still Tuesday there too, so "friday" is the 19th.
    slack_app.command("add <@U123> Send the staffing plan by friday", user=ANNA)
    reply = slack_app.reply_text(ANNA)
    [item] = slack_app.actions()
    assert item.due == date(2027, 3, 19)
    assert "created for" in reply and "committee's time zone: Europe/Paris" in reply
    assert slack_app.user(ANNA).tz == "America/New_York"  # type: ignore[union-attr]


def test_add_without_owner_or_due_opens_the_modal_prefilled(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> Relancer le plan de renfort !low")
    modal = slack_app.modal()
    blocks = {block["block_id"]: block for block in modal["blocks"]}
    assert modal["callback_id"] == "action_modal"
    assert blocks["title"]["element"]["initial_value"] == "Relancer le plan de renfort"
    assert blocks["owner"]["element"]["initial_user"] == MARIE
    assert "initial_date" not in blocks["due"]["element"]
    assert blocks["priority"]["element"]["initial_option"]["value"] == "low"
    assert "committee" not in blocks  # the channel's committee
    assert slack_app.actions() == []


def test_bare_command_opens_the_modal(slack_app: SlackApp) -> None:
    slack_app.command("")
    modal = slack_app.modal()
    assert modal["callback_id"] == "action_modal" and len(modal["title"]["text"]) <= 24
    assert json.loads(modal["private_metadata"])["committee_id"] == slack_app.committees["production"]


def test_list_scopes(slack_app: SlackApp) -> None:
    mine = slack_app.make_action(title="Le mien", owner=CHAIR)
    overdue = slack_app.make_action(title="En retard", owner=MARIE, due=date(2027, 3, 10))
    other = slack_app.make_action(title="Autre comité", owner=MARIE, committee="qualite")
    done = slack_app.make_action(title="Fini", owner=MARIE, status="done")

    slack_app.command("list")
    assert "Le mien" in (text := slack_app.reply_text()) and "En retard" not in text
    slack_app.command("list overdue")
    assert "En retard" in (text := slack_app.reply_text(after=1)) and "Le mien" not in text
    slack_app.command("list all")
    text = slack_app.reply_text(after=2)
    assert "Le mien" in text and "En retard" in text and "Autre comité" not in text and "Fini" not in text
    slack_app.command("list <@U123|marie>")
    text = slack_app.reply_text(after=3)
    assert (
        f"A{overdue}" in text
        and f"A{mine}" not in text
        and f"A{other}" not in text
        and f"A{done}" not in text
    )


def test_an_empty_list_says_so_on_its_own_line_in_both_languages(slack_app: SlackApp) -> None:
    slack_app.command("list")
    assert slack_app.reply().text == "*Vos actions ouvertes* (0)\nAucune action."
    slack_app.command("list overdue", user=ANNA)
    assert slack_app.reply(ANNA).text == "*Overdue action items* — Comité de production (0)\nNone."


def test_list_is_cut_within_slack_limits(slack_app: SlackApp) -> None:
    for n in range(25):
        slack_app.make_action(title=f"Tâche {n}", owner=CHAIR)
    slack_app.command("list mine")
    message = slack_app.reply()
    assert len(message.blocks) <= 50
    assert sum(block.get("block_id", "").startswith("item_") for block in message.blocks) == 20
    assert "et 5 de plus" in message.blocks[-1]["elements"][0]["text"]


def test_done(slack_app: SlackApp) -> None:
    item = slack_app.make_action()
    slack_app.command(f"done A{item}")
    assert "terminée" in slack_app.reply_text()
    assert slack_app.action(item).status == "done" and slack_app.action(item).progress == 100


def test_snooze_until_a_date(slack_app: SlackApp) -> None:
    item = slack_app.make_action()
    slack_app.command(f"snooze A{item} lundi")
    assert "relances suspendues" in slack_app.reply_text()
    assert slack_app.action(item).snoozed_until == date(2027, 3, 22)


def test_assign(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE)
    slack_app.command(f"assign A{item} <@U0PAUL|paul>")
    assert "<@U0PAUL>" in slack_app.reply_text()
    assert slack_app.action(item).owner == PAUL
    assert [c.field for c in slack_app.history(item)] == ["owner"]


def test_edit_opens_the_modal_prefilled(slack_app: SlackApp) -> None:
    item = slack_app.make_action(title="Relancer le plan", owner=MARIE)
    slack_app.command(f"edit A{item}")
    modal = slack_app.modal()
    blocks = {block["block_id"]: block for block in modal["blocks"]}
    assert blocks["title"]["element"]["initial_value"] == "Relancer le plan"
    assert blocks["owner"]["element"]["initial_user"] == MARIE
    assert blocks["due"]["element"]["initial_date"] == "2027-03-19"
    assert json.loads(modal["private_metadata"])["action_id"] == item


def test_a_done_item_can_be_reopened_the_way_the_refusal_says(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE, status="done")
    slack_app.command(f"snooze A{item} lundi", user=MARIE)
    assert f"`/action edit A{item}`" in slack_app.reply_text(MARIE)
    slack_app.command(f"edit A{item}", user=MARIE)
    modal = slack_app.modal()
    assert modal["callback_id"] == "progress_modal"
    slack_app.submit(
        modal,
        {
            "status": {"selected_option": {"value": "open"}},
            "progress": {"value": "50"},
            "comment": {"value": "Pas fini"},
        },
        user=MARIE,
    )
    slack_app.wait(lambda: slack_app.action(item).status == "open", what="the item reopened")


def test_away_until_and_off(slack_app: SlackApp) -> None:
    slack_app.command("away until 2027-04-01", user=MARIE)
    assert "absent jusqu'au" in slack_app.reply_text(MARIE)
    assert slack_app.user(MARIE).away_until == date(2027, 4, 1)  # type: ignore[union-attr]
    slack_app.command("away off", user=MARIE)
    assert "Bon retour" in slack_app.reply_text(MARIE, after=1)
    assert slack_app.user(MARIE).away_until is None  # type: ignore[union-attr]


def test_help_lists_every_subcommand(slack_app: SlackApp) -> None:
    slack_app.command("help")
    text = slack_app.reply_text()
    for word in ("add", "list", "done", "snooze", "assign", "edit", "away"):
        assert f"/action {word}" in text


# -- bad input: a clear ephemeral, nothing changed -------------------------------------------


def refused(app: SlackApp, text: str, *, user: str = CHAIR, channel: str = PROD) -> str:
    answer = app.command(text, user=user, channel=channel)
    assert answer.status == 200
    return app.reply_text(user)


def test_past_due_date_is_refused(slack_app: SlackApp) -> None:
    assert "déjà passée" in refused(slack_app, "add <@U123> Relancer le plan d'ici le 2027-03-01")
    assert slack_app.actions() == []


def test_unparseable_date_is_refused(slack_app: SlackApp) -> None:
    item = slack_app.make_action()
    assert "Je ne comprends pas la date" in refused(slack_app, f"snooze A{item} le jour des poissons volants")
    assert slack_app.action(item).snoozed_until is None


def test_unknown_id_is_refused(slack_app: SlackApp) -> None:
    assert "A999 n'existe pas" in refused(slack_app, "done A999")


def test_someone_elses_item_is_refused(slack_app: SlackApp) -> None:
    item = slack_app.make_action(owner=MARIE, creator=CHAIR)
    text = refused(slack_app, f"done A{item}", user=STRANGER)
    assert "Vous ne pouvez pas modifier" in text and "<@U0CHAIR>" in text
    assert slack_app.action(item).status == "open" and slack_app.history(item) == []


def test_title_over_3000_chars_is_refused(slack_app: SlackApp) -> None:
    assert "3001 caractères" in refused(slack_app, "add <@U123> " + "x" * 3001 + " d'ici vendredi")
    assert slack_app.actions() == []


def test_channel_mention_in_title_is_refused(slack_app: SlackApp) -> None:
    assert "@channel" in refused(slack_app, "add <@U123> Prévenir <!channel> du plan d'ici vendredi")
    assert slack_app.actions() == []


def test_a_misspelt_priority_is_refused_instead_of_landing_in_the_title(slack_app: SlackApp) -> None:
    text = refused(slack_app, "add <@U123> Relancer le plan d'ici vendredi !urgent")
    assert "« !urgent »" in text and "`!high`" in text
    assert slack_app.actions() == []
    text = refused(slack_app, "add <@U123> Send the plan by friday !hight", user=ANNA)
    assert "“!hight”" in text and "`!high`" in text
    assert slack_app.actions() == []


def test_unknown_subcommand_shows_usage(slack_app: SlackApp) -> None:
    text = refused(slack_app, "frobnicate A1")
    assert "/action frobnicate" in text and "/action list" in text


def test_channel_without_committee_offers_to_pick_one(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> Relancer le plan d'ici vendredi", channel="C0NONE")
    offer = slack_app.reply()
    assert "Aucun comité" in offer.text and slack_app.actions() == []
    block, select = find_element(offer.blocks, "pick_committee")
    assert [o["text"]["text"] for o in select["options"]] == ["Comité de production", "Comité qualité"]

    slack_app.click(block, select, user=CHAIR, channel="C0NONE", option=1)
    modal = slack_app.modal()
    blocks = {b["block_id"]: b for b in modal["blocks"]}
    assert json.loads(modal["private_metadata"])["committee_id"] == slack_app.committees["qualite"]
    assert blocks["owner"]["element"]["initial_user"] == MARIE
    assert blocks["due"]["element"]["initial_date"] == "2027-03-19"
    assert blocks["title"]["element"]["initial_value"] == "Relancer le plan"
    slack_app.wait(lambda: offer.deleted, what="the picker to go")

    answer = slack_app.submit(
        modal,
        {
            "title": {"value": "Relancer le plan"},
            "owner": {"selected_user": MARIE},
            "due": {"selected_date": "2027-03-19"},
            "priority": {"selected_option": {"value": "medium"}},
        },
        user=CHAIR,
    )
    assert answer.status == 200 and answer.body == ""
    [item] = slack_app.wait(slack_app.actions)
    assert item.committee_id == slack_app.committees["qualite"]
    assert QUAL  # the qualite committee lives in its own channel, not in C0NONE


def test_add_without_title_opens_the_modal_with_what_was_given(slack_app: SlackApp) -> None:
    slack_app.command("add <@U123> d'ici vendredi")
    blocks = {block["block_id"]: block for block in slack_app.modal()["blocks"]}
    assert "initial_value" not in blocks["title"]["element"]
    assert (
        blocks["owner"]["element"]["initial_user"] == MARIE
        and blocks["due"]["element"]["initial_date"] == "2027-03-19"
    )
    assert slack_app.actions() == []
