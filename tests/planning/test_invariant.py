"""The invariant of SPEC §4 "Changes and their invariant", as a stateful property test.

Hypothesis drives random sequences of what a committee does in a month of use: meetings moved (and
moved again), cancelled, restored; settings changed by ``config import`` (time, cadence, zone, holiday
policy); decks shared, topics added, minutes submitted, sent back, approved, amended; action items added,
reassigned, re-dated, postponed, muted, done, reopened; owners away or deactivated. Between them the clock
moves forward and the real dispatcher ticks against the fake Slack over real HTTP. Each change goes
through the same flow functions the Slack listeners call, followed by the same after-commit
refresh.

After every step, no idempotency key was posted twice. At random points of the sequence (a step of
its own, ``audit``) and at its end:
- the pending notifications that will be sent (still needed at their instant) are exactly those a
  fresh plan of the current state gives (key, instant, recipient): the outbox is emptied of what
  was not sent, the planning marks dropped, ``plan_horizon`` run again, then rolled back;
- every message the bot posted and that is still live shows the current state: its latest version
  (after ``chat.update``) is what the current state renders at the time of that version.

Bounded so that it runs in the default suite (``INVARIANT_EXAMPLES``, ``INVARIANT_STEPS`` to run it
longer); a failure prints the shortest sequence of steps, the Hypothesis seed and a reproduction blob.
"""

from __future__ import annotations

import collections
import json
import os
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import hypothesis
import hypothesis.strategies as st
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import RuleBasedStateMachine, get_state_machine_test, initialize, invariant, rule
from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, col, select

from bot.action_items import flows as action_rules
from bot.action_items import people
from bot.cli.config_commands import after_import
from bot.config.transfer import import_config
from bot.config.validation import parse_config
from bot.core.calendar import localize, zone
from bot.delivery import edits
from bot.delivery import tick as delivery
from bot.delivery.record import ACTION_KINDS, absence
from bot.meetings import flows as meeting_flows
from bot.meetings import state as meeting_state
from bot.meetings.changes import restore_meeting
from bot.notices import registry as notices
from bot.planning import horizon, outbox
from bot.surface.action_items import after_action_committed
from bot.surface.meetings import refresh_messages
from bot.text.errors import InvalidInput, NotFound, PermissionDenied
from storage.committees import get_or_create_meeting
from storage.db import write_session
from storage.models import ActionItem, Committee, Meeting, Notification, PlanMark, SlackUser, id_of
from tests.support.fakeslack import FakeSlack

EXAMPLES = int(os.environ.get("INVARIANT_EXAMPLES", "30"))
STEPS = int(os.environ.get("INVARIANT_STEPS", "25"))

# Monday 4 January 2027, 08:00 in Paris: the install. Both committees have met before it.
INSTALL = datetime(2027, 1, 4, 7, 0, tzinfo=UTC)
CHAIR, SEC, DECK, PCHAIR, OWNER_A, OWNER_B, OWNER_C = (
    "U0CHAIR",
    "U0SEC",
    "U0DECK",
    "U0PCHAIR",
    "U0A",
    "U0B",
    "U0C",
)
OWNERS = (OWNER_A, OWNER_B, OWNER_C)
ZONES = {OWNER_A: "Europe/Paris", OWNER_B: "America/New_York", OWNER_C: "Europe/Paris"}
# Kinds whose posted message is a snapshot of its moment, never edited (the digest), or whose
# content rides in the row (follow-up DMs), or reports to the chair.
DEFAULT_SEED = 20261203  # see test_pending_notifications_and_posted_messages_follow_every_change

# Messages posted once and never re-rendered: digests, follow-ups, reports, uploaded documents.
SNAPSHOTS = frozenset({"weekly_digest", *edits.NOT_EDITED, *outbox.REPORT_KINDS})
PRE_MEETING = frozenset(
    {"save_the_date", "agenda_request", "deck_reminder", "agenda_published", "meeting_reminder"}
)


@dataclass
class Settings:
    """What ``config import`` declares for one committee; the steps change these values."""

    key: str
    kind: str
    channel: str
    cadence: str
    first: str  # YYYY-MM-DD
    hour: str  # HH:MM
    timezone: str
    holiday_policy: str
    chair: str
    extra: dict[str, Any] = field(default_factory=dict)


