"""Block Kit builders and typed payloads: Slack's limits, escaping, one place to parse."""

from __future__ import annotations

from datetime import date

import pytest
from slack_bolt import BoltResponse

from bot.action_items.modals import ActionForm, action_modal, notice_modal, progress_modal, reassign_modal
from bot.action_items.views import action_block, action_list, home_view, labels, pick_committee_blocks
from bot.run.app import KeptAck
from bot.slack.payloads import (
    ActionModal,
    ActionRef,
    ChangeForm,
    InvalidPayload,
    PendingCommand,
    PickCommittee,
    SnoozeRef,
    dump,
    dump_pending,
    load,
)
from storage.models import ActionItem, Committee


def item(n: int = 12, *, title: str = "Relancer le plan", status: str = "open") -> ActionItem:
    return ActionItem(
        id=n,
        title=title,
        owner="U123",
        creator="U0CHAIR",
        due=date(2027, 3, 19),
        priority="high",
        status=status,
    )


def test_payloads_round_trip_compactly() -> None:
    for payload in (
        ActionRef(action_id=12),
        SnoozeRef(action_id=12, choice="1w"),
        ActionModal(committee_id=3, channel="C0PROD"),
        PickCommittee(committee_id=4),
        ChangeForm(action_id=5),
    ):
        text = dump(payload)
        assert load(type(payload), text) == payload
    assert dump(ActionRef(action_id=12)) == '{"t":"a","action_id":12}'
    assert "null" not in dump(ActionModal(committee_id=3))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12",
        "A12",
        '{"t":"s","action_id":12,"choice":"1w"}',
        '{"t":"a","action_id":12,"extra":1}',
        '{"t":"a"}',
    ],
)
def test_foreign_payloads_are_refused(text: str) -> None:
    with pytest.raises(InvalidPayload):
        load(ActionRef, text)


def test_pending_command_is_cut_to_fit_a_block_id() -> None:
    block_id = dump_pending("add <@U123> " + "très long " * 100, "C0NONE")
    assert len(block_id) <= 255
    pending = load(PendingCommand, block_id)
    assert pending.channel == "C0NONE" and pending.text.startswith("add <@U123> très long")


def test_action_block_escapes_user_text_and_shows_the_due_date_token() -> None:
    [section, buttons] = action_block(item(title="<!channel> & <b>"), locale="en", tz="Europe/Paris")
    text = section.to_dict()["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;b&gt;" in text and "<!channel>" not in text
    assert "<!date^" in text and "|2027-03-19>" in text
    assert [e["action_id"] for e in buttons.to_dict()["elements"]] == [
        "action_done",
        "action_progress",
        "action_postpone",
        "action_mute",
        "action_reassign",
    ]
    labels = [e["text"]["text"] for e in buttons.to_dict()["elements"]]
    assert labels == ["Done", "Update progress", "Postpone", "Mute reminders", "Reassign"]
    french = action_block(item(title="x"), locale="fr", tz="Europe/Paris")[1].to_dict()
    assert [e["text"]["text"] for e in french["elements"]][2:4] == [
        "Reporter l'échéance",
        "Suspendre les relances",
    ]


def test_a_3000_char_title_keeps_the_section_within_3000_chars() -> None:
    [section, _] = action_block(item(title="&" * 3000), locale="fr", tz="UTC")
    assert len(section.to_dict()["text"]["text"]) <= 3000


def test_list_is_cut_with_and_n_more() -> None:
    blocks = [
        b.to_dict()
        for b in action_list(
            [item(n) for n in range(1, 21)], locale="en", tz="UTC", heading="*Open*", total=75
        )
    ]
    assert len(blocks) == 22 and blocks[-1]["elements"][0]["text"] == "… and 55 more."


def test_modal_titles_fit_24_chars_in_both_languages() -> None:
    for locale in ("fr", "en"):
        views = [
            action_modal(ActionModal(committee_id=1), locale=locale),
            action_modal(
                ActionModal(committee_id=1, action_id=3),
                locale=locale,
                form=ActionForm(title="x", owner="U1", due=date(2027, 3, 19)),
            ),
            progress_modal(item(), ChangeForm(action_id=12), locale=locale, tz="UTC"),
            reassign_modal(item(), ChangeForm(action_id=12), locale=locale, tz="UTC"),
            notice_modal("Non.", locale=locale),
        ]
        for view in views:
            assert len(view.to_dict()["title"]["text"]) <= 24
        assert set(labels(locale)) == set(labels("fr"))  # same labels in every language


def test_home_stays_within_100_blocks() -> None:
    view = home_view(
        locale="fr",
        tz="UTC",
        actions=[item(n) for n in range(1, 80)],
        minutes_owed=["a"] * 30,
        decks_owed=[],
        meetings=["m"],
    )
    blocks = view.to_dict()["blocks"]
    assert len(blocks) <= 100 and blocks[0]["text"]["text"] == "Mes actions ouvertes (79)"


def test_pick_committee_select_values_fit_slack_option_limits() -> None:
    committees = [
        Committee(
            id=n,
            key=f"k{n}",
            name=f"Comité {n} " + "x" * 100,
            kind="production",
            channel=f"C{n}",
            cadence="weekly",
            first=None,
            timezone="UTC",
            locale="fr",
            chair="U",
            secretary="U",
            deck_owner="U",
            feed_token=str(n),
        )
        for n in range(1, 120)
    ]  # type: ignore[arg-type]
    [_, picker] = [
        b.to_dict() for b in pick_committee_blocks(committees, locale="en", text="add x", channel="C0")
    ]
    options = picker["elements"][0]["options"]
    assert len(options) == 100 and all(
        len(o["value"]) <= 150 and len(o["text"]["text"]) <= 75 for o in options
    )


def test_kept_ack_survives_bolts_reset_after_a_late_error() -> None:
    ack = KeptAck()
    assert ack.response is None
    ack()
    answered = ack.response
    ack.response = None  # what Bolt's runner does when the listener raises after acking
    assert ack.response is answered
    ack.response = BoltResponse(status=200, body="{}")
    assert ack.response is not answered


@pytest.mark.parametrize(
    "status, shown", [("open", True), ("in_progress", True), ("done", False), ("cancelled", False)]
)
def test_snoozed_until_shows_only_on_an_item_still_open(status: str, shown: bool) -> None:
    action = item(status=status)
    action.snoozed_until = date(2027, 3, 26)
    text = str(action_block(action, locale="en", tz="Europe/Paris")[0].to_dict())
    assert ("reminders muted until" in text) is shown
