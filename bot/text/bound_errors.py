"""The wording of the refusals of ``bot.core.bounds`` (French and English).

``bot.text.errors`` merges them into its catalogue, so the one ``@app.error`` handler answers them
in the reader's language like every other domain error.
"""

from __future__ import annotations

BOUND_MESSAGES: dict[str, dict[str, str]] = {
    "date_too_far": {
        "fr": "La date {date} est trop lointaine : le bot planifie au plus {years} ans à l'avance, "
        "jusqu'au {latest}. Choisissez une date plus proche, par exemple `fin du mois` ou `2027-06-30`.",
        "en": "{date} is too far ahead: the bot plans at most {years} years ahead, up to {latest}. "
        "Pick a closer date, for example `end of month` or `2027-06-30`.",
    },
    "meeting_date_too_far": {
        "fr": "La date {date} est trop lointaine : les réunions se planifient au plus {years} ans à "
        "l'avance, jusqu'au {latest}. Choisissez une date plus proche.",
        "en": "{date} is too far ahead: meetings are planned at most {years} years ahead, up to "
        "{latest}. Pick a closer date.",
    },
    "text_nul": {
        "fr": "Ce texte contient un caractère nul (\\0), que le bot ne peut pas enregistrer : "
        "retirez-le puis réessayez.",
        "en": "This text holds a NUL character (\\0), which the bot cannot store: remove it and try again.",
    },
    "title_invisible": {
        "fr": "Le titre ne contient aucun caractère visible (seulement des espaces ou des caractères "
        "invisibles). Écrivez ce qu'il faut faire, par exemple « Relancer le plan de renfort ».",
        "en": "The title holds no visible character (only spaces or invisible characters). Say what "
        "must be done, for example “Follow up the staffing plan”.",
    },
    "too_many_mentions": {
        "fr": "Le titre mentionne {count} personnes ; {limit} au plus, car chaque relance les "
        "notifierait toutes. Gardez le responsable et les personnes indispensables.",
        "en": "The title mentions {count} people; {limit} at most, since every reminder would notify "
        "them all. Keep the owner and the people who really must know.",
    },
}
