"""SQLModel tables for the whole domain (SPEC §2).

Every ``datetime`` column is SQLModel's ``UTCDateTime``: aware values in, aware UTC out, so local time
only exists at the edges. The one naive column is a committee's ``first`` occurrence, a local
wall-clock time in the committee's zone. Dates without time (due dates, snoozes) are plain ``date``.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import NaiveDatetime
from sqlmodel import JSON, Column, Field, SQLModel


def id_of(row: SQLModel) -> int:
    """The primary key of a stored (flushed) row, which SQLModel types ``int | None``."""
    key = getattr(row, "id", None)
    if key is None:
        raise ValueError(f"{type(row).__name__} has no id yet: add and flush it first")
    return int(key)


class CommitteeKind(StrEnum):
    production = "production"
    qualite = "qualite"
    pilotage = "pilotage"
    strategique = "strategique"


class HolidayPolicy(StrEnum):
    next_business_day = "next_business_day"
    previous_business_day = "previous_business_day"
    skip = "skip"
    keep = "keep"


class MeetingStatus(StrEnum):
    scheduled = "scheduled"
    moved = "moved"
    cancelled = "cancelled"
    held = "held"


class Priority(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class ActionStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


OPEN_ACTION_STATUSES = (ActionStatus.open.value, ActionStatus.in_progress.value)


class DeliveryState(StrEnum):
    pending = "pending"
    sent = "sent"
    skipped = "skipped"
    failed = "failed"


class WorkspaceSettings(SQLModel, table=True):
    """One row per Slack workspace (``team_id`` "default" for single-workspace installs)."""

    __tablename__ = "workspace_settings"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(default="default", unique=True, max_length=32)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    locale: str = Field(default="fr", max_length=8)
    holidays: str = Field(
        default="FR", max_length=16, description="ISO country code, COUNTRY-SUBDIVISION (FR-57) or 'none'"
    )
    workdays: str = Field(default="mon,tue,wed,thu,fri", max_length=64)
    admins: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Workspace closure days (``YYYY-MM-DD``): not business days, like public holidays.
    closures: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class Committee(SQLModel, table=True):
    __tablename__ = "committee"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=64)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    channel: str = Field(index=True, max_length=32)
    cadence: str = Field(max_length=500)
    # The series' first occurrence, as local wall-clock time in ``timezone``.
    first: NaiveDatetime
    duration: int = Field(default=60, description="minutes")
    timezone: str = Field(max_length=64)
    locale: str = Field(max_length=8)
    # None = the workspace's setting.
    holidays: str | None = Field(default=None, max_length=16)
    workdays: str | None = Field(default=None, max_length=64)
    chair: str = Field(max_length=32)
    secretary: str = Field(max_length=32)
    deck_owner: str = Field(max_length=32)
    holiday_policy: str = Field(default=HolidayPolicy.next_business_day.value, max_length=32)
    # None = the default for the kind (pilotage and strategique require approval).
    minutes_approval: bool | None = None
    timeline: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    agenda_template: str | None = Field(default=None, max_length=64)
    feed_token: str = Field(unique=True, max_length=64)
    active: bool = True
    # When the committee was first imported: nothing is sent about its meetings that ended before,
    # and its first digest is the first one due after (SPEC §4). None: no such limit.
    chased_from: datetime | None = None
    # When ``config import`` last changed the schedule (time, cadence, zone, duration, holidays,
    # holiday policy): meetings that started before it stay as they took place, and the new series
    # has no occurrence before it (bot.core.calendar.occurrences). None: never changed.
    schedule_from: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


class CommitteeMember(SQLModel, table=True):
    __tablename__ = "committee_member"
    __table_args__ = (sa.UniqueConstraint("committee_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="committee.id", index=True, ondelete="CASCADE")
    user_id: str = Field(index=True, max_length=32)
    role: str = Field(default="member", max_length=32)


class Meeting(SQLModel, table=True):
    """One occurrence of a committee; ``series_start`` (UTC) identifies it within the series.

    Rows exist for occurrences that were planned, moved, cancelled or given content; the series
    itself lives in the committee's cadence.
    """

    __tablename__ = "meeting"
    __table_args__ = (sa.UniqueConstraint("committee_id", "series_start"),)

    id: int | None = Field(default=None, primary_key=True)
    committee_id: int = Field(foreign_key="committee.id", index=True, ondelete="CASCADE")
    series_start: datetime
    start: datetime = Field(index=True)
    end: datetime
    status: str = Field(default=MeetingStatus.scheduled.value, max_length=16)
    deck_shared_at: datetime | None = None
    deck_link: str | None = Field(default=None, max_length=2000)
    minutes_submitted_at: datetime | None = None
    minutes_submitted_by: str | None = Field(default=None, max_length=32)
    minutes_text: str | None = Field(default=None, sa_column=Column(sa.Text))
    minutes_link: str | None = Field(default=None, max_length=2000)
    minutes_attendees: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    minutes_approved_at: datetime | None = None
    minutes_posted_at: datetime | None = None
    minutes_ts: str | None = Field(default=None, max_length=32)
    # Slack ts of the channel messages the bot keeps current (agenda request, published agenda).
    agenda_request_ts: str | None = Field(default=None, max_length=32)
    agenda_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime | None = None
    updated_at: datetime | None = None


class AgendaItem(SQLModel, table=True):
    __tablename__ = "agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    title: str = Field(max_length=3000)
    presenter: str | None = Field(default=None, max_length=32)
    duration: int | None = Field(default=None, description="minutes")
    notes: str | None = Field(default=None, sa_column=Column(sa.Text))
    link: str | None = Field(default=None, max_length=2000)
    proposer: str = Field(max_length=32)
    created_at: datetime | None = None


class Decision(SQLModel, table=True):
    __tablename__ = "decision"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    text: str = Field(sa_column=Column(sa.Text, nullable=False))
    recorded_by: str = Field(max_length=32)
    recorded_at: datetime | None = None


class MinutesVersion(SQLModel, table=True):
    """One version of a meeting's minutes, kept as it was submitted or amended (never changed).

    ``kind``: ``submitted`` (a first or a new submission, after the chair asked for changes) or
    ``amended`` (posted minutes corrected). ``actions`` maps each action line of this version to the
    item it stands for (``[{"line": …, "action_id": n}]``), so that an amendment reconciles items with
    lines instead of creating them again.
    """

    __tablename__ = "minutes_version"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    number: int
    kind: str = Field(max_length=16)
    summary: str = Field(sa_column=Column(sa.Text, nullable=False))
    decisions: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    attendees: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    link: str | None = Field(default=None, max_length=2000)
    author: str = Field(max_length=32)
    created_at: datetime


class ActionItem(SQLModel, table=True):
    """An action item; its public id is ``A<id>`` (see ``public_id``)."""

    __tablename__ = "action_item"
    __table_args__ = (
        sa.Index("ix_action_item_status_due", "status", "due"),
        sa.Index("ix_action_item_owner_status", "owner", "status"),
        sa.Index("ix_action_item_committee_status", "committee_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=3000)
    owner: str = Field(max_length=32)
    creator: str = Field(max_length=32)
    committee_id: int | None = Field(default=None, foreign_key="committee.id", ondelete="SET NULL")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", ondelete="SET NULL")
    source_link: str | None = Field(default=None, max_length=2000)
    due: date
    priority: str = Field(default=Priority.medium.value, max_length=8)
    status: str = Field(default=ActionStatus.open.value, max_length=16)
    progress: int = 0
    snoozed_until: date | None = None
    # The due date the owner first committed to, set when the item is first postponed (``/action
    # postpone``): the health figures measure the item against it and count it as postponed.
    postponed_from: date | None = None
    closed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def public_id(self) -> str:
        return f"A{self.id}"


class ActionChange(SQLModel, table=True):
    """One entry of an action item's history: who changed what, when."""

    __tablename__ = "action_change"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="action_item.id", index=True, ondelete="CASCADE")
    at: datetime
    actor: str = Field(max_length=32)
    field: str = Field(max_length=32)
    old: str | None = Field(default=None, sa_column=Column(sa.Text))
    new: str | None = Field(default=None, sa_column=Column(sa.Text))
    comment: str | None = Field(default=None, sa_column=Column(sa.Text))


