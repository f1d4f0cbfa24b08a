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

import difflib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import yaml
from sqlmodel import Session, col, select

from bot import calendar as calendar_mod
from bot import timeline as timeline_mod
from bot.agenda import template_keys
from bot.render import LOCALES, TEMPLATES_DIR
from storage.committees import DEFAULT_TEAM, get_workspace
from storage.models import Committee, CommitteeKind, CommitteeMember, HolidayPolicy, WorkspaceSettings

PRESETS_DIR = TEMPLATES_DIR / "presets"
# ``--preset contact-centre`` is the French preset; other names are file stems in templates/presets/.
PRESET_ALIASES = {"contact-centre": "contact-centre-fr"}

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{4,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
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


@dataclass
class ImportResult:
    """What ``import_config`` did, committee keys by outcome."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    workspace_changed: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.workspace_changed)

    def summary(self, source: str) -> str:
        """One line for the command line: ``committees.yaml: 1 created (production), 0 updated, ...``."""

        def part(label: str, keys: list[str]) -> str:
            return f"{len(keys)} {label}" + (f" ({', '.join(keys)})" if keys else "")

        workspace = "workspace settings updated" if self.workspace_changed else "workspace settings unchanged"
        counts = ", ".join(
            [part("created", self.created), part("updated", self.updated), part("unchanged", self.unchanged)]
        )
        return f"{source}: committees {counts}; {workspace}"


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


def load_config(path: str | Path, *, source: str | None = None) -> ConfigDoc:
    """Read and validate a configuration file; raises ConfigError on the first problem.

    Messages name the file as ``source`` (default: ``path`` as given).
    """
    source = source or str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{source}: cannot read the file ({_one_line(str(error))})") from None
    return parse_config(text, source=source)


class _Loader(yaml.SafeLoader):
    """YAML with YAML 1.2 booleans: only true/false are booleans, so ``holidays: NO`` (Norway) and
    a timeline's ``off:`` key stay text instead of turning into false."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_config(text: str, *, source: str = "<config>") -> ConfigDoc:
    """Validate configuration text (what ``load_config`` does once the file is read)."""
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: {_yaml_problem(error)}") from None
    return _Validator(source).document(data)


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}invalid YAML ({_one_line(problem)})"


def _one_line(text: str) -> str:
    return " ".join(text.split())


