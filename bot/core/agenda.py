"""Default agenda sections per committee template (SPEC §4).

``templates/<locale>/agenda_sections.yaml`` maps a template key (a committee's ``agenda_template``,
else its kind) to the sections every agenda of that committee opens with, and names the action review
section. The action review always appears exactly once: where the template lists its exact title, or
else right after the template's sections, so that the topics participants propose come last.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from bot.text.render import TEMPLATES_DIR, normalize_locale
from storage.models import Committee


@lru_cache(maxsize=8)
def _load(locale: str) -> dict[str, Any]:
    path = TEMPLATES_DIR / locale / "agenda_sections.yaml"
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def action_review_title(locale: str | None) -> str:
    """The title of the action review section: "Revue des actions" / "Action review"."""
    return str(_load(normalize_locale(locale))["action_review"])


def template_keys(locale: str | None) -> list[str]:
    """The agenda template keys a committee may name, in file order."""
    return list(_load(normalize_locale(locale))["templates"])


def template_key(committee: Committee) -> str:
    """The template a committee's agendas use: its ``agenda_template``, else its kind."""
    return committee.agenda_template or committee.kind


def agenda_sections(locale: str | None, template_key: str) -> list[str]:
    """The default sections of an agenda, the action review included (see the module docstring).

    Raises KeyError naming the known templates when ``template_key`` is unknown.
    """
    templates = _load(normalize_locale(locale))["templates"]
    if template_key not in templates:
        raise KeyError(f'unknown agenda template "{template_key}" (allowed: {", ".join(templates)})')
    sections = [str(section) for section in templates[template_key]]
    review = action_review_title(locale)
    if review not in sections:
        sections.append(review)
    return sections