def initial_settings() -> dict[str, Settings]:
    return {
        "production": Settings(
            "production", "production", "C0PROD", "weekly", "2026-12-01", "10:00", "Europe/Paris",
            "next_business_day", CHAIR,
        ),
        "pilotage": Settings(
            "pilotage", "pilotage", "C0PIL", "monthly", "2026-12-10", "14:00", "Europe/Paris",
            "next_business_day", PCHAIR,
        ),
    }  # fmt: skip


def config_yaml(committees: dict[str, Settings]) -> str:
    lines = ["timezone: Europe/Paris", "locale: fr", "holidays: FR", "committees:"]
    for c in committees.values():
        lines += [
            f"  - key: {c.key}",
            f"    name: Comité {c.key}",
            f"    kind: {c.kind}",
            f"    channel: {c.channel}",
            f"    cadence: {c.cadence}",
            f"    first: {c.first}T{c.hour}",
            f"    timezone: {c.timezone}",
            "    duration: 60",
            f"    chair: {c.chair}",
            f"    secretary: {SEC}",
            f"    deck_owner: {DECK}",
            f"    holiday_policy: {c.holiday_policy}",
        ]
    return "\n".join(lines) + "\n"


# -- the three checks --------------------------------------------------------------------------


Planned = tuple[str, datetime, str]  # key, due instant, recipient


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _outbox(session: Session, until: datetime) -> dict[str, Notification]:
    """The pending planned rows due before ``until``, by key."""
    rows = session.exec(
        select(Notification).where(
            Notification.state == "pending",
            col(Notification.kind).in_(outbox.PLANNED_KINDS),
            Notification.due_at < until,
        )
    ).all()
    return {row.key: row for row in rows}


def _signature(row: Notification) -> tuple[Any, ...]:
    """All a row's sending depends on besides the state of its subject."""
    data = json.dumps(row.data or {}, sort_keys=True)
    expires = _utc(row.expires_at) if row.expires_at else None
    return (_utc(row.due_at), row.recipient, expires, data, row.meeting_id, row.action_id)


def _will_send(session: Session, rows: list[Notification], now: datetime) -> set[Planned]:
    """Those of ``rows`` that the current state still needs at their instant (or now, if it passed):
    a message to build, and for an action's chase an owner who can be chased then (the tick skips
    the others when they are due, so a fresh plan's row for an absent owner is no loss)."""
    return {
        (row.key, _utc(row.due_at), row.recipient)
        for row in rows
        if row.kind == "weekly_digest"
        or (
            notices.build(session, row, now=max(now, _utc(row.due_at))) is not None
            and (row.kind not in ACTION_KINDS or absence(session, row, max(now, _utc(row.due_at))) is None)
        )
    }


def outbox_against_fresh_plan(engine: Engine, now: datetime) -> tuple[set[Planned], set[Planned]]:
    """(stale, lost): what the outbox would send in the next ``REFILL`` (it is planned at least that
    far after a tick) and a fresh plan of the current state would not, and the other way round.

    The fresh plan runs in a transaction rolled back afterwards: every row neither sent nor failed
    for good removed, the planning marks dropped, ``plan_horizon`` run again. Rows identical on both
    sides (same instant, recipient, expiry, data) are equal whatever the state; the others are
    compared once filtered by what the state still needs.
    """
    until = now + outbox.REFILL
    with Session(engine) as session:
        live = {key: _signature(row) for key, row in _outbox(session, until).items()}
    with Session(engine) as session:
        try:
            session.execute(
                sa.delete(Notification).where(col(Notification.state).in_(["pending", "skipped"]))
            )
            session.execute(sa.delete(PlanMark))
            horizon.plan_horizon(session, now=now, budget=None)
            session.flush()
            planned = _outbox(session, until)
            differ = {key for key, row in planned.items() if live.get(key) != _signature(row)}
            differ |= set(live) - set(planned)
            fresh = _will_send(session, [planned[key] for key in differ if key in planned], now)
        finally:
            session.rollback()
    with Session(engine) as session:
        rows = _outbox(session, until)
        queued = _will_send(session, [rows[key] for key in differ if key in rows], now)
    return queued - fresh, fresh - queued


def show(items: set[Planned]) -> list[str]:
    return sorted(f"{at.isoformat()} {key} -> {to}" for key, at, to in items)


