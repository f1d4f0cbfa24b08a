"""Typed domain errors, and the wording of every message they carry (French and English).

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
from typing import Any, ClassVar

from bot.text.meeting_errors import MEETING_MESSAGES
from bot.text.render import normalize_locale

# Every user-facing error text, by key then locale. Placeholders are str.format fields; values
# are plain strings (the raiser formats dates and ids). Slack mrkdwn: `code` shows the syntax.
MESSAGES: dict[str, dict[str, str]] = {
    # --- dates -------------------------------------------------------------------------------
    "invalid_date": {
        "fr": "Je ne comprends pas la date « {text} ». Écrivez par exemple `2027-03-19`, `19/03`, "
        "`vendredi`, `demain`, `dans 3 jours` ou `fin du mois`.",
        "en": "I can't read “{text}” as a date. Write for example `2027-03-19`, `19/03`, "
        "`friday`, `tomorrow`, `in 3 days` or `end of month`.",
    },
    "date_in_past": {
        "fr": "La date {date} est déjà passée (nous sommes le {today}). Choisissez aujourd'hui ou plus "
        "tard, par exemple `vendredi` ou `fin du mois`.",
        "en": "{date} is already past (today is {today}). Pick today or later, for example "
        "`friday` or `end of month`.",
    },
    "date_in_past_no_year": {
        "fr": "« {text} » est déjà passé : c'était le {date} (nous sommes le {today}). "
        "Si vous pensiez à l'an prochain, écrivez l'année : `{next}`.",
        "en": "“{text}” is already past: it was {date} (today is {today}). "
        "If you meant next year, write the year: `{next}`.",
    },
    "impossible_date": {
        "fr": "« {text} » n'existe pas : ce mois n'a que {days} jours. Vérifiez le jour ou le mois.",
        "en": "“{text}” does not exist: that month has only {days} days. Check the day or the month.",
    },
    "impossible_date_february": {
        "fr": "« {text} » n'existe pas : février n'a que 28 jours (29 les années bissextiles). "
        "Vérifiez le jour ou le mois.",
        "en": "“{text}” does not exist: February has only 28 days (29 in leap years). "
        "Check the day or the month.",
    },
    "snooze_not_future": {
        "fr": "Les relances ne peuvent être suspendues que jusqu'à une date après aujourd'hui ({today}) : "
        "{date} ne convient pas. Par exemple `/action snooze A12 lundi`.",
        "en": "Reminders can only be muted until a date after today ({today}): {date} won't do. "
        "For example `/action snooze A12 monday`.",
    },
    "postpone_not_later": {
        "fr": "Reporter l'échéance, c'est la repousser : la nouvelle date doit venir après l'actuelle "
        "({due}) ; {date} ne convient pas. Pour la corriger autrement, utilisez `/action edit {action}`.",
        "en": "Postponing moves the due date later: the new date must come after the current one "
        "({due}); {date} won't do. To correct it otherwise, use `/action edit {action}`.",
    },
    "away_in_past": {
        "fr": "La date de retour {date} est passée (nous sommes le {today}). "
        "Écrivez `/action away until 2027-04-01`, ou `/action away off` si vous êtes de retour.",
        "en": "The return date {date} is past (today is {today}). "
        "Write `/action away until 2027-04-01`, or `/action away off` if you are back.",
    },
    "unknown_snooze_choice": {
        "fr": "Report inconnu « {choice} » : choisissez 1 jour ouvré ou 1 semaine.",
        "en": "Unknown snooze “{choice}”: choose 1 business day or 1 week.",
    },
    # --- title, owner, priority, progress -----------------------------------------------------
    "title_empty": {
        "fr": "Le titre de l'action est vide. Écrivez ce qu'il faut faire, par exemple "
        "`/action add @marie Relancer le plan de renfort d'ici vendredi`.",
        "en": "The action's title is empty. Say what must be done, for example "
        "`/action add @marie Follow up the staffing plan by friday`.",
    },
    "title_too_long": {
        "fr": "Le titre fait {length} caractères ; le maximum est {limit}. Raccourcissez-le et mettez "
        "les détails dans un lien ou un fil.",
        "en": "The title is {length} characters long; the limit is {limit}. Shorten it and put the "
        "details in a link or a thread.",
    },
    "broadcast_mention": {
        "fr": "Les mentions @channel, @here et @everyone ne sont pas permises dans une action : chaque "
        "relance notifierait tout le canal. Nommez un seul responsable, par exemple `@marie`.",
        "en": "@channel, @here and @everyone are not allowed in an action item: every reminder would "
        "notify the whole channel. Name one owner instead, for example `@marie`.",
    },
    "invalid_owner": {
        "fr": "« {value} » n'est pas un utilisateur Slack. Mentionnez le responsable avec @, "
        "par exemple `@marie`.",
        "en": "“{value}” is not a Slack user. Mention the owner with @, for example `@marie`.",
    },
    "owner_deactivated": {
        "fr": "Le compte Slack de <@{user}> est désactivé : choisissez un autre responsable.",
        "en": "<@{user}>'s Slack account is deactivated: choose another owner.",
    },
    "two_priorities": {
        "fr": "Une seule priorité par action : `!high`, `!medium` ou `!low` "
        "(ou `!haute`, `!moyenne`, `!basse`).",
        "en": "One priority per action item: `!high`, `!medium` or `!low` "
        "(or `!haute`, `!moyenne`, `!basse`).",
    },
    "unknown_priority": {
        "fr": "Priorité inconnue « {value} ». Écrivez `!high`, `!medium` ou `!low` "
        "(ou `!haute`, `!moyenne`, `!basse`), par exemple `/action add @marie Relancer le plan vendredi !high`.",
        "en": "Unknown priority “{value}”. Write `!high`, `!medium` or `!low` "
        "(or `!haute`, `!moyenne`, `!basse`), for example `/action add @marie Follow up the plan by friday !high`.",
    },
    "invalid_priority": {
        "fr": "Priorité inconnue « {value} » : utilisez high, medium ou low.",
        "en": "Unknown priority “{value}”: use high, medium or low.",
    },
    "invalid_status": {
        "fr": "Statut inconnu « {value} » : utilisez open, in_progress, done ou cancelled.",
        "en": "Unknown status “{value}”: use open, in_progress, done or cancelled.",
    },
    "invalid_progress": {
        "fr": "L'avancement est un pourcentage entier de 0 à 100 ; « {value} » n'en est pas un.",
        "en": "Progress is a whole percentage from 0 to 100; “{value}” is not.",
    },
    "action_closed_done": {
        "fr": "L'action {action} est terminée. Pour la modifier, rouvrez-la d'abord : `/action edit {action}` "
        "ouvre « Mettre à jour l'avancement », choisissez le statut open ou in_progress.",
        "en": "Action {action} is done. To change it, first reopen it: `/action edit {action}` "
        "opens “Update progress”; choose the status open or in_progress.",
    },
    "action_closed_cancelled": {
        "fr": "L'action {action} est annulée. Pour la modifier, rouvrez-la d'abord : `/action edit {action}` "
        "ouvre « Mettre à jour l'avancement », choisissez le statut open ou in_progress.",
        "en": "Action {action} is cancelled. To change it, first reopen it: `/action edit {action}` "
        "opens “Update progress”; choose the status open or in_progress.",
    },
    # --- commands -----------------------------------------------------------------------------
    "unknown_subcommand": {
        "fr": "Je ne connais pas `/action {name}`. Commandes possibles :\n{usage}",
        "en": "I don't know `/action {name}`. You can use:\n{usage}",
    },
    "command_syntax": {
        "fr": "Syntaxe : {syntax}",
        "en": "Usage: {syntax}",
    },
    # One line per subcommand; ``usage`` lists them all (``/action help``).
    "usage_modal": {"fr": "`/action` : ouvrir le formulaire", "en": "`/action`: open the form"},
    "usage_add": {
        "fr": "`/action add @marie Relancer le plan d'ici vendredi !high`",
        "en": "`/action add @marie Follow up the staffing plan by friday !high`",
    },
    "usage_list": {
        "fr": "`/action list [mine|overdue|all|@quelqu'un]`",
        "en": "`/action list [mine|overdue|all|@someone]`",
    },
    "usage_done": {"fr": "`/action done A12`", "en": "`/action done A12`"},
    "usage_postpone": {
        "fr": "`/action postpone A12 2027-04-02` : reporter l'échéance (nouvelle date)",
        "en": "`/action postpone A12 2027-04-02`: postpone (a new due date)",
    },
    "usage_snooze": {
        "fr": "`/action snooze A12 lundi` : suspendre les relances jusqu'à lundi (l'échéance reste)",
        "en": "`/action snooze A12 monday`: mute reminders until monday (the due date stays)",
    },
    "usage_assign": {"fr": "`/action assign A12 @paul`", "en": "`/action assign A12 @paul`"},
    "usage_edit": {"fr": "`/action edit A12`", "en": "`/action edit A12`"},
    "usage_away": {
        "fr": "`/action away until 2027-04-01` ou `/action away off`",
        "en": "`/action away until 2027-04-01` or `/action away off`",
    },
    "usage_help": {"fr": "`/action help`", "en": "`/action help`"},
    "invalid_action_id": {
        "fr": "« {text} » n'est pas un numéro d'action. Écrivez-le comme `A12` (ou `12`).",
        "en": "“{text}” is not an action number. Write it like `A12` (or `12`).",
    },
    # --- permissions, lookups -----------------------------------------------------------------
    "permission_denied": {
        "fr": "Vous ne pouvez pas modifier l'action {action}. Seuls son responsable ({owner}), "
        "son créateur ({creator}), le président du comité ({chair}) et les administrateurs de "
        "l'espace de travail le peuvent.",
        "en": "You can't change action {action}. Only its owner ({owner}), its creator ({creator}), "
        "the committee chair ({chair}) and workspace admins can.",
    },
    "permission_denied_no_chair": {
        "fr": "Vous ne pouvez pas modifier l'action {action}. Seuls son responsable ({owner}), "
        "son créateur ({creator}) et les administrateurs de l'espace de travail le peuvent.",
        "en": "You can't change action {action}. Only its owner ({owner}), its creator ({creator}) "
        "and workspace admins can.",
    },
    "action_not_found": {
        "fr": "L'action {action} n'existe pas. `/action list all` affiche les actions ouvertes.",
        "en": "Action {action} does not exist. `/action list all` shows the open actions.",
    },
    "committee_not_found": {
        "fr": "Le comité n°{committee} n'existe pas.",
        "en": "Committee #{committee} does not exist.",
    },
    "meeting_not_found": {
        "fr": "La réunion n°{meeting} n'existe pas.",
        "en": "Meeting #{meeting} does not exist.",
    },
    "no_committee": {
        "fr": "Aucun comité n'est rattaché à ce canal. Utilisez cette commande dans le canal d'un "
        "comité, ou demandez à un administrateur de le déclarer (`committee-bot config import`).",
        "en": "No committee is attached to this channel. Use this command in a committee's channel, "
        "or ask an admin to declare one (`committee-bot config import`).",
    },
}


MESSAGES.update(MEETING_MESSAGES)  # the meeting flows' wording, in bot.text.meeting_errors

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
    return MESSAGES[key][normalize_locale(locale)].format(**values)


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
