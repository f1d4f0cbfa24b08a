"""The error wording lives in templates/<locale>/errors_*.yaml: both languages say the same things."""

from __future__ import annotations

import string

import pytest

from bot.text.errors import LOCALES, InvalidInput, NotFound, catalogue, text


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_french_and_english_have_the_same_keys_and_placeholders() -> None:
    french, english = catalogue("fr"), catalogue("en")
    assert french.keys() == english.keys()
    assert {k: placeholders(v) for k, v in french.items()} == {k: placeholders(v) for k, v in english.items()}
    assert set(LOCALES) == {"fr", "en"}


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "Je ne comprends pas la date « lundi 32 »"), ("en", "I can't read “lundi 32” as a date")],
)
def test_an_error_reads_its_wording_from_the_templates(locale: str, expected: str) -> None:
    assert text("invalid_date", locale, text="lundi 32").startswith(expected)
    assert InvalidInput(key="invalid_date", text="lundi 32").in_locale(locale).startswith(expected)


def test_meeting_errors_are_in_the_same_catalogue() -> None:
    error = NotFound(key="no_meeting_on", locale="en", committee="prod", date="2027-01-19", upcoming="—")
    assert error.message and "{" not in error.message