def _canonical(blocks: Any) -> Any:
    return json.loads(json.dumps(blocks or [], sort_keys=True, default=str))


# -- the machine -------------------------------------------------------------------------------


STATS: collections.Counter[str] = collections.Counter()  # INVARIANT_STATS=1 prints what the steps did


def event(what: str) -> None:
    STATS[what] += 1


def make_machine(engine: Engine, fake: FakeSlack, client: WebClient) -> type[RuleBasedStateMachine]:
    tables = list(reversed(SQLModel.metadata.sorted_tables))

    class CommitteeMonth(RuleBasedStateMachine):
        """One workspace, two committees (weekly production; monthly pilotage with approvals)."""

        def __init__(self) -> None:
            super().__init__()
            with engine.begin() as connection:
                for table in tables:
                    if table.name != "alembic_version":
                        connection.execute(table.delete())
            fake.reset()
            self.now = INSTALL
            self.committees = initial_settings()
            self.stamps: dict[tuple[str, str], tuple[int, datetime]] = {}  # (channel, ts) -> (version, at)

        # -- plumbing --------------------------------------------------------------------------

        def tick(self) -> None:
            delivery.tick(engine, client, now=self.now, worker="inv", sleep=lambda _s: None, concurrency=1)
            self.stamp()

        def stamp(self) -> None:
            """Note the clock of each message version (every Slack call of a step is at ``now``)."""
            for message in fake.messages():
                version = len(message.edits)
                known = self.stamps.get((message.channel, message.ts))
                if known is None or known[0] != version:
                    self.stamps[(message.channel, message.ts)] = (version, self.now)

        def import_settings(self) -> None:
            with write_session(engine) as session:
                doc = parse_config(config_yaml(self.committees))
                result = import_config(session, doc, now=self.now)
                after_import(session, result, now=self.now)

        def committee(self, session: Session, key: str) -> Committee:
            found = session.exec(select(Committee).where(Committee.key == key)).one()
            return found

        def meeting_flow(self, flow: Any) -> None:
            """Run a meeting flow as the listeners do: its change committed, then the refresh."""
            try:
                with write_session(engine) as session:
                    meeting_id = flow(session)
            except (InvalidInput, PermissionDenied, NotFound) as error:
                event(f"refused: {flow.__qualname__.split('.')[-3]} ({getattr(error, 'key', '')})")
                return  # refused: nothing changed
            event(f"{'made' if meeting_id else 'nothing to do'}: {flow.__qualname__.split('.')[-3]}")
            if meeting_id is not None:
                refresh_messages(engine, client, meeting_id=meeting_id, now=self.now)
            self.tick()

        def action_flow(self, flow: Any) -> None:
            try:
                with write_session(engine) as session:
                    action_id = flow(session)
            except (InvalidInput, PermissionDenied, NotFound) as error:
                event(f"refused: {flow.__qualname__.split('.')[-3]} ({getattr(error, 'key', '')})")
                return
            event(f"{'made' if action_id else 'nothing to do'}: {flow.__qualname__.split('.')[-3]}")
            if action_id is not None:
                after_action_committed(engine, client, action_id=action_id, now=self.now, users=())
            self.tick()

        def upcoming(self, session: Session, key: str, index: int) -> Meeting | None:
            committee = self.committee(session, key)
            found = meeting_state.upcoming_occurrences(session, committee=committee, now=self.now, limit=3)
            if not found:
                return None
            occurrence = found[min(index, len(found) - 1)]
            return get_or_create_meeting(session, committee=committee, occurrence=occurrence, now=self.now)

        def today(self) -> date:
            return self.now.astimezone(zone("Europe/Paris")).date()

        # -- setup -----------------------------------------------------------------------------

        @initialize()
        def install(self) -> None:
            event("sequences")
            with write_session(engine) as session:
                for user_id in (CHAIR, SEC, DECK, PCHAIR, *OWNERS):
                    session.add(
                        SlackUser(user_id=user_id, tz=ZONES.get(user_id, "Europe/Paris"), locale="fr-FR")
                    )
            for user_id in (CHAIR, SEC, DECK, PCHAIR, *OWNERS):
                fake.add_user(user_id, tz=ZONES.get(user_id, "Europe/Paris"), locale="fr-FR")
            self.import_settings()
            self.tick()

        # -- time ------------------------------------------------------------------------------

        @rule(hours=st.sampled_from([1, 3, 9, 24, 49, 73, 168]))
        def time_passes(self, hours: int) -> None:
            self.now += timedelta(hours=hours)
            self.tick()

        # -- meetings --------------------------------------------------------------------------

        @rule(
            key=st.sampled_from(["production", "pilotage"]),
            index=st.integers(0, 2),
            days=st.integers(-3, 6),
            hour=st.sampled_from([8, 11, 15]),
        )
        def move(self, key: str, index: int, days: int, hour: int) -> None:
            def flow(session: Session) -> int | None:
                meeting = self.upcoming(session, key, index)
                if meeting is None:
                    return None
                committee = self.committee(session, key)
                tz = zone(committee.timezone)
                day = _utc(meeting.start).astimezone(tz).date() + timedelta(days=days)
                new_start = localize(datetime(day.year, day.month, day.day, hour, 0), tz)
                actor = committee.chair
                meeting_flows.move_meeting(
                    session, meeting_id=meeting.id, new_start=new_start, actor=actor, now=self.now
                )
                return meeting.id

            self.meeting_flow(flow)

        @rule(
            key=st.sampled_from(["production", "pilotage"]),
            days=st.integers(-2, 4),
            hour=st.sampled_from([9, 16]),
        )
        def move_again(self, key: str, days: int, hour: int) -> None:
            """Move a meeting already moved (the first bug of issue 9)."""

            def flow(session: Session) -> int | None:
                committee = self.committee(session, key)
                moved = session.exec(
                    select(Meeting).where(
                        Meeting.committee_id == committee.id,
                        Meeting.status == "moved",
                        Meeting.start > self.now,
                    )
                ).first()
                if moved is None:
                    return None
                tz = zone(committee.timezone)
                day = _utc(moved.start).astimezone(tz).date() + timedelta(days=days)
                new_start = localize(datetime(day.year, day.month, day.day, hour, 0), tz)
                meeting_flows.move_meeting(
                    session, meeting_id=moved.id, new_start=new_start, actor=committee.chair, now=self.now
                )
                return moved.id

            self.meeting_flow(flow)

        @rule(key=st.sampled_from(["production", "pilotage"]), index=st.integers(0, 2))
        def cancel(self, key: str, index: int) -> None:
            def flow(session: Session) -> int | None:
                meeting = self.upcoming(session, key, index)
                if meeting is None:
                    return None
                chair = self.committee(session, key).chair
                meeting_flows.cancel_meeting(session, meeting_id=meeting.id, actor=chair, now=self.now)
                return meeting.id

            self.meeting_flow(flow)

        @rule(key=st.sampled_from(["production", "pilotage"]), index=st.integers(0, 3))
        def restore(self, key: str, index: int) -> None:
            """Undo a cancellation (the Restore button or ``/committee restore``)."""

            def flow(session: Session) -> int | None:
                committee = self.committee(session, key)
                cancelled = session.exec(
                    select(Meeting)
                    .where(
                        Meeting.committee_id == committee.id,
                        Meeting.status == "cancelled",
                        Meeting.start > self.now,
                    )
                    .order_by(col(Meeting.start))
                ).all()
                # Occurrences a config change took out of the series are among them: restore
                # refuses those (meeting_left_series), and nothing may change.
                if not cancelled:
                    return None
                meeting = cancelled[index % len(cancelled)]
                restore_meeting(session, meeting_id=id_of(meeting), actor=committee.chair, now=self.now)
                return meeting.id

            self.meeting_flow(flow)

        @rule(key=st.sampled_from(["production", "pilotage"]), index=st.integers(0, 1))
        def share_deck(self, key: str, index: int) -> None:
            def flow(session: Session) -> int | None:
                meeting = self.upcoming(session, key, index)
                if meeting is None:
                    return None
                meeting_flows.mark_deck_shared(
                    session, meeting_id=meeting.id, link="https://example.com/deck", actor=DECK, now=self.now
                )
                return meeting.id

            self.meeting_flow(flow)

        @rule(key=st.sampled_from(["production", "pilotage"]), index=st.integers(0, 1), n=st.integers(1, 99))
        def add_topic(self, key: str, index: int, n: int) -> None:
            def flow(session: Session) -> int | None:
                meeting = self.upcoming(session, key, index)
                if meeting is None:
                    return None
                meeting_flows.add_topic(
                    session,
                    meeting_id=meeting.id,
                    title=f"Sujet {n}",
                    duration=15,
                    proposer=OWNER_A,
                    now=self.now,
                )
                return meeting.id

            self.meeting_flow(flow)

        @rule(key=st.sampled_from(["production", "pilotage"]), with_action=st.booleans())
        def submit_minutes(self, key: str, with_action: bool) -> None:
            def flow(session: Session) -> int | None:
                committee = self.committee(session, key)
                meeting = meeting_state.minutes_meeting(session, committee=committee, now=self.now)
                due = (self.today() + timedelta(days=10)).isoformat()
                lines = [f"<@{OWNER_C}> Préparer le plan by {due}"] if with_action else []
                meeting_flows.submit_minutes(
                    session,
                    meeting_id=meeting.id,
                    summary="Compte rendu",
                    decisions=["On continue"],
                    action_lines=lines,
                    actor=SEC,
                    now=self.now,
                )
                return meeting.id

            self.meeting_flow(flow)

        def awaiting(self, session: Session) -> Meeting | None:
            committee = self.committee(session, "pilotage")
            return session.exec(
                select(Meeting).where(
                    Meeting.committee_id == committee.id,
                    col(Meeting.minutes_submitted_at).is_not(None),
                    col(Meeting.minutes_approved_at).is_(None),
                )
            ).first()

        @rule(
            key=st.sampled_from(["production", "pilotage"]),
            lines=st.sampled_from(["none", "same", "redated", "other owner"]),
        )
        def amend_minutes(self, key: str, lines: str) -> None:
            """Correct posted minutes: their action lines removed, kept, re-dated or given to another."""

            def flow(session: Session) -> int | None:
                committee = self.committee(session, key)
                posted = session.exec(
                    select(Meeting)
                    .where(Meeting.committee_id == committee.id, col(Meeting.minutes_posted_at).is_not(None))
                    .order_by(col(Meeting.start).desc())
                ).first()
                if posted is None:
                    return None
                due = self.today() + timedelta(days=14 if lines == "redated" else 10)
                owner = OWNER_A if lines == "other owner" else OWNER_C
                action_lines = (
                    [] if lines == "none" else [f"<@{owner}> Préparer le plan by {due.isoformat()}"]
                )
                meeting_flows.amend_minutes(
                    session, meeting_id=id_of(posted), summary="Compte rendu corrigé", decisions=["On continue"],
                    action_lines=action_lines, actor=SEC, now=self.now,
                )  # fmt: skip
                return posted.id

            self.meeting_flow(flow)

        @rule()
        def request_changes(self) -> None:
            def flow(session: Session) -> int | None:
                meeting = self.awaiting(session)
                if meeting is None:
                    return None
                meeting_flows.request_minutes_changes(
                    session, meeting_id=meeting.id, comment="Ajouter les chiffres", actor=PCHAIR, now=self.now
                )
                return meeting.id

            self.meeting_flow(flow)

        @rule()
        def approve(self) -> None:
            def flow(session: Session) -> int | None:
                meeting = self.awaiting(session)
                if meeting is None:
                    return None
                meeting_flows.approve_minutes(session, meeting_id=meeting.id, actor=PCHAIR, now=self.now)
                return meeting.id

            self.meeting_flow(flow)

        # -- configuration ---------------------------------------------------------------------

        @rule(
            key=st.sampled_from(["production", "pilotage"]),
            change=st.sampled_from(["hour", "cadence", "zone", "policy"]),
            pick=st.integers(0, 3),
        )
        def config_change(self, key: str, change: str, pick: int) -> None:
            settings_ = self.committees[key]
            if change == "hour":
                settings_.hour = ["10:00", "14:00", "09:30", "16:00"][pick]
            elif change == "cadence":
                weekly = ["weekly", "biweekly", "weekly", "biweekly"]
                monthly = ["monthly", "monthly-business-day:3", "monthly", "quarterly"]
                settings_.cadence = (weekly if key == "production" else monthly)[pick]
            elif change == "zone":
                settings_.timezone = ["Europe/Paris", "Europe/London", "America/New_York", "Europe/Paris"][
                    pick
                ]
            else:
                settings_.holiday_policy = ["next_business_day", "previous_business_day", "skip", "keep"][
                    pick
                ]
            self.import_settings()
            self.tick()

        # -- action items ----------------------------------------------------------------------

        def action(self, session: Session, index: int, *, open_only: bool = True) -> ActionItem | None:
            query = select(ActionItem).order_by(col(ActionItem.id))
            if open_only:
                query = query.where(col(ActionItem.status).in_(["open", "in_progress"]))
            found = session.exec(query).all()
            return found[index % len(found)] if found else None

        def chair_of(self, session: Session, item: ActionItem) -> str:
            committee = session.get(Committee, item.committee_id)
            assert committee is not None
            return committee.chair

        @rule(
            key=st.sampled_from(["production", "pilotage"]),
            owner=st.sampled_from(OWNERS),
            days=st.integers(0, 12),
        )
        def add_action(self, key: str, owner: str, days: int) -> None:
            def flow(session: Session) -> int | None:
                committee = self.committee(session, key)
                item = action_rules.create_action(
                    session,
                    title=f"Action {days}",
                    owner=owner,
                    creator=committee.chair,
                    due=self.today() + timedelta(days=days),
                    committee_id=committee.id,
                    now=self.now,
                    today=self.today() - timedelta(days=1),
                )
                return item.id

            self.action_flow(flow)

        @rule(index=st.integers(0, 5), owner=st.sampled_from(OWNERS))
        def reassign(self, index: int, owner: str) -> None:
            def flow(session: Session) -> int | None:
                item = self.action(session, index)
                if item is None or item.owner == owner:
                    return None
                action_rules.reassign_action(
                    session,
                    action_id=item.id,
                    actor=self.chair_of(session, item),
                    new_owner=owner,
                    now=self.now,
                )
                return item.id

            self.action_flow(flow)

        @rule(index=st.integers(0, 5), days=st.integers(1, 15))
        def change_due(self, index: int, days: int) -> None:
            def flow(session: Session) -> int | None:
                item = self.action(session, index)
                if item is None:
                    return None
                action_rules.edit_action(
                    session, action_id=item.id, actor=self.chair_of(session, item), due=self.today() + timedelta(days=days),
                    now=self.now, today=self.today() - timedelta(days=1),
                )  # fmt: skip
                return item.id

            self.action_flow(flow)

        @rule(index=st.integers(0, 5), days=st.integers(1, 10))
        def postpone(self, index: int, days: int) -> None:
            """A new, later due date (kept in the history), not a correction."""

            def flow(session: Session) -> int | None:
                item = self.action(session, index)
                if item is None:
                    return None
                action_rules.postpone_action(
                    session, action_id=item.id, actor=self.chair_of(session, item),
                    due=item.due + timedelta(days=days), now=self.now, today=self.today() - timedelta(days=1),
                )  # fmt: skip
                return item.id

            self.action_flow(flow)

        @rule(index=st.integers(0, 5), days=st.integers(1, 8))
        def mute(self, index: int, days: int) -> None:
            """Mute reminders until a date (the former snooze): the due date stays."""

            def flow(session: Session) -> int | None:
                item = self.action(session, index)
                if item is None:
                    return None
                action_rules.mute_action(
                    session, action_id=item.id, actor=self.chair_of(session, item), until=self.today() + timedelta(days=days),
                    now=self.now, today=self.today(),
                )  # fmt: skip
                return item.id

            self.action_flow(flow)

        @rule(index=st.integers(0, 5))
        def done(self, index: int) -> None:
            def flow(session: Session) -> int | None:
                item = self.action(session, index)
                if item is None:
                    return None
                action_rules.complete_action(
                    session, action_id=item.id, actor=self.chair_of(session, item), now=self.now
                )
                return item.id

            self.action_flow(flow)

        @rule(index=st.integers(0, 5))
        def reopen(self, index: int) -> None:
            def flow(session: Session) -> int | None:
                found = session.exec(select(ActionItem).where(ActionItem.status == "done")).all()
                if not found:
                    return None
                item = found[index % len(found)]
                action_rules.update_progress(
                    session,
                    action_id=item.id,
                    actor=self.chair_of(session, item),
                    status="open",
                    progress=50,
                    now=self.now,
                )
                return item.id

            self.action_flow(flow)

        @rule(owner=st.sampled_from(OWNERS), days=st.integers(-1, 6))
        def away(self, owner: str, days: int) -> None:
            with write_session(engine) as session:
                if days < 0:
                    people.clear_away(session, user_id=owner, now=self.now)
                else:
                    people.set_away(
                        session, user_id=owner, until=self.today() + timedelta(days=days), now=self.now,
                        today=self.today() - timedelta(days=1),
                    )  # fmt: skip
            self.tick()

        @rule(owner=st.sampled_from([OWNER_B, OWNER_C]))
        def deactivated(self, owner: str) -> None:
            fake.deactivate(owner)  # the bot learns it when Slack refuses a DM
            self.tick()

        # -- the invariant ---------------------------------------------------------------------

        @invariant()
        def nothing_sent_twice(self) -> None:
            event("steps (and installs)")
            keys = [m.metadata["event_payload"]["key"] for m in fake.messages() if m.metadata]
            twice = sorted({key for key in keys if keys.count(key) > 1})
            assert twice == [], f"posted more than once: {twice}"

        @rule()
        def audit(self) -> None:
            """The outbox against a fresh plan and the posted messages against the current state, at
            random points of the sequence and at its end (each check costs a plan and a render of
            every message: after every step, the bounded run would take minutes)."""
            self.posted_messages_show_the_current_state()
            stale, lost = outbox_against_fresh_plan(engine, self.now)
            assert not stale and not lost, (
                f"at {self.now.isoformat()}\nonly in the outbox (stale):\n  "
                + "\n  ".join(show(stale))
                + "\nonly in a fresh plan (lost):\n  "
                + "\n  ".join(show(lost))
            )

        def teardown(self) -> None:
            self.audit()

        def posted_messages_show_the_current_state(self) -> None:
            by_place = {(m.channel, m.ts): m for m in fake.messages()}
            stale = []
            with Session(engine) as session:
                rows = session.exec(
                    select(Notification).where(
                        Notification.state == "sent", col(Notification.ts).is_not(None)
                    )
                ).all()
                for row in rows:
                    if row.kind in SNAPSHOTS:
                        continue
                    meeting = session.get(Meeting, row.meeting_id) if row.meeting_id else None
                    if row.kind in PRE_MEETING and meeting is not None and self.now >= _utc(meeting.start):
                        continue  # held: its agenda messages are a record of before the meeting
                    if fake.users.get(row.recipient, {}).get("deleted"):
                        continue  # a deactivated user's DMs can no longer be edited (user_disabled)
                    message = by_place.get((row.channel or row.recipient, row.ts))
                    assert message is not None, f"{row.key}: posted but not in Slack"
                    if notices.build(session, row, now=self.now) is None:
                        # Nothing to show any more (a chase a later one superseded, the notice of a
                        # meeting now held): a record of its time, left as it was last shown.
                        continue
                    _, at = self.stamps[(message.channel, message.ts)]
                    expected = notices.build(session, row, now=at)
                    if expected is None:
                        continue  # nothing newer to show
                    if (expected.text, _canonical(expected.blocks)) != (
                        message.text,
                        _canonical(message.blocks),
                    ):
                        stale.append(
                            f"{row.key} (last edited {at.isoformat()}): {message.text!r} != {expected.text!r}"
                        )
            assert stale == [], "messages showing an outdated state:\n  " + "\n  ".join(stale)

    return CommitteeMonth


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running