class SlackUser(SQLModel, table=True):
    """What the bot knows of a Slack user: time zone, locale, deactivation, away period."""

    __tablename__ = "slack_user"

    user_id: str = Field(primary_key=True, max_length=32)
    # Display name as Slack gave it (tracker exports name owners; imports match them by it).
    name: str | None = Field(default=None, max_length=200)
    # The user's own workspace: another organisation's for Slack Connect members.
    team_id: str | None = Field(default=None, max_length=32)
    tz: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=16)
    deleted: bool = False
    is_admin: bool = False
    away_until: date | None = None
    # When the chair was told this owner cannot be chased (told once per away/deactivation).
    unreachable_reported_at: datetime | None = None
    fetched_at: datetime | None = None


class Notification(SQLModel, table=True):
    """One planned message (the outbox of SPEC §9)."""

    __tablename__ = "notification"
    __table_args__ = (
        # The scheduler's hot query: pending rows by due time.
        sa.Index("ix_notification_pending_due", "state", "due_at"),
        sa.Index("ix_notification_meeting", "meeting_id"),
        sa.Index("ix_notification_action", "action_id"),
        # Planning reads each committee's pending rows: without it, planning N committees is N scans.
        sa.Index("ix_notification_committee", "committee_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=255, description="idempotency key")
    kind: str = Field(max_length=32)
    due_at: datetime
    expires_at: datetime | None = None
    recipient: str = Field(max_length=32, description="channel or user id")
    committee_id: int | None = Field(default=None, foreign_key="committee.id", ondelete="CASCADE")
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", ondelete="CASCADE")
    action_id: int | None = Field(default=None, foreign_key="action_item.id", ondelete="CASCADE")
    state: str = Field(default=DeliveryState.pending.value, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = None
    claimed_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    sent_at: datetime | None = None
    channel: str | None = Field(default=None, max_length=32, description="where it was posted")
    ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, max_length=500)
    # Set when editing the posted message (chat.update) failed: the next tick edits it again.
    stale_since: datetime | None = Field(default=None, index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = None
    updated_at: datetime | None = None


class PlanMark(SQLModel, table=True):
    """How far the dispatcher has planned one subject, so a tick only plans what is new.

    ``subject`` is ``committee:<id>`` (its meetings, digests and actions) or ``action:<id>`` (an
    action without a committee); ``planned_until`` is the end of the window already in the
    notification table. ``seen:<table>`` rows keep the highest id already planned (``last_id``),
    which finds new committees and actions with a primary-key range instead of a scan.
    """

    __tablename__ = "plan_mark"

    subject: str = Field(primary_key=True, max_length=64)
    planned_until: datetime | None = Field(default=None, index=True)
    planned_at: datetime | None = None
    last_id: int | None = None


class SeenRequest(SQLModel, table=True):
    """A verified Slack request already handled, by fingerprint (``bot.run.replays``): a replay of it,
    or Slack's retry of the same event, gets the stored answer and runs nothing. Rows expire after an
    hour (Slack's signatures expire after five minutes; its event retries stop within the hour)."""

    __tablename__ = "seen_request"

    key: str = Field(primary_key=True, max_length=160)
    seen_at: datetime = Field(index=True)
    status: int | None = None
    content_type: str | None = Field(default=None, max_length=100)
    answer: str | None = Field(default=None, max_length=16000)
