"""Importing a configuration document into the database, and exporting the database as one (SPEC §8)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml
from sqlmodel import Session, col, select

from bot.config.document import FIRST_FORMAT, CommitteeSpec, ConfigDoc, ConfigError, _local_text
from bot.core import config_bounds
from storage.committees import DEFAULT_TEAM, get_workspace
from storage.models import Committee, CommitteeMember, WorkspaceSettings

# Committee keys an import summary names, at most (the others are counted).
SUMMARY_KEYS = 10


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
        """One line for the command line: ``committees.yaml: committees 1 created (production), ...``.

        Counts for every outcome and the committee keys, ``SUMMARY_KEYS`` at most in all, created
        first (an import of thousands of committees stays one readable line).
        """
        budget = SUMMARY_KEYS

        def part(label: str, keys: list[str]) -> str:
            nonlocal budget
            text = f"{len(keys)} {label}"
            if not keys:
                return text
            shown, budget = keys[:budget], max(0, budget - len(keys))
            more = len(keys) - len(shown)
            names = ", ".join(shown) + (f", and {more} more" if shown and more else "")
            return text + (f" ({names})" if shown else "")

        workspace = "workspace settings updated" if self.workspace_changed else "workspace settings unchanged"
        counts = ", ".join(
            [
                part("created", self.created),
                part("updated", self.updated),
                part("unchanged", self.unchanged),
            ]
        )
        return f"{source}: committees {counts}; {workspace}"


def import_config(session: Session, doc: ConfigDoc, *, now: datetime) -> ImportResult:
    """Upsert the workspace settings and the committees of ``doc`` by committee key.

    Runs in the caller's transaction (the caller commits; on error it rolls back and nothing changed).
    Rows are only written where a value differs, so importing the same file twice changes nothing.
    ``feed_token`` is made on first insert and kept afterwards.
    """
    for spec in doc.committees:
        if problem := config_bounds.first_problem(spec.first, now.date()):
            raise ConfigError(
                f'{doc.source}: committee "{spec.key}": first {_local_text(spec.first)} {problem}'
            )
    result = ImportResult()
    is_new = (
        session.exec(select(WorkspaceSettings.id).where(WorkspaceSettings.team_id == DEFAULT_TEAM)).first()
        is None
    )
    workspace = get_workspace(session)
    workspace_calendar = _calendar_of(workspace)
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
    if not is_new and workspace_calendar != _calendar_of(workspace):
        for existing in stored.values():
            existing.schedule_from = now  # holidays or workdays changed: every committee's series may move
    _check_channels_against_database(doc, stored)

    committees: dict[str, Committee] = {}
    for spec in doc.committees:
        values = _committee_values(spec, timezone=workspace.timezone, locale=workspace.locale)
        committee = stored.get(spec.key)
        if committee is None:
            committee = Committee(
                **values,
                feed_token=secrets.token_urlsafe(24),
                chased_from=now,  # chased from its first import on, never about earlier meetings
                created_at=now,
                updated_at=now,
            )
            session.add(committee)
            result.created.append(spec.key)
        else:
            schedule = {name: getattr(committee, name) for name in SCHEDULE_FIELDS}
            if _apply(committee, values):
                committee.updated_at = now
                result.updated.append(spec.key)
                if schedule != {name: getattr(committee, name) for name in SCHEDULE_FIELDS}:
                    committee.schedule_from = now
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


# What decides when a committee meets: a change applies from the import on (``schedule_from``).
SCHEDULE_FIELDS = ("first", "cadence", "duration", "timezone", "holidays", "workdays", "holiday_policy")


def _calendar_of(workspace: WorkspaceSettings) -> tuple[Any, ...]:
    """The workspace settings every committee's business calendar falls back on."""
    return (workspace.holidays, workspace.workdays, workspace.closures)


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