def test_pending_notifications_and_posted_messages_follow_every_change(engine, fake) -> None:
    """SPEC §4: after any sequence of changes, the outbox is a fresh plan of the final state, nothing
    is posted twice, and every live posted message shows the final state (SQLite and PostgreSQL)."""
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    machine = make_machine(engine, fake, client)
    # A fixed seed by default, so CI is reproducible and a red run is a regression, not a roll of the
    # dice; INVARIANT_SEED=random explores new sequences (two known failures found that way are listed
    # in CHANGELOG.md under "Known issues").
    chosen = os.environ.get("INVARIANT_SEED", str(DEFAULT_SEED))
    seed = random.randrange(2**32) if chosen == "random" else int(chosen)
    bounded = settings(
        max_examples=EXAMPLES,
        stateful_step_count=STEPS,
        deadline=None,
        print_blob=True,
        database=None,
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
        # INVARIANT_SHRINK=0 while exploring: report the first failure as found, unshrunk.
        phases=[p for p in Phase if p is not Phase.shrink or os.environ.get("INVARIANT_SHRINK") != "0"],
    )
    run = hypothesis.seed(seed)(get_state_machine_test(machine, settings=bounded))
    STATS.clear()
    try:
        run()
        if os.environ.get("INVARIANT_STATS"):
            print("\n".join(f"{count:5} {what}" for what, count in sorted(STATS.items())))
    except Exception as error:
        error.add_note(f"invariant seed: INVARIANT_SEED={seed}")
        raise


