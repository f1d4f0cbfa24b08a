"""Checking a configuration document: every mistake found, each named with where it is and how to fix it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.config import yaml_loader
from bot.config.document import (
    CHANNEL_ID,
    COMMITTEE_KEY,
    COMMITTEE_KEYS,
    DEFAULT_DURATION,
    FIRST_FORMAT,
    HOLIDAY_POLICIES,
    KINDS,
    LOCAL_TIME,
    MAX_DURATION,
    REQUIRED_COMMITTEE_KEYS,
    USER_ID,
    WORKSPACE_KEYS,
    CommitteeSpec,
    ConfigDoc,
    ConfigError,
    WorkspaceSpec,
    _local_text,
    _one_line,
    _quoted,
    _time_zones,
)
from bot.core import bounds, config_bounds, rules
from bot.core import calendar as calendar_mod
from bot.core.agenda import template_keys
from bot.text.render import LOCALES
from storage.models import HolidayPolicy


class Validator:
    """Checks one document; every message starts with the file and, when known, the committee."""

    def __init__(self, source: str, *, today: date | None = None) -> None:
        self.source = source
        self.today = today

    def fail(self, where: str | None, problem: str) -> ConfigError:
        prefix = f"{self.source}: {where}: " if where else f"{self.source}: "
        return ConfigError(_visible(_one_line(prefix + problem)))

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
        self.id_length(where, name, value)
        if not isinstance(value, str) or not USER_ID.match(value):
            raise self.fail(
                where,
                f'{name} "{value}" is not a Slack user id (allowed: an id such as U024BE7LH)',
            )
        return value

    def id_length(self, where: str | None, name: str, value: Any) -> None:
        """Slack ids are short: a longer one is no id (and would not fit the database's columns)."""
        if isinstance(value, str) and len(value) > bounds.SLACK_ID_MAX:
            raise self.fail(
                where,
                f'{name} "{value[:40]}…" is {len(value)} characters long, too long for a Slack id '
                f"(allowed: at most {bounds.SLACK_ID_MAX} characters, such as U024BE7LH or C024BE91L)",
            )

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
        if problem := config_bounds.text_problem(name, limit=200):
            raise self.fail(where, f"name {problem}")
        kind = data["kind"]
        if kind not in KINDS:
            raise self.fail(where, f'unknown kind "{kind}" (allowed: {_quoted(KINDS)})')
        channel = data["channel"]
        self.id_length(where, "channel", channel)
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
        if problem := config_bounds.cadence_problem(cadence):
            raise self.fail(where, f"cadence {problem}")
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
            rules.check_timeline(timeline)
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
        assert isinstance(key, str)  # a required key: its absence was refused above
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
        # Before the cadence is expanded from it: year 9999 would overflow there.
        if range_problem := config_bounds.first_problem(moment, self.today):
            raise self.fail(where, f"first {_local_text(moment)} {range_problem}")
        return moment


def load_config(path: str | Path, *, source: str | None = None, today: date | None = None) -> ConfigDoc:
    """Read and validate a configuration file; raises ConfigError on the first problem.

    Messages name the file as ``source`` (default: ``path`` as given).
    """
    source = source or str(path)
    try:
        text = yaml_loader.read_bounded(path)
    except FileNotFoundError:
        raise ConfigError(f"{source}: no such file") from None
    except yaml_loader.FileTooLarge as error:
        raise ConfigError(f"{source}: {error}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{source}: cannot read the file ({_one_line(str(error))})") from None
    return parse_config(text, source=source, today=today)


def parse_config(text: str, *, source: str = "<config>", today: date | None = None) -> ConfigDoc:
    """Validate configuration text (what ``load_config`` does once the file is read).

    With ``today``, a committee's ``first`` must lie within the planning range (five years ahead);
    without, only its lower bound (2000) is checked here and ``import_config`` checks the rest."""
    try:
        data = yaml_loader.load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{source}: {_yaml_problem(error)}") from None
    return Validator(source, today=today).document(data)


def _yaml_problem(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}invalid YAML ({_one_line(problem)})"


def _visible(text: str) -> str:
    """Control characters (a NUL in a value) shown as escapes, so the message stays one clean line."""
    return re.sub(r"[\x00-\x1f\x7f]", lambda match: f"\\x{ord(match.group()):02x}", text)
