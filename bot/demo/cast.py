"""The demo's cast: the preset's people, with names, roles and Slack locales, and what they say."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

PRESETS = {"fr": "contact-centre-fr", "en": "contact-centre-en"}


SHOWN_CALLS = ("chat.postMessage", "chat.update", "chat.delete")


@dataclass(frozen=True)
class Options:
    """What ``committee-bot demo`` was asked for."""

    locale: str = "fr"
    weeks: int = 6
    start: date | None = None  # None: the Monday a week before the preset's first meeting
    db: Path | None = None  # None: a temporary file
    keep: bool = False
    quiet: bool = False
    width: int = 100


@dataclass
class DemoResult:
    """Figures of one run (the command prints them; tests read them)."""

    start: datetime
    end: datetime
    seconds: float = 0.0
    posted: int = 0
    edited: int = 0
    states: Counter[str] = field(default_factory=Counter)
    sent_kinds: Counter[str] = field(default_factory=Counter)
    step_errors: int = 0
    problems: list[str] = field(default_factory=list)  # warnings and errors the bot logged
    db_path: Path | None = None

    @property
    def exit_code(self) -> int:
        return 1 if self.step_errors or self.problems else 0


class DemoError(ValueError):
    """Bad options (the command line turns it into one line on stderr)."""


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    role: dict[str, str]


CAST: tuple[Person, ...] = (
    Person(
        "U06PILOTE1",
        "marie",
        {"fr": "pilote de la relation, donneur d'ordre", "en": "client's steering lead"},
    ),
    Person(
        "U06RESPSIT", "karim", {"fr": "responsable de site, prestataire", "en": "outsourcer's site manager"}
    ),
    Person("U06CHEFEQP", "julie", {"fr": "cheffe d'équipe, prestataire", "en": "outsourcer's team leader"}),
    Person(
        "U06QUALCLI", "sophie", {"fr": "responsable qualité, donneur d'ordre", "en": "client's quality lead"}
    ),
    Person(
        "U06QUALPRS", "thomas", {"fr": "responsable qualité, prestataire", "en": "outsourcer's quality lead"}
    ),
    Person(
        "U06DIROPS1",
        "claire",
        {"fr": "directrice des opérations, donneur d'ordre", "en": "client's operations director"},
    ),
    Person(
        "U06DIRCPT1",
        "nicolas",
        {"fr": "directeur de compte, prestataire", "en": "outsourcer's account director"},
    ),
    Person(
        "U06DGCLIEN", "anne", {"fr": "direction générale, donneur d'ordre", "en": "client's top management"}
    ),
    Person(
        "U06DGPREST", "pierre", {"fr": "direction générale, prestataire", "en": "outsourcer's top management"}
    ),
)


MARIE, KARIM, JULIE, SOPHIE, THOMAS, CLAIRE, NICOLAS = (p.user_id for p in CAST[:7])


SLACK_LOCALES = {"fr": "fr-FR", "en": "en-GB"}


# What the participants write, by locale. Dates are filled in from the calendar.
TEXTS: dict[str, dict[str, Any]] = {
    "fr": {
        "topic_renfort": "Plan de renfort de février",
        "topic_decroche": "Taux de décroché de la semaine passée",
        "topic_fibre": "Retours terrain sur l'offre fibre",
        "topic_calibration": "Calibration des réponses aux réclamations",
        "deck_link": "https://drive.example.com/supports/{key}-{day}.pptx",
        "minutes_link": "https://drive.example.com/cr/{key}-{day}.docx",
        "summary": "Revue des indicateurs de la semaine, des actions ouvertes et des sujets proposés.",
        "decision_production": "Renfort de 6 conseillers validé pour février",
        "decision_routine": "Indicateurs de la période validés",
        "decision_quality": "Nouvelle grille de calibration adoptée pour les réclamations",
        "decision_steering": "Objectif de NPS du trimestre maintenu à +35",
        "action_train": "Former 4 conseillers à l'offre fibre",
        "action_thresholds": "Recalibrer les seuils de débordement vers le site de secours",
        "action_scripts": "Réviser les scripts de relance",
        "action_grid": "Diffuser la grille de calibration aux superviseurs",
        "action_budget": "Chiffrer le plan de renfort de février",
        "due_words": "pour le {day:%d/%m}",
        "high": "!haute",
        "progress_comment": "Seuils du site principal faits, reste le site de secours",
    },
    "en": {
        "topic_renfort": "February reinforcement plan",
        "topic_decroche": "Last week's call take-up rate",
        "topic_fibre": "Field feedback on the fibre offer",
        "topic_calibration": "Calibration of answers to complaints",
        "deck_link": "https://drive.example.com/decks/{key}-{day}.pptx",
        "minutes_link": "https://drive.example.com/minutes/{key}-{day}.docx",
        "summary": "Review of the period's KPIs, the open actions and the proposed topics.",
        "decision_production": "Reinforcement of 6 agents approved for February",
        "decision_routine": "The period's KPIs approved",
        "decision_quality": "New calibration grid adopted for complaints",
        "decision_steering": "Quarterly NPS target kept at +35",
        "action_train": "Train 4 agents on the fibre offer",
        "action_thresholds": "Recalibrate the overflow thresholds to the backup site",
        "action_scripts": "Review the follow-up call scripts",
        "action_grid": "Send the calibration grid to the supervisors",
        "action_budget": "Cost the February reinforcement plan",
        "due_words": "by {day:%Y-%m-%d}",
        "high": "!high",
        "progress_comment": "Main site thresholds done, backup site still to do",
    },
}