def test_a_cancellation_a_config_change_took_out_of_the_series_is_not_restored(engine, fake) -> None:
    """A sequence random runs found: cancel pilotage's next meeting, move the committee to another hour
    by ``config import``, restore. The cancelled row left the series; restoring it is refused, so
    that no reminder of a meeting the calendar no longer has is planned again."""
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    machine = make_machine(engine, fake, client)()
    STATS.clear()
    machine.install()
    machine.cancel(key="pilotage", index=0)
    machine.config_change(key="pilotage", change="hour", pick=0)
    machine.restore(key="pilotage", index=0)
    assert STATS["refused: restore (meeting_left_series)"] == 1
    machine.audit()
    machine.teardown()


def test_an_absence_shortened_after_a_change_of_due_date_leaves_the_due_soon_chase_planned(
    engine, fake
) -> None:
    """A sequence random runs found (seed 697898187, shrunk): an owner away for six days gets an
    item, its due date changes (the refresh checks the new chases), then the absence is cut to
    today. The due-soon chase must still be pending: an absence is checked when a chase is due,
    never by skipping it ahead of time (a shorter absence re-plans nothing)."""
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    machine = make_machine(engine, fake, client)()
    machine.install()
    machine.away(days=6, owner=OWNER_C)
    machine.add_action(days=5, key="pilotage", owner=OWNER_C)
    machine.change_due(days=4, index=0)
    machine.away(days=0, owner=OWNER_C)
    machine.audit()
    machine.teardown()


