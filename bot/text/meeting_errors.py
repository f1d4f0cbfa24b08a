"""The wording of the errors raised by the meeting flows (French and English).

``bot.text.errors`` merges them into its catalogue, so the one ``@app.error`` handler answers them
in the reader's language like every other domain error.
"""

from __future__ import annotations

MEETING_MESSAGES: dict[str, dict[str, str]] = {
    # --- lookups --------------------------------------------------------------------------------
    "no_upcoming_meeting": {
        "fr": "Le comité {committee} n'a pas de réunion à venir dans l'année.",
        "en": "Committee {committee} has no meeting in the coming year.",
    },
    "no_meeting_on": {
        "fr": "Le comité {committee} n'a pas de réunion le {date}. Prochaines réunions : {upcoming}. "
        "`/committee next` les affiche toutes.",
        "en": "Committee {committee} has no meeting on {date}. Next meetings: {upcoming}. "
        "`/committee next` lists them.",
    },
    "no_minutes_pending": {
        "fr": "Aucune réunion récente du comité {committee} n'attend de compte rendu.",
        "en": "No recent meeting of committee {committee} is waiting for minutes.",
    },
    # --- meeting state --------------------------------------------------------------------------
    "meeting_cancelled": {
        "fr": "La réunion du {when} est annulée : elle n'accepte plus de changement.",
        "en": "The meeting of {when} is cancelled: it takes no more changes.",
    },
    "meeting_started": {
        "fr": "La réunion du {when} a déjà commencé : on ne peut plus {what}.",
        "en": "The meeting of {when} has already started: it is too late to {what}.",
    },
    "what_add_topic": {"fr": "proposer de sujet", "en": "add a topic"},
    "what_move": {"fr": "la déplacer", "en": "move it"},
    "what_cancel": {"fr": "l'annuler", "en": "cancel it"},
    "meeting_not_started": {
        "fr": "La réunion du {when} n'a pas encore eu lieu : le compte rendu viendra après.",
        "en": "The meeting of {when} has not taken place yet: the minutes come afterwards.",
    },
    "minutes_already_posted": {
        "fr": "Le compte rendu de la réunion du {when} est déjà publié.",
        "en": "The minutes of the meeting of {when} are already posted.",
    },
    "minutes_awaiting_approval": {
        "fr": "Le compte rendu de la réunion du {when} attend déjà la validation de <@{chair}>. "
        "Le président peut demander des modifications.",
        "en": "The minutes of the meeting of {when} are already waiting for <@{chair}>'s approval. "
        "The chair can request changes.",
    },
    "minutes_not_awaiting": {
        "fr": "Le compte rendu de la réunion du {when} n'attend pas de validation.",
        "en": "The minutes of the meeting of {when} are not waiting for approval.",
    },
    "meeting_already_cancelled": {
        "fr": "La réunion du {when} est déjà annulée.",
        "en": "The meeting of {when} is already cancelled.",
    },
    "move_same_time": {
        "fr": "La réunion est déjà prévue le {when}. Indiquez une autre date ou heure.",
        "en": "The meeting is already set for {when}. Give another date or time.",
    },
    "move_overlaps": {
        "fr": "Le comité a déjà une réunion le {other} : impossible de déplacer celle-ci au {when}. "
        "Choisissez un autre créneau, ou annulez d'abord l'autre réunion (`/committee cancel`).",
        "en": "The committee already meets on {other}: this meeting cannot move to {when}. "
        "Pick another slot, or cancel the other meeting first (`/committee cancel`).",
    },
    "move_in_past": {
        "fr": "Le {when} est déjà passé : choisissez une date et une heure à venir, "
        "par exemple `/committee move 2027-03-19 14:00`.",
        "en": "{when} is already past: choose a date and time to come, "
        "for example `/committee move 2027-03-19 14:00`.",
    },
    # --- permissions ----------------------------------------------------------------------------
    "chair_only": {
        "fr": "Seuls le président du comité {committee} (<@{chair}>) et les administrateurs peuvent {what}.",
        "en": "Only the chair of committee {committee} (<@{chair}>) and workspace admins can {what}.",
    },
    "what_move_meeting": {"fr": "déplacer une réunion", "en": "move a meeting"},
    "what_cancel_meeting": {"fr": "annuler une réunion", "en": "cancel a meeting"},
    "what_approve": {"fr": "valider le compte rendu", "en": "approve the minutes"},
    "what_request_changes": {
        "fr": "demander des modifications au compte rendu",
        "en": "request changes to the minutes",
    },
    "deck_denied": {
        "fr": "Seuls le responsable du support (<@{deck_owner}>), le président (<@{chair}>) et les "
        "administrateurs peuvent marquer le support comme partagé.",
        "en": "Only the deck owner (<@{deck_owner}>), the chair (<@{chair}>) and workspace admins can "
        "mark the deck as shared.",
    },
    "minutes_denied": {
        "fr": "Seuls le secrétaire (<@{secretary}>), le président (<@{chair}>) et les administrateurs "
        "peuvent soumettre le compte rendu.",
        "en": "Only the secretary (<@{secretary}>), the chair (<@{chair}>) and workspace admins can "
        "submit the minutes.",
    },
    # --- fields ---------------------------------------------------------------------------------
    "topic_title_empty": {
        "fr": "Donnez un titre au sujet, par exemple « Bilan du plan de renfort ».",
        "en": "Give the topic a title, for example “Staffing plan review”.",
    },
    "text_too_long": {
        "fr": "Ce texte fait {length} caractères ; le maximum est {limit}.",
        "en": "This text is {length} characters long; the limit is {limit}.",
    },
    "broadcast_in_text": {
        "fr": "Les mentions @channel, @here et @everyone ne sont pas permises ici : nommez les personnes.",
        "en": "@channel, @here and @everyone are not allowed here: name people instead.",
    },
    "invalid_duration": {
        "fr": "La durée est un nombre entier de minutes, de 1 à 240 ; « {value} » ne convient pas.",
        "en": "The duration is a whole number of minutes, from 1 to 240; “{value}” won't do.",
    },
    "invalid_link": {
        "fr": "« {value} » n'est pas un lien : écrivez une adresse complète, par exemple "
        "`https://intranet.example.com/support.pdf`.",
        "en": "“{value}” is not a link: write a full address, for example "
        "`https://intranet.example.com/deck.pdf`.",
    },
    "invalid_user": {
        "fr": "« {value} » n'est pas un utilisateur Slack : mentionnez-le avec @, par exemple `@marie`.",
        "en": "“{value}” is not a Slack user: mention them with @, for example `@marie`.",
    },
    "minutes_summary_empty": {
        "fr": "Le résumé du compte rendu est vide : écrivez l'essentiel de ce qui a été dit.",
        "en": "The minutes' summary is empty: write the gist of what was said.",
    },
    "action_line_invalid": {
        "fr": "Ligne {line} : {problem} Écrivez une action par ligne : "
        "`@marie Relancer le plan de renfort d'ici le 2027-03-19`.",
        "en": "Line {line}: {problem} Write one action per line: "
        "`@marie Follow up the staffing plan by 2027-03-19`.",
    },
    "action_line_missing_owner": {
        "fr": "il manque le responsable (@quelqu'un).",
        "en": "the owner (@someone) is missing.",
    },
    "action_line_missing_due": {"fr": "il manque l'échéance.", "en": "the due date is missing."},
    "action_line_missing_title": {"fr": "il manque la tâche.", "en": "the task is missing."},
    "comment_empty": {
        "fr": "Dites au secrétaire ce qu'il faut modifier.",
        "en": "Tell the secretary what to change.",
    },
    "invalid_meeting_time": {
        "fr": "Je ne comprends pas « {text} ». Écrivez la date puis l'heure, par exemple "
        "`/committee move 2027-03-19 14:00` ou `/committee move vendredi 9h30`.",
        "en": "I can't read “{text}”. Write the date then the time, for example "
        "`/committee move 2027-03-19 14:00` or `/committee move friday 9:30`.",
    },
    "unknown_committee_subcommand": {
        "fr": "Je ne connais pas `/committee {name}`. Commandes possibles :\n{usage}",
        "en": "I don't know `/committee {name}`. You can use:\n{usage}",
    },
}
