"""The action tracker's columns and words, in French and English (SPEC §11).

Export writes the headers and the priority/status words in one locale; import recognises a header
or a word in either, case and accents ignored (``Échéance``, ``echeance`` and ``due`` are the same
column; ``En cours`` and ``in_progress`` the same status).
"""

from __future__ import annotations

import unicodedata

from storage.models import ActionStatus, Priority

# Column key -> header written on export, by locale.
HEADERS: dict[str, dict[str, str]] = {
    "id": {"en": "id", "fr": "id"},
    "committee": {"en": "committee", "fr": "comité"},
    "title": {"en": "title", "fr": "intitulé"},
    "owner": {"en": "owner", "fr": "responsable"},
    "owner_id": {"en": "owner_id", "fr": "owner_id"},
    "priority": {"en": "priority", "fr": "priorité"},
    "due": {"en": "due", "fr": "échéance"},
    "status": {"en": "status", "fr": "statut"},
    "progress": {"en": "progress", "fr": "avancement"},
    "updated": {"en": "updated", "fr": "mise à jour"},
    "source": {"en": "source", "fr": "source"},
}
COLUMNS = tuple(HEADERS)

# Every header import accepts for a column (normalised with ``fold``).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "identifiant", "ref", "reference"),
    "committee": ("committee", "comite"),
    "title": ("title", "action", "intitule", "libelle"),
    "owner": ("owner", "responsable", "porteur"),
    "owner_id": ("owner id", "slack id", "id responsable"),
    "priority": ("priority", "priorite"),
    "due": ("due", "due date", "echeance", "date echeance", "date d echeance"),
    "status": ("status", "statut", "etat"),
    "progress": ("progress", "avancement", "progression"),
    "updated": ("updated", "mise a jour", "maj", "last updated"),
    "source": ("source", "origine", "reunion"),
}

PRIORITY_WORDS: dict[str, dict[str, str]] = {
    "en": {p.value: p.value for p in Priority},
    "fr": {"high": "haute", "medium": "moyenne", "low": "basse"},
}
STATUS_WORDS: dict[str, dict[str, str]] = {
    "en": {s.value: s.value for s in ActionStatus},
    "fr": {"open": "ouverte", "in_progress": "en cours", "done": "faite", "cancelled": "annulée"},
}
# Words import also understands (folded), beyond the two tables above.
EXTRA_PRIORITIES = {"haut": "high", "moyen": "medium", "normale": "medium", "bas": "low", "elevee": "high"}
EXTRA_STATUSES = {
    "in progress": "in_progress",
    "ouvert": "open",
    "a faire": "open",
    "fait": "done",
    "terminee": "done",
    "termine": "done",
    "closed": "done",
    "annule": "cancelled",
    "canceled": "cancelled",
    "encours": "in_progress",
}

DECISION_HEADERS: dict[str, dict[str, str]] = {
    "committee": {"en": "committee", "fr": "comité"},
    "meeting": {"en": "meeting", "fr": "réunion"},
    "decision": {"en": "decision", "fr": "décision"},
    "recorded_by": {"en": "recorded by", "fr": "enregistrée par"},
    "recorded": {"en": "recorded", "fr": "enregistrée le"},
}


def fold(text: str) -> str:
    """Lower case, accents removed, ``_``/``-``/``'`` as spaces, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    for mark in "_-'’.":
        plain = plain.replace(mark, " ")
    return " ".join(plain.split())


_HEADER_INDEX = {alias: key for key, aliases in ALIASES.items() for alias in aliases}


def column_of(header: str) -> str | None:
    """The column key a header names, or None."""
    return _HEADER_INDEX.get(fold(header))


def priority_of(word: str) -> str | None:
    """``high``/``haute``/``Haute`` -> ``high``; None when not a priority."""
    folded = fold(word)
    for words in PRIORITY_WORDS.values():
        for value, shown in words.items():
            if folded in (fold(shown), fold(value)):
                return value
    return EXTRA_PRIORITIES.get(folded)


def status_of(word: str) -> str | None:
    """``done``/``faite``/``En cours`` -> the status value; None when not a status."""
    folded = fold(word)
    for words in STATUS_WORDS.values():
        for value, shown in words.items():
            if folded in (fold(shown), fold(value)):
                return value
    return EXTRA_STATUSES.get(folded)