@lru_cache(maxsize=1)
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _quoted(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(values)


class _Validator:
    """Checks one document; every message starts with the file and, when known, the committee."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str | None, problem: str) -> ConfigError:
        prefix = f"{self.source}: {where}: " if where else f"{self.source}: "
        return ConfigError(_one_line(prefix + problem))

    def unknown_keys(self, where: str | None, data: Mapping[Any, Any], allowed: tuple[str, ...]) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f'did you mean "{close[0]}"? ' if close else ""
                raise self.fail(where, f'unknown key "{key}" ({hint}allowed: {_quoted(allowed)})')

    # Workspace ------------------------------------------------------------------------------

    def document(self, data: Any) -> ConfigDoc:
        if data is None:
            raise self.fail(None, "the file is empty (expected workspace settings and a committees list)")
        if not isinstance(data, dict):
            raise self.fail(
                None, "expected a mapping with timezone, locale, holidays, workdays, admins, committees"
            )
        self.unknown_keys(None, data, WORKSPACE_KEYS)
        workspace = WorkspaceSpec(
            timezone=self.timezone(None, data["timezone"]) if "timezone" in data else None,
            locale=self.locale(None, data["locale"]) if "locale" in data else None,
            holidays=self.holidays(None, data["holidays"]) if "holidays" in data else None,
            workdays=self.workdays(None, data["workdays"]) if "workdays" in data else None,
            admins=self.user_list(None, "admins", data["admins"]) if "admins" in data else None,
            closures=self.closures(data["closures"]) if "closures" in data else None,
        )
        if "committees" not in data:
            raise self.fail(
                None, 'missing key "committees" (a list of committees, possibly empty: committees: [])'
            )
        entries = data["committees"]
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise self.fail(
                None, "committees must be a list of committees (each entry starting with - key: ...)"
            )
        committees: list[CommitteeSpec] = []
        keys: set[str] = set()
        channels: dict[str, str] = {}
        for index, entry in enumerate(entries, start=1):
            spec = self.committee(index, entry, workspace)
            where = f'committee "{spec.key}"'
            if spec.key in keys:
                raise self.fail(where, "duplicate committee key (each committee needs its own key)")
            keys.add(spec.key)
            if spec.active and spec.channel in channels:
                raise self.fail(
                    where,
                    f'channel {spec.channel} is already the channel of committee "{channels[spec.channel]}" '
                    "(each active committee needs its own channel)",
                )
            if spec.active:
                channels[spec.channel] = spec.key
            committees.append(spec)
        return ConfigDoc(source=self.source, workspace=workspace, committees=tuple(committees))

    def timezone(self, where: str | None, value: Any) -> str:
        if not isinstance(value, str) or value not in _time_zones():
            raise self.fail(
                where, f'unknown time zone "{value}" (allowed: an IANA zone such as Europe/Paris)'
            )
        return value

    def locale(self, where: str | None, value: Any) -> str:
        if value not in LOCALES:
            raise self.fail(where, f'unknown locale "{value}" (allowed: {_quoted(LOCALES)})')
        return str(value)

    def holidays(self, where: str | None, value: Any) -> str:
        if not isinstance(value, str):
            # YAML reads a bare NO (Norway) as false: say how to write it.
            raise self.fail(
                where,
                f'unknown holiday country "{value}" (allowed: an ISO code in quotes such as "FR", or none)',
            )
        try:
            calendar_mod.check_country(value)
        except ValueError as error:
            if "unknown holiday subdivision" in str(error):
                raise self.fail(where, f"holidays: {error}") from None
            raise self.fail(
                where,
                f'unknown holiday country "{value}" (allowed: an ISO 3166 code such as FR, BE, GB, US, '
                "a country with a subdivision such as FR-57 or GB-ENG, or none)",
            ) from None
        return "none" if value.lower() == "none" else value.upper()

    def closures(self, value: Any) -> tuple[str, ...]:
        """Workspace closure days: a list of ``YYYY-MM-DD`` dates (YAML may hand over dates)."""
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(
                None, "closures must be a list of dates (e.g. closures: [2027-12-24, 2027-12-31])"
            )
        days: set[str] = set()
        for item in value:
            try:
                day = item if isinstance(item, date) and not isinstance(item, datetime) else None
                day = day or date.fromisoformat(str(item))
            except ValueError:
                raise self.fail(
                    None, f'closures: "{item}" is not a date (allowed: YYYY-MM-DD, e.g. 2027-12-24)'
                ) from None
            days.add(day.isoformat())
        return tuple(sorted(days))

    def workdays(self, where: str | None, value: Any) -> str:
        text = ",".join(str(v) for v in value) if isinstance(value, list) else value
        if not isinstance(text, str):
            raise self.fail(
                where, f'workdays "{value}" is not a list of days (allowed: e.g. mon,tue,wed,thu,fri)'
            )
        try:
            days = calendar_mod.parse_workdays(text)
        except ValueError as error:
            raise self.fail(where, f"workdays: {error}") from None
        return ",".join(calendar_mod.WEEKDAYS[day] for day in sorted(days))

    def user(self, where: str | None, name: str, value: Any) -> str:
        if not isinstance(value, str) or not USER_ID.match(value):
            raise self.fail(
                where, f'{name} "{value}" is not a Slack user id (allowed: an id such as U024BE7LH)'
            )
        return value

    def user_list(self, where: str | None, name: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self.fail(where, f"{name} must be a list of Slack user ids (e.g. [U024BE7LH, U0G9QF9C6])")
        users: list[str] = []
        for item in value:
            user = self.user(where, name, item)
            if user not in users:  # a repeated id is harmless: keep the first
                users.append(user)
        return tuple(users)

    # Committees -----------------------------------------------------------------------------

    def committee(self, index: int, data: Any, workspace: WorkspaceSpec) -> CommitteeSpec:
        where = f"committees[{index}]"
        if not isinstance(data, dict):
            raise self.fail(where, f"expected a mapping with {_quoted(REQUIRED_COMMITTEE_KEYS)}")
        key = data.get("key")
        if key is not None:
            if not isinstance(key, str) or not COMMITTEE_KEY.match(key):
                raise self.fail(
                    where,
                    f'key "{key}" is not a committee key (allowed: lowercase letters, digits, - and _, '
                    "up to 64 characters, e.g. production)",
                )
            where = f'committee "{key}"'
        self.unknown_keys(where, data, COMMITTEE_KEYS)
        for required in REQUIRED_COMMITTEE_KEYS:
            if data.get(required) in (None, ""):
                raise self.fail(
                    where, f'missing key "{required}" (required: {_quoted(REQUIRED_COMMITTEE_KEYS)})'
                )

        name = data["name"]
        if not isinstance(name, str) or len(name) > 200:
            raise self.fail(where, "name must be text of at most 200 characters")
        kind = data["kind"]
        if kind not in KINDS:
            raise self.fail(where, f'unknown kind "{kind}" (allowed: {_quoted(KINDS)})')
        channel = data["channel"]
        if not isinstance(channel, str) or not CHANNEL_ID.match(channel):
            raise self.fail(
                where,
                f'channel "{channel}" is not a Slack channel id (allowed: an id such as C024BE91L, not #name)',
            )
        timezone = self.timezone(where, data["timezone"]) if "timezone" in data else None
        locale = self.locale(where, data["locale"]) if "locale" in data else None
        holidays = self.holidays(where, data["holidays"]) if "holidays" in data else None
        workdays = self.workdays(where, data["workdays"]) if "workdays" in data else None
        first = self.first(where, data["first"])
        cadence = data["cadence"]
        if not isinstance(cadence, str):
            raise self.fail(
                where, f'cadence "{cadence}" is not text (allowed: weekly, monthly, ... or an RRULE)'
            )
        zone = timezone or workspace.timezone or "Europe/Paris"
        try:
            calendar_mod.check_cadence(cadence, first, zone)
        except ValueError as error:
            raise self.fail(where, f'cadence "{cadence}": {error}') from None
        duration = data.get("duration", DEFAULT_DURATION)
        if isinstance(duration, bool) or not isinstance(duration, int) or not 1 <= duration <= MAX_DURATION:
            raise self.fail(
                where, f'duration "{duration}" is not a number of minutes (allowed: 1 to {MAX_DURATION})'
            )
        policy = data.get("holiday_policy", HolidayPolicy.next_business_day.value)
        if policy not in HOLIDAY_POLICIES:
            raise self.fail(
                where, f'unknown holiday policy "{policy}" (allowed: {_quoted(HOLIDAY_POLICIES)})'
            )
        approval = data.get("requires_approval")
        if approval is not None and not isinstance(approval, bool):
            raise self.fail(
                where, f'requires_approval "{approval}" is not a yes/no value (allowed: true, false)'
            )
        active = data.get("active", True)
        if not isinstance(active, bool):
            raise self.fail(where, f'active "{active}" is not a yes/no value (allowed: true, false)')
        timeline = data.get("timeline") or {}
        if not isinstance(timeline, dict):
            raise self.fail(
                where,
                "timeline must be a mapping of overrides (e.g. timeline: {agenda_request: {business_days: 4}})",
            )
        try:
            timeline_mod.check_timeline(timeline)
        except ValueError as error:
            problem = str(error)
            raise self.fail(
                where, problem if problem.startswith("timeline") else f"timeline: {problem}"
            ) from None
        template = data.get("agenda_template")
        if template is not None:
            allowed = template_keys(locale or workspace.locale)
            if template not in allowed:
                raise self.fail(where, f'unknown agenda template "{template}" (allowed: {_quoted(allowed)})')
        return CommitteeSpec(
            key=key,
            name=name,
            kind=kind,
            channel=channel,
            cadence=cadence,
            first=first,
            chair=self.user(where, "chair", data["chair"]),
            secretary=self.user(where, "secretary", data["secretary"]),
            deck_owner=self.user(where, "deck_owner", data["deck_owner"]),
            duration=duration,
            timezone=timezone,
            locale=locale,
            holidays=holidays,
            workdays=workdays,
            members=self.user_list(where, "members", data.get("members")),
            holiday_policy=policy,
            requires_approval=approval,
            timeline=dict(timeline),
            agenda_template=template,
            active=active,
        )

    def first(self, where: str, value: Any) -> datetime:
        """``first`` is local wall-clock time: ``YYYY-MM-DDTHH:MM`` (YAML may hand over a datetime)."""
        problem = (
            f'first "{value}" is not a local date and time '
            "(allowed: YYYY-MM-DDTHH:MM in the committee's time zone, e.g. 2027-01-05T10:00)"
        )
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                raise self.fail(where, problem.replace("is not", "has a UTC offset; it is not"))
            moment = value
        elif isinstance(value, date) or not isinstance(value, str):
            raise self.fail(where, problem)
        else:
            match = LOCAL_TIME.match(value.strip())
            if not match:
                raise self.fail(where, problem)
            try:
                moment = datetime.strptime(f"{match[1]}T{match[2]}", FIRST_FORMAT)
            except ValueError:
                raise self.fail(where, problem) from None
        if moment.second or moment.microsecond:
            raise self.fail(where, problem)
        return moment


# --- importing -------------------------------------------------------------------------------


def import_config(session: Session, doc: ConfigDoc, *, now: datetime) -> ImportResult:
    """Upsert the workspace settings and the committees of ``doc`` by committee key.

    Runs in the caller's transaction (the caller commits; on error it rolls back and nothing changed).
    Rows are only written where a value differs, so importing the same file twice changes nothing.
    ``feed_token`` is made on first insert and kept afterwards.
    """
    result = ImportResult()
    is_new = (
        session.exec(select(WorkspaceSettings.id).where(WorkspaceSettings.team_id == DEFAULT_TEAM)).first()
        is None
    )
    workspace = get_workspace(session)
    result.workspace_changed = is_new | _apply(
        workspace,
        {
            "timezone": doc.workspace.timezone,
            "locale": doc.workspace.locale,
            "holidays": doc.workspace.holidays,
            "workdays": doc.workspace.workdays,
            "admins": list(doc.workspace.admins) if doc.workspace.admins is not None else None,
            "closures": list(doc.workspace.closures) if doc.workspace.closures is not None else None,
        },
        skip_none=True,
    )

    stored = {committee.key: committee for committee in session.exec(select(Committee)).all()}
    _check_channels_against_database(doc, stored)

    committees: dict[str, Committee] = {}
    for spec in doc.committees:
        values = _committee_values(spec, timezone=workspace.timezone, locale=workspace.locale)
        committee = stored.get(spec.key)
        if committee is None:
            committee = Committee(
                **values, feed_token=secrets.token_urlsafe(24), created_at=now, updated_at=now
            )
            session.add(committee)
            result.created.append(spec.key)
        elif _apply(committee, values):
            committee.updated_at = now
            result.updated.append(spec.key)
        committees[spec.key] = committee
    session.flush()

    ids = [committee.id for committee in committees.values()]
    current: dict[int, dict[str, CommitteeMember]] = {}
    if ids:
        rows = session.exec(select(CommitteeMember).where(col(CommitteeMember.committee_id).in_(ids))).all()
        for row in rows:
            current.setdefault(row.committee_id, {})[row.user_id] = row
    for spec in doc.committees:
        committee = committees[spec.key]
        assert committee.id is not None
        members = current.get(committee.id, {})
        wanted = set(spec.members)
        stale = [row for user, row in members.items() if user not in wanted]
        fresh = [user for user in spec.members if user not in members]
        for row in stale:
            session.delete(row)
        for user in fresh:
            session.add(CommitteeMember(committee_id=committee.id, user_id=user))
        if (stale or fresh) and spec.key not in result.created:
            committee.updated_at = now
            if spec.key not in result.updated:
                result.updated.append(spec.key)
    for spec in doc.committees:
        if spec.key not in result.created and spec.key not in result.updated:
            result.unchanged.append(spec.key)
    session.flush()
    return result


def _committee_values(spec: CommitteeSpec, *, timezone: str, locale: str) -> dict[str, Any]:
    return {
        "key": spec.key,
        "name": spec.name,
        "kind": spec.kind,
        "channel": spec.channel,
        "cadence": spec.cadence,
        "first": spec.first,
        "duration": spec.duration,
        "timezone": spec.timezone or timezone,
        "locale": spec.locale or locale,
        "holidays": spec.holidays,
        "workdays": spec.workdays,
        "chair": spec.chair,
        "secretary": spec.secretary,
        "deck_owner": spec.deck_owner,
        "holiday_policy": spec.holiday_policy,
        "minutes_approval": spec.requires_approval,
        "timeline": dict(spec.timeline),
        "agenda_template": spec.agenda_template,
        "active": spec.active,
    }


def _apply(row: Any, values: Mapping[str, Any], *, skip_none: bool = False) -> bool:
    """Set the attributes that differ; True when anything changed."""
    changed = False
    for name, value in values.items():
        if skip_none and value is None:
            continue
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _check_channels_against_database(doc: ConfigDoc, stored: Mapping[str, Committee]) -> None:
    declared = {spec.key for spec in doc.committees}
    taken = {
        committee.channel: committee.key
        for committee in stored.values()
        if committee.active and committee.key not in declared
    }
    for spec in doc.committees:
        if spec.active and spec.channel in taken:
            raise ConfigError(
                f'{doc.source}: committee "{spec.key}": channel {spec.channel} is already the channel of '
                f'committee "{taken[spec.channel]}" (each active committee needs its own channel; '
                f"add that committee with active: false to retire it)"
            )


# --- exporting -------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style, except short lists of ids (``members: [U0A, U0B]``) as in SPEC §8."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(isinstance(item, str | int | float | bool) for item in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def export_config(session: Session) -> str:
    """The workspace settings and every committee as YAML that ``import_config`` reads back unchanged.

    Committee values equal to the workspace's (time zone, locale) or to the defaults are left out;
    feed tokens are secrets and are never exported.
    """
    workspace = get_workspace(session)
    committees = session.exec(select(Committee).order_by(col(Committee.id))).all()
    ids = [committee.id for committee in committees]
    members: dict[int, list[str]] = {}
    if ids:
        rows = session.exec(
            select(CommitteeMember)
            .where(col(CommitteeMember.committee_id).in_(ids))
            .order_by(col(CommitteeMember.id))
        ).all()
        for row in rows:
            members.setdefault(row.committee_id, []).append(row.user_id)

    entries = []
    for committee in committees:
        assert committee.id is not None
        entry: dict[str, Any] = {
            "key": committee.key,
            "name": committee.name,
            "kind": committee.kind,
            "channel": committee.channel,
            "cadence": committee.cadence,
            "first": committee.first.strftime(FIRST_FORMAT),
            "duration": committee.duration,
        }
        if committee.timezone != workspace.timezone:
            entry["timezone"] = committee.timezone
        if committee.locale != workspace.locale:
            entry["locale"] = committee.locale
        if committee.holidays is not None:
            entry["holidays"] = committee.holidays
        if committee.workdays is not None:
            entry["workdays"] = committee.workdays
        entry.update(
            chair=committee.chair,
            secretary=committee.secretary,
            deck_owner=committee.deck_owner,
            members=members.get(committee.id, []),
            holiday_policy=committee.holiday_policy,
        )
        if committee.minutes_approval is not None:
            entry["requires_approval"] = committee.minutes_approval
        if committee.timeline:
            entry["timeline"] = dict(committee.timeline)
        if committee.agenda_template is not None:
            entry["agenda_template"] = committee.agenda_template
        if not committee.active:
            entry["active"] = False
        entries.append(entry)

    document = {
        "timezone": workspace.timezone,
        "locale": workspace.locale,
        "holidays": workspace.holidays,
        "workdays": workspace.workdays,
        "admins": list(workspace.admins),
        **({"closures": list(workspace.closures)} if workspace.closures else {}),
        "committees": entries,
    }
    header = "# committee-bot configuration: `committee-bot config import` reads this file back.\n"
    return header + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120)
