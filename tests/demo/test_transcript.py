"""Block Kit rendered as terminal text (bot/transcript.py)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

from bot.demo.transcript import (
    Names,
    Transcript,
    day_label,
    format_slack_date,
    render_blocks,
    render_mrkdwn,
    wrap,
)
from bot.slack import blocks as bk
from bot.text.render import slack_date, slack_day

NAMES = Names(
    users={"U06PILOTE1": "marie", "U06RESPSIT": "karim"},
    channels={"C06COPROD1": "comite-production"},
    timezone="Europe/Paris",
    locale="fr",
)
# 2027-01-05 10:00 Europe/Paris
MEETING = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)


def test_mentions_become_names_from_the_cast():
    assert render_mrkdwn("<@U06PILOTE1> et <@U06RESPSIT|karim.b>", NAMES) == "@marie et @karim"


def test_unknown_mention_keeps_its_label_or_id():
    assert render_mrkdwn("<@U0NOBODY|paul> <@U0NOBODY>", NAMES) == "@paul @U0NOBODY"


def test_channel_mentions_become_channel_names():
    assert (
        render_mrkdwn("dans <#C06COPROD1> et <#C0OTHER|ailleurs>", NAMES)
        == "dans #comite-production et #ailleurs"
    )


def test_date_token_reads_in_the_transcript_zone_and_language():
    token = slack_date(MEETING, fallback_tz="Europe/Paris")
    assert render_mrkdwn(f"Réunion du {token}", NAMES) == "Réunion du 5 janv. 2027 10:00"
    english = Names(timezone="Europe/Paris", locale="en")
    assert render_mrkdwn(token, english) == "Jan 5, 2027 10:00"


def test_date_token_fallback_mode_drops_the_transcript_zone():
    fallback = Names(timezone="Europe/Paris", locale="fr", dates="fallback")
    assert render_mrkdwn(slack_date(MEETING, fallback_tz="Europe/Paris"), fallback) == "2027-01-05 10:00"
    assert render_mrkdwn(slack_day(date(2027, 1, 19), "Europe/Paris"), fallback) == "2027-01-19"


def test_date_token_with_an_unknown_format_shows_the_fallback():
    assert render_mrkdwn("<!date^1798102800^{weird}|le 5 janvier>", NAMES) == "le 5 janvier"


def test_day_token_shows_the_day():
    assert render_mrkdwn(slack_day(date(2027, 1, 19), "Europe/Paris"), NAMES) == "19 janv. 2027"


def test_links_and_entities():
    text = "<https://deck.example/q1?a=1&amp;b=2|Support &amp; annexes> &lt;brouillon&gt; <https://x.example>"
    assert (
        render_mrkdwn(text, NAMES)
        == "Support & annexes (https://deck.example/q1?a=1&b=2) <brouillon> https://x.example"
    )


def test_broadcast_and_emoji():
    assert render_mrkdwn("<!here> :warning: :unknown_thing:", NAMES) == "@here ⚠ :unknown_thing:"


def test_format_slack_date_long_forms():
    assert (
        format_slack_date(MEETING, "{date_long}", timezone="Europe/Paris", locale="fr")
        == "mardi 5 janvier 2027"
    )
    assert (
        format_slack_date(MEETING, "{date_long} {time}", timezone="America/New_York", locale="en")
        == "Tuesday, January 5, 2027 04:00"
    )


def test_day_label():
    assert day_label(date(2027, 1, 4), "fr") == "lun. 04 janv. 2027"
    assert day_label(date(2027, 1, 4), "en") == "Mon 04 Jan 2027"


def test_section_with_button_accessory_context_and_actions():
    blocks = [
        bk.header("Ordre du jour"),
        bk.section(
            "*Comité de production* — <@U06PILOTE1>", accessory=bk.button("Ajouter un sujet", action_id="a")
        ),
        bk.divider(),
        bk.context("Échéance : " + slack_date(MEETING, fallback_tz="Europe/Paris")),
        bk.actions(
            bk.button("Fait", action_id="done", style="primary"),
            bk.button("Ouvrir", action_id="open", url="https://deck.example"),
        ),
    ]
    assert render_blocks(blocks, NAMES) == [
        "■ Ordre du jour",
        "*Comité de production* — @marie",
        "[ Ajouter un sujet ]",
        "┄" * 24,
        "  Échéance : 5 janv. 2027 10:00",
        "[ Fait ]  [ Ouvrir ↗ ]",
    ]


def test_section_fields_in_two_columns():
    block = {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Responsable*"},
            {"type": "mrkdwn", "text": "<@U06RESPSIT>"},
            {"type": "plain_text", "text": "Seul"},
        ],
    }
    lines = render_blocks([block], NAMES)
    assert lines[0].startswith("*Responsable*") and lines[0].endswith("@karim")
    assert lines[1] == "Seul"


def test_select_and_unknown_blocks():
    blocks = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "static_select",
                    "placeholder": {"type": "plain_text", "text": "Reporter"},
                    "action_id": "s",
                }
            ],
        },
        {"type": "video"},
    ]
    assert render_blocks(blocks, NAMES) == ["[ Reporter ▾ ]", "[video block]"]


def test_wrap_hangs_list_items():
    lines = wrap(["• " + "mot " * 30], 40)
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].startswith("• ") and all(line.startswith("  ") for line in lines[1:])


def test_transcript_lays_out_days_times_recipients_and_participants():
    out = io.StringIO()
    transcript = Transcript(out, NAMES, width=80)
    transcript.message(
        datetime(2027, 1, 4, 8, 0, tzinfo=UTC),
        to="C06COPROD1",
        kind="agenda_request",
        lines=["Ordre du jour", "[ Ajouter un sujet ]"],
    )
    transcript.participant(
        datetime(2027, 1, 4, 8, 12, tzinfo=UTC), "U06PILOTE1", "propose « Plan de renfort février »"
    )
    transcript.message(
        datetime(2027, 1, 5, 8, 0, tzinfo=UTC),
        to="D06RESPSIT",
        kind="deck_reminder",
        lines=["Le support est attendu"],
    )
    text = out.getvalue()
    assert "── lun. 04 janv. 2027 ─" in text
    assert (
        "09:00  #comite-production  (agenda_request)\n       Ordre du jour\n       [ Ajouter un sujet ]\n"
        in text
    )
    assert "09:12  @marie › propose « Plan de renfort février »\n" in text
    assert "── mar. 05 janv. 2027 ─" in text
    assert "09:00  @karim (DM)  (deck_reminder)\n" in text
    assert all(len(line) <= 80 for line in text.splitlines())
