"""The /action grammar: owner, due date, priority and title of `/action add`, subcommands, ids, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.commands import parse_action_id, parse_command
from bot.core.dates import parse_date
from bot.core.parsing import parse_add, plain_text
from bot.text.errors import InvalidInput, NoCommittee, text

PARIS = "Europe/Paris"
LOS_ANGELES = "America/Los_Angeles"
# Wednesday 17 March 2027, 10:00 in Paris; and the Friday of the same week.
WEDNESDAY = datetime(2027, 3, 17, 10, 0, tzinfo=ZoneInfo(PARIS))
FRIDAY = datetime(2027, 3, 19, 10, 0, tzinfo=ZoneInfo(PARIS))
# Wednesday 22:30 in Los Angeles is already Thursday 06:30 in Paris.
LA_LATE_WEDNESDAY = datetime(2027, 3, 17, 22, 30, tzinfo=ZoneInfo(LOS_ANGELES))


def add(text: str, now: datetime = WEDNESDAY, tz: str = PARIS, locale: str = "fr"):
    return parse_add(text, now=now, tz=tz, locale=locale)


def test_add_reads_owner_title_due_and_priority():
    draft = add("<@U123|marie> Relancer le plan de renfort d'ici vendredi !high")
    assert draft.owner == "U123"
    assert draft.title == "Relancer le plan de renfort"
    assert draft.due == date(2027, 3, 19)
    assert draft.priority == "high"
    assert draft.missing == []


@pytest.mark.parametrize(
    "phrase, due",
    [
        # explicit forms
        ("by 2027-03-19", date(2027, 3, 19)),
        ("due:2027-03-19", date(2027, 3, 19)),
        ("19/03", date(2027, 3, 19)),
        ("19/03/2027", date(2027, 3, 19)),
        ("17/03", date(2027, 3, 17)),  # today still counts
        ("10/01/2028", date(2028, 1, 10)),
        ("le 20 mars", date(2027, 3, 20)),
        ("by march 20th", date(2027, 3, 20)),
        # French
        ("d'ici vendredi", date(2027, 3, 19)),
        ("d’ici vendredi", date(2027, 3, 19)),
        ("avant vendredi", date(2027, 3, 19)),
        ("vendredi", date(2027, 3, 19)),
        ("vendredi prochain", date(2027, 3, 19)),
        ("lundi", date(2027, 3, 22)),
        ("mercredi", date(2027, 3, 24)),  # a bare weekday is the coming one, never today
        ("demain", date(2027, 3, 18)),
        ("après-demain", date(2027, 3, 19)),
        ("dans 3 jours", date(2027, 3, 20)),
        ("dans deux semaines", date(2027, 3, 31)),
        ("dans quinze jours", date(2027, 4, 1)),
        ("semaine prochaine", date(2027, 3, 24)),
        ("le mois prochain", date(2027, 4, 17)),
        ("d'ici la semaine prochaine", date(2027, 3, 24)),
        ("fin du mois", date(2027, 3, 31)),
        ("fin du mois prochain", date(2027, 4, 30)),
        ("fin de semaine", date(2027, 3, 19)),
        ("pour fin avril", date(2027, 4, 30)),
        # English
        ("by friday", date(2027, 3, 19)),
        ("friday", date(2027, 3, 19)),
        ("tomorrow", date(2027, 3, 18)),
        ("next week", date(2027, 3, 24)),
        ("in 2 weeks", date(2027, 3, 31)),
        ("in a fortnight", date(2027, 3, 31)),
        ("end of month", date(2027, 3, 31)),
        ("end of week", date(2027, 3, 19)),
        ("by end of next week", date(2027, 3, 26)),
    ],
)
def test_add_due_date_phrases_on_a_wednesday(phrase, due):
    draft = add(f"<@U1> Relancer le plan de renfort {phrase}")
    assert (draft.due, draft.title) == (due, "Relancer le plan de renfort")


@pytest.mark.parametrize(
    "phrase, due",
    [
        ("by friday", date(2027, 3, 26)),  # said on a Friday: next week's
        ("d'ici vendredi", date(2027, 3, 26)),
        ("vendredi", date(2027, 3, 26)),
        ("lundi", date(2027, 3, 22)),
        ("demain", date(2027, 3, 20)),
        ("fin de semaine", date(2027, 3, 19)),
        ("end of week", date(2027, 3, 19)),
        ("19/03", date(2027, 3, 19)),
        ("fin du mois", date(2027, 3, 31)),
        ("in 3 days", date(2027, 3, 22)),
    ],
)
def test_add_due_date_phrases_on_a_friday(phrase, due):
    assert add(f"<@U1> Envoyer le support {phrase}", now=FRIDAY).due == due


def test_add_month_end_and_day_month_roll_over_the_year():
    december = datetime(2027, 12, 20, 9, 0, tzinfo=ZoneInfo(PARIS))
    assert add("<@U1> Bilan fin du mois prochain", now=december).due == date(2028, 1, 31)
    assert add("<@U1> Bilan 19/03", now=december).due == date(2028, 3, 19)
    assert add("<@U1> Bilan fin janvier", now=december).due == date(2028, 1, 31)


@pytest.mark.parametrize(
    "phrase, in_los_angeles, in_paris",
    [
        ("demain", date(2027, 3, 18), date(2027, 3, 19)),
        ("tomorrow", date(2027, 3, 18), date(2027, 3, 19)),
        ("aujourd'hui", date(2027, 3, 17), date(2027, 3, 18)),
        ("dans 3 jours", date(2027, 3, 20), date(2027, 3, 21)),
        ("vendredi", date(2027, 3, 19), date(2027, 3, 19)),
        ("jeudi", date(2027, 3, 18), date(2027, 3, 25)),
    ],
)
def test_add_reads_relative_dates_in_the_users_time_zone(phrase, in_los_angeles, in_paris):
    assert add(f"<@U1> Appeler le site {phrase}", now=LA_LATE_WEDNESDAY, tz=LOS_ANGELES).due == in_los_angeles
    assert add(f"<@U1> Appeler le site {phrase}", now=LA_LATE_WEDNESDAY, tz=PARIS).due == in_paris


def test_add_today_in_los_angeles_is_already_past_in_paris():
    assert add("<@U1> Appeler due:2027-03-17", now=LA_LATE_WEDNESDAY, tz=LOS_ANGELES).due == date(2027, 3, 17)
    with pytest.raises(InvalidInput):
        add("<@U1> Appeler due:2027-03-17", now=LA_LATE_WEDNESDAY, tz=PARIS)


@pytest.mark.parametrize(
    "text, priority",
    [
        ("x !high", "high"),
        ("x !medium", "medium"),
        ("x !low", "low"),
        ("x !haute", "high"),
        ("x !moyenne", "medium"),
        ("x !basse", "low"),
        ("!HIGH x", "high"),
        ("x", "medium"),
    ],
)
def test_add_priority(text, priority):
    assert add(text).priority == priority


@pytest.mark.parametrize(
    "text, title",
    [
        ("Préparer la réunion de lundi", "Préparer la réunion de lundi"),
        ("Préparer le budget pour le comité", "Préparer le budget pour le comité"),
        ("Friday meeting prep", "Friday meeting prep"),
        ("Reviewed by Paul Martin", "Reviewed by Paul Martin"),
        ("Plan de formation pour mars 2027", "Plan de formation pour mars 2027"),
        ("Revoir le mode de calcul du taux de décroché", "Revoir le mode de calcul du taux de décroché"),
    ],
)
def test_add_leaves_title_words_that_merely_look_like_dates(text, title):
    draft = add(f"<@U1> {text}")
    assert (draft.title, draft.due, draft.missing) == (title, None, ["due"])


def test_add_keeps_a_fraction_in_the_title_when_the_due_date_is_introduced():
    draft = add("Fix ratio 3/4 for team by friday <@U1>")
    assert (draft.title, draft.due) == ("Fix ratio 3/4 for team", date(2027, 3, 19))


def test_add_leading_date_with_punctuation():
    draft = add("Demain : appeler Paul <@U1>")
    assert (draft.title, draft.due) == ("appeler Paul", date(2027, 3, 18))


def test_add_unescapes_slack_text_and_keeps_other_mentions_plain():
    draft = add("<@U1> Revoir Q&amp;A &lt;v2&gt; avec <@U2|paul> by friday")
    assert draft.title == "Revoir Q&A <v2> avec <@U2>"
    assert draft.owner == "U1"


@pytest.mark.parametrize(
    "text, missing",
    [
        ("Relancer le plan", ["owner", "due"]),
        ("<@U1> Relancer le plan", ["due"]),
        ("Relancer le plan by friday", ["owner"]),
        ("<@U1> by friday", ["title"]),
        ("", ["owner", "due", "title"]),
    ],
)
def test_add_lists_what_the_modal_must_ask(text, missing):
    assert add(text).missing == missing


@pytest.mark.parametrize(
    "text, field",
    [
        ("<@U1> Relancer by 2027-03-10", "due"),  # past
        ("<@U1> Relancer 16/03/2027", "due"),  # past, with its year
        ("<@U1> Relancer 16/03", "due"),  # past lately, without a year: never next year's silently
        ("<@U1> Relancer d'ici le 15 février", "due"),
        ("<@U1> Relancer fin février", "due"),
        ("<@U1> Relancer 31/02", "due"),  # impossible, at the end of the text: not left in the title
        ("31/04 : <@U1> Relancer", "due"),
        ("<@U1> Relancer hier d'ici 2027-01-01", "due"),
        ("<@U1> Relancer due:32/13", "due"),
        ("<@U1> Relancer due:bientôt", "due"),
        ("<@U1> Relancer by 31/04", "due"),
        ("<@U1> Relancer by 2027-02-30", "due"),
        ("<@U1> Prévenir <!channel> d'ici vendredi", "title"),
        ("<@U1> Prévenir <!here|here> d'ici vendredi", "title"),
        ("<@U1> Prévenir <!everyone> d'ici vendredi", "title"),
        ("<@U1> Prévenir @channel d'ici vendredi", "title"),
        ("<@U1> Prévenir @here", "title"),
        ("<@U1> Prévenir @everyone", "title"),
        ("<@U1> x !high !low", "priority"),
        ("<@U1> x by friday !urgent", "priority"),
        ("<@U1> x !haut by friday", "priority"),
        ("<@U1> " + "x" * 3001 + " by friday", "title"),
    ],
)
def test_add_refuses_what_a_modal_cannot_fix(text, field):
    with pytest.raises(InvalidInput) as raised:
        add(text)
    assert raised.value.field == field


def test_add_accepts_a_title_of_exactly_3000_characters():
    assert len(add("<@U1> " + "x" * 3000 + " by friday").title) == 3000


def test_add_error_messages_in_french_and_english_give_the_syntax():
    with pytest.raises(InvalidInput) as fr:
        add("<@U1> Relancer due:32/13", locale="fr")
    with pytest.raises(InvalidInput) as en:
        add("<@U1> Relancer due:32/13", locale="en")
    assert (
        "32/13" in fr.value.message and "`2027-03-19`" in fr.value.message and "vendredi" in fr.value.message
    )
    assert "32/13" in en.value.message and "`2027-03-19`" in en.value.message and "friday" in en.value.message
    assert fr.value.in_locale("en") == en.value.message


def test_past_date_message_names_the_date_and_today():
    with pytest.raises(InvalidInput) as raised:
        add("<@U1> Relancer by 2027-03-10", locale="en")
    assert "2027-03-10" in raised.value.message and "2027-03-17" in raised.value.message


@pytest.mark.parametrize(
    "text, day",
    [
        ("lundi", date(2027, 3, 22)),
        ("friday", date(2027, 3, 19)),
        ("until friday", date(2027, 3, 19)),
        ("jusqu'au 20 mars", date(2027, 3, 20)),
        ("2027-04-01", date(2027, 4, 1)),
        ("01/04", date(2027, 4, 1)),
        ("dans 2 semaines", date(2027, 3, 31)),
        ("fin du mois", date(2027, 3, 31)),
    ],
)
def test_parse_date(text, day):
    assert parse_date(text, now=WEDNESDAY, tz=PARIS) == day


@pytest.mark.parametrize("text", ["", "bientôt", "32/13", "2027-03-16", "5"])
def test_parse_date_refuses_non_dates_and_past_dates(text):
    with pytest.raises(InvalidInput):
        parse_date(text, now=WEDNESDAY, tz=PARIS, locale="en")


@pytest.mark.parametrize("text", ["A12", "a12", "#12", "12", "#A12", " A12 "])
def test_parse_action_id(text):
    assert parse_action_id(text) == 12


@pytest.mark.parametrize("text", ["", "A", "B12", "12a", "A-1", "0", "A1.5"])
def test_parse_action_id_refuses_other_text(text):
    with pytest.raises(InvalidInput) as raised:
        parse_action_id(text, locale="en")
    assert "A12" in raised.value.message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", {"name": "modal"}),
        ("   ", {"name": "modal"}),
        ("help", {"name": "help"}),
        ("HELP", {"name": "help"}),
        ("add <@U1> Relancer d'ici vendredi", {"name": "add", "text": "<@U1> Relancer d'ici vendredi"}),
        ("list", {"name": "list", "scope": "mine"}),
        ("list mine", {"name": "list", "scope": "mine"}),
        ("list overdue", {"name": "list", "scope": "overdue"}),
        ("list all", {"name": "list", "scope": "all"}),
        ("list <@U2|paul>", {"name": "list", "scope": "user", "user": "U2"}),
        ("done A12", {"name": "done", "action_id": 12}),
        ("done #7", {"name": "done", "action_id": 7}),
        ("edit a3", {"name": "edit", "action_id": 3}),
        ("snooze A12 lundi prochain", {"name": "snooze", "action_id": 12, "text": "lundi prochain"}),
        ("assign A12 <@U2|paul>", {"name": "assign", "action_id": 12, "user": "U2"}),
        ("assign 12 <@W9>", {"name": "assign", "action_id": 12, "user": "W9"}),
        ("away until 2027-04-01", {"name": "away", "text": "2027-04-01"}),
        ("away jusqu'au 1er avril", {"name": "away", "text": "1er avril"}),
        ("away off", {"name": "away", "away_off": True}),
    ],
)
def test_parse_command(text, expected):
    command = parse_command(text)
    for name, value in expected.items():
        assert getattr(command, name) == value


@pytest.mark.parametrize(
    "text, syntax",
    [
        ("done", "/action done A12"),
        ("done A1 A2", "/action done A12"),
        ("edit", "/action edit A12"),
        ("snooze A12", "/action snooze A12"),
        ("assign A12", "/action assign A12 @paul"),
        ("assign A12 paul", "@"),
        ("list everything", "/action list"),
        ("away", "/action away until"),
        ("done B7", "A12"),
    ],
)
def test_parse_command_errors_give_the_syntax(text, syntax):
    with pytest.raises(InvalidInput) as raised:
        parse_command(text, locale="en")
    assert syntax in raised.value.message


def test_unknown_subcommand_lists_every_subcommand_in_both_languages():
    with pytest.raises(InvalidInput) as raised:
        parse_command("fly A12")
    for subcommand in ("add", "list", "done", "snooze", "assign", "edit", "away", "help"):
        assert f"/action {subcommand}" in raised.value.message
        assert f"/action {subcommand}" in raised.value.in_locale("en")
    assert raised.value.message.startswith("Je ne connais pas `/action fly`")
    assert raised.value.in_locale("en").startswith("I don't know `/action fly`")


def test_combined_input_errors_keep_one_message_per_field():
    title = InvalidInput(key="title_empty", field="title")
    due = InvalidInput(key="invalid_date", field="due", text="32/13")
    combined = InvalidInput.combine([title, due])
    assert set(combined.fields) == {"title", "due"}
    assert combined.fields_in_locale("en")["due"].startswith("I can't read “32/13”")
    assert combined.fields_in_locale("fr")["title"] == text("title_empty", "fr")


def test_no_committee_carries_its_own_message():
    error = NoCommittee()
    assert "comité" in error.message
    assert "committee" in error.in_locale("en")


def test_input_error_built_from_plain_field_texts():
    error = InvalidInput(fields={"due": "bad due", "title": "bad title"})
    assert error.fields == {"due": "bad due", "title": "bad title"}
    assert error.message == "bad due\nbad title"


def test_plain_text_undoes_slacks_escaping_for_a_prefilled_input():

    escaped = "R&amp;D &lt;x&gt; <@U1|marie> <@U2> <#C1|prod> <https://a.example/p|doc> <https://a.example>"
    assert plain_text(escaped) == "R&D <x> @marie <@U2> #prod doc (https://a.example/p) https://a.example"


def test_a_past_day_and_month_without_a_year_is_refused_saying_when_it_was_and_how_to_mean_next_year():
    with pytest.raises(InvalidInput) as raised:
        parse_add("<@U1> Relancer 15/11", now=datetime(2026, 12, 3, 9, tzinfo=UTC), tz="Europe/Paris")
    assert raised.value.key == "date_in_past_no_year"
    assert "2026-11-15" in raised.value.message and "`15/11/2027`" in raised.value.message
    english = raised.value.in_locale("en")
    assert "already past" in english and "15/11/2027" in english


def test_an_impossible_date_is_refused_with_the_reason():
    with pytest.raises(InvalidInput) as raised:
        add("<@U1> Relancer le plan 31/02")
    assert raised.value.field == "due" and "février n'a que 28 jours" in raised.value.message
    with pytest.raises(InvalidInput) as raised:
        add("<@U1> Relancer le plan d'ici le 31/04")
    assert "n'a que 30 jours" in raised.value.message