def test_a_chase_skipped_for_a_deactivated_owner_is_no_loss(engine, fake) -> None:
    """A sequence random runs found: an item for a deactivated owner, due today. Its due-soon chase,
    due already, is skipped by the tick (the owner cannot be chased); a fresh plan has the row
    again, which the tick would skip the same way: the outbox and the plan agree."""
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    machine = make_machine(engine, fake, client)()
    machine.install()
    machine.deactivated(owner=OWNER_B)
    machine.add_action(days=0, key="pilotage", owner=OWNER_B)
    machine.audit()
    machine.teardown()


def test_a_committee_moved_to_another_hour_and_back_shows_its_agenda_again(engine, fake) -> None:
    """A sequence random runs found: production's hour changed, changed again, then back. Its posted
    agenda said the slot had left the calendar; back in it, the message shows the agenda again."""
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    machine = make_machine(engine, fake, client)()
    machine.install()
    for pick in (1, 2, 1, 1):
        machine.config_change(key="production", change="hour", pick=pick)
    machine.audit()
    machine.teardown()


def test_posted_minutes_show_their_times_in_the_committees_new_zone(engine, fake) -> None:
    """A sequence random runs found: minutes posted, then the committee's zone changed by
    ``config import``: the posted minutes are edited to show their times in the new zone."""
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    machine = make_machine(engine, fake, client)()
    machine.install()
    machine.submit_minutes(key="pilotage", with_action=False)
    machine.config_change(key="pilotage", change="zone", pick=1)
    machine.audit()
    machine.teardown()


def test_a_moved_meeting_a_new_cadence_leaves_out_takes_its_late_chases_along(engine, fake) -> None:
    """A sequence random runs found (shrunk): production's meeting of the 19th moved to the 17th,
    then its cadence made biweekly, which leaves the 19th out. The moved meeting's overdue chases,
    planned whole beyond the committee's window, went with it, not only those inside the window."""
    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    machine = make_machine(engine, fake, client)()
    machine.install()
    machine.time_passes(hours=49)
    machine.move(days=-2, hour=8, index=1, key="production")
    machine.config_change(key="production", change="cadence", pick=1)
    machine.time_passes(hours=168)
    machine.time_passes(hours=3)
    machine.audit()
    machine.teardown()
