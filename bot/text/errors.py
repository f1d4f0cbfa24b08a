"""Typed domain errors, and the catalogue of their wording (templates/<locale>/errors_*.yaml).

The core raises these; one ``@app.error`` handler turns them into the friendly ephemeral reply (or, for
``InvalidInput`` with ``fields``, into a modal's field errors). An error built from a catalogue ``key``
knows its text in every locale, so the handler can answer in the reader's language with
``error.in_locale(locale)`` whatever locale the raiser had at hand; ``error.message`` is the text in
the locale given when raising (French by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache
from typing import Any, ClassVar

import yaml

from bot.text.render import LOCALES, TEMPLATES_DIR, normalize_locale

# Every user-facing error text lives in templates/<locale>/errors_*.yaml (one file per family),
# by key. Placeholders are str.format fields; values are plain strings (the raiser formats dates
# and ids). Slack mrkdwn: `code` shows the syntax.
ERROR_FILES = ("errors_actions.yaml", "errors_meetings.yaml", "errors_bounds.yaml")


@lru_cache(maxsize=len(LOCALES))
def catalogue(locale: str) -> dict[str, str]:
    """Every error text of ``locale`` (``fr`` or ``en``), by key."""
    texts: dict[str, str] = {}
    for name in ERROR_FILES:
        loaded = yaml.safe_load((TEMPLATES_DIR / locale / name).read_text(encoding="utf-8"))
        overlap = texts.keys() & loaded.keys()
        if overlap:
            raise ValueError(f"error keys defined twice in templates/{locale}: {sorted(overlap)}")
        texts.update(loaded)
    return texts


USAGE_KEYS = (
    "usage_modal",
    "usage_add",
    "usage_list",
    "usage_done",
    "usage_postpone",
    "usage_snooze",
    "usage_assign",
    "usage_edit",
    "usage_away",
    "usage_export",
    "usage_help",
)


@dataclass(frozen=True)
class Msg:
    """A catalogue text used as a parameter of another, rendered in the same locale."""

    key: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


@dataclass(frozen=True)
class Join:
    """Several catalogue texts used as one parameter, in the same locale: "a, b, c." (each part's
    final full stop dropped but the last one's)."""

    parts: tuple[Msg, ...]
    separator: str = ", "


def _param(value: Any, locale: str | None) -> Any:
    if isinstance(value, Msg):
        return text(value.key, locale, **value.params)
    if isinstance(value, Join):
        texts = [str(_param(part, locale)) for part in value.parts]
        return value.separator.join([t.rstrip(".") for t in texts[:-1]] + texts[-1:])
    return value


def text(key: str, locale: str | None = None, **params: Any) -> str:
    """The catalogue's text for ``key`` in ``locale`` (fr/en; anything else falls back to fr).

    ``usage`` is the list of every ``/action`` subcommand, one per line.
    """
    if key == "usage":
        return "\n".join("• " + text(usage_key, locale) for usage_key in USAGE_KEYS)
    values = {name: _param(value, locale) for name, value in params.items()}
    return catalogue(normalize_locale(locale))[key].format(**values)


class DomainError(Exception):
    """A failure the user caused or can fix; ``message`` is shown to them as is.

    Build it from a plain ``message`` or from a catalogue ``key`` (+ params), in which case
    ``in_locale`` answers in any language.
    """

    default_key: ClassVar[str | None] = None

    def __init__(
        self, message: str | None = None, *, key: str | None = None, locale: str | None = None, **params: Any
    ) -> None:
        if message is None:
            key = key or self.default_key
            if key is None:
                raise TypeError(f"{type(self).__name__} needs a message or a catalogue key")
        self.key = key
        self.params = params
        self.message = message if message is not None else text(key, locale, **params)  # type: ignore[arg-type]
        super().__init__(self.message)

    def in_locale(self, locale: str | None) -> str:
        """The message in ``locale`` when it came from the catalogue, else the message as raised."""
        if self.key is None:
            return self.message
        return text(self.key, locale, **self.params)


class InvalidInput(DomainError):
    """Bad user input: says what was wrong and how to write it. Nothing was changed.

    ``field`` names the input at fault (``title``, ``owner``, ``due``, ``priority``, ``status``,
    ``progress``, ``until``) so a modal can show the message under that field. Several at once:
    ``InvalidInput.combine(errors)``, or ``InvalidInput(fields={"due": "…", "title": "…"})`` with
    plain texts; ``fields`` maps each field to its message either way.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        field: str | None = None,
        fields: dict[str, str] | None = None,
        key: str | None = None,
        locale: str | None = None,
        **params: Any,
    ) -> None:
        if fields and message is None and key is None:
            message = "\n".join(fields.values())
        super().__init__(message, key=key, locale=locale, **params)
        self.field = field
        self.errors: list[InvalidInput] = [self]
        if fields:
            self.errors = [InvalidInput(text, field=name) for name, text in fields.items()]
            self.field = field or next(iter(fields))

    @classmethod
    def combine(cls, errors: Iterable[InvalidInput]) -> InvalidInput:
        """One error holding several (one per field): what a modal submission raises."""
        errors = list(errors)
        if not errors:
            raise ValueError("combine needs at least one error")
        if len(errors) == 1:
            return errors[0]
        combined = cls("\n".join(error.message for error in errors), field=errors[0].field)
        combined.errors = [leaf for error in errors for leaf in error.errors]
        return combined

    @property
    def fields(self) -> dict[str, str]:
        """``{field: message}`` for every error that names a field (in the raiser's locale); several
        errors about one field (the lines of a form) are joined one a line, in order."""
        return _by_field((error.field, error.message) for error in self.errors)

    def fields_in_locale(self, locale: str | None) -> dict[str, str]:
        return _by_field((error.field, error.in_locale(locale)) for error in self.errors)

    def in_locale(self, locale: str | None) -> str:
        if len(self.errors) > 1:
            return "\n".join(error.in_locale(locale) for error in self.errors)
        return super().in_locale(locale)


def _by_field(pairs: Iterable[tuple[str | None, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, message in pairs:
        if name:
            found[name] = f"{found[name]}\n{message}" if name in found else message
    return found


class PermissionDenied(DomainError):
    """The actor may not do this; the message says who may."""


class NotFound(DomainError):
    """What the user pointed at (an action id, a committee) does not exist."""


class NoCommittee(DomainError):
    """A committee command was used in a channel that belongs to no committee."""

    default_key = "no_committee"
