"""Configuration as code (SPEC §8): workspace settings and committees declared in one YAML file.

``load_config`` reads and validates a whole file before anything touches the database; the first
problem found is raised as a ``ConfigError`` whose message is one line naming the file, the committee,
what was wrong and what is allowed. ``import_config`` upserts by committee key; ``export_config``
writes a file that imports back without changing anything.

Omitted keys: a committee's optional keys fall back to their defaults (the entry declares the whole
committee; ``timezone``, ``locale``, ``holidays`` and ``workdays`` default to the workspace's), while
omitted workspace keys keep their stored value, so a file holding only committees leaves the workspace
settings alone. Committees absent from the file are left as they are; ``active: false`` retires one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from bot.core import bounds
from bot.text.render import TEMPLATES_DIR
from storage.models import CommitteeKind, HolidayPolicy

PRESETS_DIR = TEMPLATES_DIR / "presets"
# ``--preset contact-centre`` is the French preset; other names are file stems in templates/presets/.
PRESET_ALIASES = {"contact-centre": "contact-centre-fr"}

CHANNEL_ID = re.compile(rf"^{bounds.CHANNEL_ID_PATTERN}$")
USER_ID = re.compile(rf"^{bounds.USER_ID_PATTERN}$")
COMMITTEE_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
LOCAL_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})$")

WORKSPACE_KEYS = ("timezone", "locale", "holidays", "workdays", "admins", "closures", "committees")
REQUIRED_COMMITTEE_KEYS = (
    "key",
    "name",
    "kind",
    "channel",
    "cadence",
    "first",
    "chair",
    "secretary",
    "deck_owner",
)
OPTIONAL_COMMITTEE_KEYS = (
    "duration",
    "timezone",
    "locale",
    "holidays",
    "workdays",
    "members",
    "holiday_policy",
    "requires_approval",
    "timeline",
    "agenda_template",
    "active",
)
COMMITTEE_KEYS = REQUIRED_COMMITTEE_KEYS + OPTIONAL_COMMITTEE_KEYS
KINDS = tuple(kind.value for kind in CommitteeKind)
HOLIDAY_POLICIES = tuple(policy.value for policy in HolidayPolicy)
DEFAULT_DURATION = 60
MAX_DURATION = 24 * 60
FIRST_FORMAT = "%Y-%m-%dT%H:%M"


class ConfigError(ValueError):
    """A configuration file is invalid; the message is one line saying where, what, and what is allowed."""


@dataclass(frozen=True)
class WorkspaceSpec:
    """Workspace settings as declared; None means "not in the file, keep the stored value"."""

    timezone: str | None = None
    locale: str | None = None
    holidays: str | None = None
    workdays: str | None = None
    admins: tuple[str, ...] | None = None
    closures: tuple[str, ...] | None = None  # YYYY-MM-DD, sorted


@dataclass(frozen=True)
class CommitteeSpec:
    """One committee as declared, validated and normalised; None = the workspace's value or the default."""

    key: str
    name: str
    kind: str
    channel: str
    cadence: str
    first: datetime  # naive, local wall-clock time in the committee's zone
    chair: str
    secretary: str
    deck_owner: str
    duration: int = DEFAULT_DURATION
    timezone: str | None = None
    locale: str | None = None
    holidays: str | None = None
    workdays: str | None = None
    members: tuple[str, ...] = ()
    holiday_policy: str = HolidayPolicy.next_business_day.value
    requires_approval: bool | None = None
    timeline: dict[str, Any] = field(default_factory=dict)
    agenda_template: str | None = None
    active: bool = True


@dataclass(frozen=True)
class ConfigDoc:
    """A validated configuration file; ``source`` is the file name used in messages."""

    source: str
    workspace: WorkspaceSpec
    committees: tuple[CommitteeSpec, ...]


# --- presets ---------------------------------------------------------------------------------


def preset_names() -> list[str]:
    """Names ``--preset`` accepts: every file of templates/presets/ and the aliases."""
    stems = sorted(path.stem for path in PRESETS_DIR.glob("*.yaml"))
    return sorted(set(stems) | set(PRESET_ALIASES))


def preset_path(name: str) -> Path:
    """The YAML file of a preset (``contact-centre`` = ``contact-centre-fr``); ConfigError if unknown."""
    path = PRESETS_DIR / f"{PRESET_ALIASES.get(name, name)}.yaml"
    if "/" in name or not path.is_file():
        raise ConfigError(f'unknown preset "{name}" (allowed: {", ".join(preset_names())})')
    return path


# --- reading and validating ------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _local_text(moment: datetime) -> str:
    return moment.isoformat(timespec="minutes")


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _quoted(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)
