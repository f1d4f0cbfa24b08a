"""Flows on one meeting: agenda topics, deck, minutes, approval, move, cancel (SPEC §3, §4, §7).

Every flow takes a ``Session`` and keyword-only plain values (``now`` included, aware), checks
everything first and raises a typed domain error (``InvalidInput``, ``PermissionDenied``,
``NotFound``) before changing anything, then records the change and calls ``after_meeting_change``,
the one place where the meeting's notification plan is redone. Once the change is committed, the
caller runs ``refresh_messages`` (next to it) to edit the bot's earlier messages about the meeting.

Event-driven messages (minutes to approve, minutes posted, meeting moved or cancelled, changes
requested) are Notification rows due at once, which the dispatcher sends like every other one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot import minutes_versions
from bot.actions import is_workspace_admin
from bot.agenda import action_review_title, agenda_sections, template_key
from bot.calendar import Occurrence, business_calendar, localize, occurrences, zone
from bot.errors import InvalidInput, Msg, NotFound, PermissionDenied
from bot.meeting_input import (
    TEXT_MAX,
    check_decisions,
    check_duration,
    check_length,
    check_link,
    check_summary,
    check_text,
    check_title,
    check_user,
    check_users,
    collect,
)
from bot.timeline import meeting_deadlines, requires_approval
from storage import meetings as store
from storage import notifications as notification_store
from storage.committees import get_meeting as get_stored_meeting
from storage.committees import get_or_create_meeting, get_workspace, meetings_between
from storage.db import write_session
from storage.models import (
    AgendaItem,
    Committee,
    Meeting,
    MeetingStatus,
    WorkspaceSettings,
)

log = logging.getLogger(__name__)

# How far ahead "the next meeting" is looked for: beyond a year there is none.
LOOKAHEAD = timedelta(days=400)
# How far back /committee minutes looks for a meeting still owing its minutes.
MINUTES_LOOKBACK = timedelta(days=60)

# Kinds of the event-driven notifications these flows insert (the notices module renders them).
KIND_MINUTES_APPROVAL = "minutes_approval"
KIND_MINUTES_POSTED = "minutes_posted"
KIND_MINUTES_CHANGES = "minutes_changes_requested"
KIND_MEETING_MOVED = "meeting_moved"
KIND_MEETING_CANCELLED = "meeting_cancelled"
EVENT_KINDS = (
    KIND_MINUTES_APPROVAL,
    KIND_MINUTES_POSTED,
    KIND_MINUTES_CHANGES,
    KIND_MEETING_MOVED,
    KIND_MEETING_CANCELLED,
)


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class AgendaTopic:
    id: int
    title: str
    presenter: str | None
    duration: int | None
    notes: str | None
    link: str | None
    proposer: str


@dataclass(frozen=True)
class AgendaAction:
    """One line of the action review: an open action of the committee."""

    id: str  # public id, "A12"
    title: str
    owner: str
    due: date
    priority: str
    status: str
    progress: int
    overdue: bool


@dataclass(frozen=True)
class Agenda:
    """Everything an agenda message shows, in order: sections, action review, proposed topics.

    ``sections`` are the template's sections for the committee's kind, the action review included
    (its title is ``action_review``: render ``actions`` under it). ``start``/``end`` are in the
    committee's zone. ``previous_*`` point at the last meeting's minutes (the meeting reminder links them).
    """

    meeting_id: int
    committee_key: str
    committee_name: str
    channel: str
    locale: str
    timezone: str
    start: datetime
    end: datetime
    status: str
    sections: list[str]
    action_review: str
    actions: list[AgendaAction]
    topics: list[AgendaTopic]
    deck_shared_at: datetime | None
    deck_link: str | None
    deck_due: datetime
    previous_meeting_id: int | None = None
    previous_minutes_link: str | None = None
    previous_minutes_ts: str | None = None

    @property
    def overdue_actions(self) -> list[AgendaAction]:
        return [a for a in self.actions if a.overdue]

    @property
    def topics_minutes(self) -> int:
        """The time the proposed topics ask for, in minutes."""
        return sum(t.duration or 0 for t in self.topics)


@dataclass(frozen=True)
class MinutesResult:
    meeting_id: int
    decisions: list[str]
    actions: list[str]  # public ids of the action items created, "A12"
    awaiting_approval: bool  # True: the chair approves first; False: posted at once
    version: int = 1  # the minutes version this submission or amendment recorded
    updated: list[str] = field(default_factory=list)  # items whose line changed (owner, due, priority)
    cancelled: list[str] = field(default_factory=list)  # items whose line was removed


@dataclass(frozen=True)
class MinutesState:
    """Where a meeting's minutes stand: ``status`` and who holds them (None: nobody owes anything)."""

    status: str  # not_due, due, late, submitted, awaiting_approval, posted, cancelled
    holder: str | None
    due: datetime  # aware, committee zone
    requires_approval: bool


# ---------------------------------------------------------------------------------------------
# The one hook after every change


def after_meeting_change(session: Session, *, meeting_id: int, now: datetime) -> None:
    """Re-plan a meeting's notifications, in the same transaction as the change.

    Called by every flow below once its change is recorded (topic added, deck shared, minutes
    submitted or approved, changes requested, meeting moved or cancelled). The messages already
    posted are edited afterwards by ``refresh_messages``, once the change is committed.
    """
    from bot import dispatch  # here: dispatch renders through notices, which reads agendas from this module

    session.flush()
    dispatch.replan_meeting(session, meeting_id=meeting_id, now=now)


def refresh_messages(engine: Engine, client: WebClient, *, meeting_id: int, now: datetime) -> None:
    """Edit the bot's earlier messages about a meeting (agenda, deck, minutes) to show its state.

    Run by the Slack listeners after a flow's change is committed and the request acknowledged. A
    Slack failure is logged, not raised: the change stands, and the dispatcher's next pass refreshes.
    """
    from bot import dispatch

    try:
        with write_session(engine) as session:
            dispatch.refresh(session, client, meeting_id=meeting_id, now=now)
    except Exception:  # noqa: BLE001 (a Slack hiccup must not turn a recorded change into an error)
        log.exception("could not refresh the messages of meeting %s", meeting_id)


# ---------------------------------------------------------------------------------------------
# Finding meetings


def resolve_meeting(
    session: Session, *, committee: Committee, when: date | datetime | None = None, now: datetime
) -> Meeting:
    """The committee's next meeting (or the one on ``when``), as a stored Meeting row.

    ``when=None``: the first occurrence starting after ``now`` that is not cancelled. A ``date``: the
    occurrence held that day (committee zone); a ``datetime``: the occurrence starting then, else
    the one held that day. Raises ``NotFound`` naming the next dates when there is none.
    """
    workspace = get_workspace(session)
    if when is None:
        upcoming = upcoming_occurrences(session, committee=committee, workspace=workspace, now=now, limit=1)
        if not upcoming:
            raise NotFound(key="no_upcoming_meeting", locale=committee.locale, committee=committee.name)
        return get_or_create_meeting(session, committee=committee, occurrence=upcoming[0], now=now)

    tz = zone(committee.timezone)
    day = when.astimezone(tz).date() if isinstance(when, datetime) else when
    window_start = localize(datetime.combine(day, time(0, 0)), tz)
    window_end = localize(datetime.combine(day + timedelta(days=1), time(0, 0)), tz)
    found = _occurrences(
        session, committee=committee, workspace=workspace, start=window_start, end=window_end
    )
    if isinstance(when, datetime):
        exact = [o for o in found if o.start == when]
        found = exact or found
    if not found:
        upcoming = upcoming_occurrences(session, committee=committee, workspace=workspace, now=now, limit=3)
        listed = ", ".join(local_label(o.start, committee) for o in upcoming) or "—"
        raise NotFound(
            key="no_meeting_on",
            locale=committee.locale,
            committee=committee.name,
            date=day.isoformat(),
            upcoming=listed,
        )
    return get_or_create_meeting(session, committee=committee, occurrence=found[0], now=now)


def upcoming_occurrences(
    session: Session,
    *,
    committee: Committee,
    workspace: WorkspaceSettings | None = None,
    now: datetime,
    limit: int = 8,
    include_cancelled: bool = False,
) -> list[Occurrence]:
    """The committee's next ``limit`` occurrences starting after ``now`` (moves and cancellations applied)."""
    workspace = workspace or get_workspace(session)
    # A short window first (most cadences), then the whole year for semiannual and annual ones.
    for horizon in (timedelta(days=70), LOOKAHEAD):
        found = _occurrences(session, committee=committee, workspace=workspace, start=now, end=now + horizon)
        found = [
            o
            for o in found
            if o.start > now and (include_cancelled or o.status != MeetingStatus.cancelled.value)
        ]
        if len(found) >= limit:
            break
    return found[:limit]


def meeting_for_series(
    session: Session, *, committee: Committee, series_start: datetime, now: datetime
) -> Meeting:
    """The meeting of the occurrence identified by ``series_start`` (aware), stored if it was not.

    ``NotFound`` when the series has no occurrence at that instant (a stale form, a changed cadence).
    """
    series_start = series_start.astimezone(UTC)
    stored = get_stored_meeting(session, committee_id=committee.id, series_start=series_start)  # type: ignore[arg-type]
    if stored is not None:
        return stored
    workspace = get_workspace(session)
    # The holiday policy shifts an occurrence by a few days at most around its series instant.
    around = _occurrences(
        session,
        committee=committee,
        workspace=workspace,
        start=series_start - timedelta(days=10),
        end=series_start + timedelta(days=10),
    )
    for occurrence in around:
        if occurrence.series_start.astimezone(UTC) == series_start:
            return get_or_create_meeting(session, committee=committee, occurrence=occurrence, now=now)
    raise NotFound(key="meeting_not_found", meeting=series_start.isoformat())


@dataclass(frozen=True)
class ScheduleEntry:
    """One upcoming occurrence as ``/committee next`` and ``calendar`` show it (times in the committee's zone)."""

    series_start: datetime
    start: datetime
    end: datetime
    status: str
    deck_due: datetime
    minutes_due: datetime
    deck_shared: bool
    topics: int
    meeting_id: int | None  # None: no row stored yet for this occurrence

    @property
    def start_local(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}"


def schedule(
    session: Session, *, committee: Committee, now: datetime, limit: int = 8, include_cancelled: bool = True
) -> list[ScheduleEntry]:
    """The committee's next ``limit`` occurrences with their deadlines, deck state and topic count.

    Reads only: occurrences without a stored row are shown from the series, not materialised.
    """
    workspace = get_workspace(session)
    calendar = business_calendar(committee, workspace)
    found = upcoming_occurrences(
        session,
        committee=committee,
        workspace=workspace,
        now=now,
        limit=limit,
        include_cancelled=include_cancelled,
    )
    rows = {
        m.series_start.astimezone(UTC): m
        for m in meetings_between(
            session, committee_ids=[committee.id], start=now - LOOKAHEAD, end=now + 2 * LOOKAHEAD
        )
    }
    entries = []
    for occurrence in found:
        row = rows.get(occurrence.series_start.astimezone(UTC))
        deadlines = meeting_deadlines(committee, occurrence.start, occurrence.end, calendar)
        entries.append(
            ScheduleEntry(
                series_start=occurrence.series_start,
                start=occurrence.start,
                end=occurrence.end,
                status=occurrence.status,
                deck_due=deadlines.deck_due,
                minutes_due=deadlines.minutes_due,
                deck_shared=bool(row and row.deck_shared_at),
                topics=len(store.agenda_items(session, meeting_id=row.id)) if row else 0,  # type: ignore[arg-type]
                meeting_id=row.id if row else None,
            )
        )
    return entries


def minutes_meeting(session: Session, *, committee: Committee, now: datetime) -> Meeting:
    """The latest past meeting whose minutes are neither submitted nor posted, or whose minutes are
    posted (to amend them), whichever comes first going back (``/committee minutes``); a meeting
    whose minutes wait for approval is passed over.

    Looks back ``MINUTES_LOOKBACK``; raises ``NotFound`` when no recent meeting has minutes to
    submit or to amend.
    """
    workspace = get_workspace(session)
    past = _occurrences(
        session, committee=committee, workspace=workspace, start=now - MINUTES_LOOKBACK, end=now
    )
    stored = {
        m.series_start.astimezone(UTC): m
        for m in meetings_between(
            session,
            committee_ids=[committee.id],
            start=now - MINUTES_LOOKBACK - LOOKAHEAD,
            end=now + LOOKAHEAD,
        )
    }
    for occurrence in sorted(past, key=lambda o: o.start, reverse=True):
        if occurrence.status == MeetingStatus.cancelled.value or occurrence.start > now:
            continue
        row = stored.get(occurrence.series_start.astimezone(UTC))
        if row is None or (row.minutes_submitted_at is None and row.minutes_posted_at is None):
            return get_or_create_meeting(session, committee=committee, occurrence=occurrence, now=now)
        if row.minutes_posted_at is not None:
            return row  # the latest minutes are posted: amend them (older ones: /committee minutes DATE)
    raise NotFound(key="no_minutes_pending", locale=committee.locale, committee=committee.name)


def _occurrences(
    session: Session, *, committee: Committee, workspace: WorkspaceSettings, start: datetime, end: datetime
) -> list[Occurrence]:
    # Rows moved from far away still count: widen the stored-row query by the lookahead both ways.
    rows = meetings_between(
        session, committee_ids=[committee.id], start=start - LOOKAHEAD, end=end + LOOKAHEAD
    )
    return occurrences(committee, workspace, start, end, rows)


def get_meeting(session: Session, *, meeting_id: int) -> tuple[Meeting, Committee]:
    """The meeting and its committee; ``NotFound`` when the id is unknown."""
    meeting = store.get_meeting_by_id(session, meeting_id=meeting_id)
    if meeting is None:
        raise NotFound(key="meeting_not_found", meeting=meeting_id)
    committee = session.get(Committee, meeting.committee_id)
    assert committee is not None  # foreign key
    return meeting, committee


def _locked(session: Session, meeting_id: int) -> tuple[Meeting, Committee]:
    meeting = store.lock_meeting(session, meeting_id=meeting_id)
    if meeting is None:
        raise NotFound(key="meeting_not_found", meeting=meeting_id)
    committee = session.get(Committee, meeting.committee_id)
    assert committee is not None
    return meeting, committee


# ---------------------------------------------------------------------------------------------
# Agenda


def add_topic(
    session: Session,
    *,
    meeting_id: int,
    title: str,
    presenter: str | None = None,
    duration: int | str | None = None,
    notes: str | None = None,
    link: str | None = None,
    proposer: str,
    now: datetime,
) -> AgendaItem:
    """Propose a topic for a meeting's agenda; anyone may.

    Refused for a cancelled meeting or one that has started. ``title`` 1..3000 characters without
    @channel/@here; ``duration`` 1..240 minutes when given; ``link`` a full http(s) address.
    """
    meeting, committee = get_meeting(session, meeting_id=meeting_id)
    locale = committee.locale
    check_open(meeting, committee, now, "what_add_topic")
    problems: list[InvalidInput] = []
    clean_title = collect(problems, check_title, title, locale)
    clean_presenter = collect(problems, check_user, presenter, locale, "presenter")
    clean_duration = collect(problems, check_duration, duration, locale)
    clean_notes = collect(problems, check_text, notes, locale, "notes")
    clean_link = collect(problems, check_link, link, locale, "link")
    if problems:
        raise InvalidInput.combine(problems)
    item = AgendaItem(
        meeting_id=meeting.id,  # type: ignore[arg-type]
        title=clean_title,
        presenter=clean_presenter,
        duration=clean_duration,
        notes=clean_notes,
        link=clean_link,
        proposer=proposer,
        created_at=now,
    )
    session.add(item)
    meeting.updated_at = now
    session.add(meeting)
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return item


def agenda(session: Session, *, meeting_id: int, now: datetime | None = None) -> Agenda:
    """The agenda of a meeting as it stands: template sections, action review, proposed topics.

    An action counts as overdue when its due date is before ``now``'s date (committee zone), or
    before the meeting's date when ``now`` is not given.
    """
    meeting, committee = get_meeting(session, meeting_id=meeting_id)
    workspace = get_workspace(session)
    tz = zone(committee.timezone)
    start = meeting.start.astimezone(tz)
    today = (now or meeting.start).astimezone(tz).date()
    actions = [
        AgendaAction(
            id=a.public_id,
            title=a.title,
            owner=a.owner,
            due=a.due,
            priority=a.priority,
            status=a.status,
            progress=a.progress,
            overdue=a.due < today,
        )
        for a in store.open_committee_actions(session, committee_id=committee.id)  # type: ignore[arg-type]
    ]
    # Overdue first: they are what the action review is for.
    actions.sort(key=lambda a: (not a.overdue, a.due, a.id))
    topics = [
        AgendaTopic(
            id=t.id,  # type: ignore[arg-type]
            title=t.title,
            presenter=t.presenter,
            duration=t.duration,
            notes=t.notes,
            link=t.link,
            proposer=t.proposer,
        )
        for t in store.agenda_items(session, meeting_id=meeting_id)
    ]
    previous = store.latest_meeting_before(session, committee_id=committee.id, before=meeting.start)  # type: ignore[arg-type]
    calendar = business_calendar(committee, workspace)
    return Agenda(
        meeting_id=meeting_id,
        committee_key=committee.key,
        committee_name=committee.name,
        channel=committee.channel,
        locale=committee.locale,
        timezone=committee.timezone,
        start=start,
        end=meeting.end.astimezone(tz),
        status=meeting.status,
        sections=agenda_sections(committee.locale, template_key(committee)),
        action_review=action_review_title(committee.locale),
        actions=actions,
        topics=topics,
        deck_shared_at=meeting.deck_shared_at,
        deck_link=meeting.deck_link,
        deck_due=meeting_deadlines(committee, meeting.start, meeting.end, calendar).deck_due,
        previous_meeting_id=previous.id if previous else None,
        previous_minutes_link=previous.minutes_link if previous else None,
        previous_minutes_ts=previous.minutes_ts if previous else None,
    )


# ---------------------------------------------------------------------------------------------
# Deck


def mark_deck_shared(
    session: Session, *, meeting_id: int, link: str | None, actor: str, now: datetime
) -> Meeting:
    """Record that the support deck is shared (deck owner, chair or admin).

    The first sharing time is kept (it decides whether the deck was on time); sharing again only
    updates the link.
    """
    meeting, committee = get_meeting(session, meeting_id=meeting_id)
    check_deck(session, meeting, committee, actor)
    clean_link = check_link(link, committee.locale, "link")
    if meeting.deck_shared_at is None:
        meeting.deck_shared_at = now
    if clean_link:
        meeting.deck_link = clean_link
    meeting.updated_at = now
    session.add(meeting)
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


# ---------------------------------------------------------------------------------------------
# Minutes


def submit_minutes(
    session: Session,
    *,
    meeting_id: int,
    summary: str,
    decisions: list[str] | None = None,
    action_lines: list[str] | None = None,
    attendees: list[str] | None = None,
    link: str | None = None,
    actor: str,
    now: datetime,
) -> MinutesResult:
    """Record a meeting's minutes, its decisions and the action items they create, as a new version.

    Secretary, chair or admin. All or nothing: every action line ``<@U…> task by date`` is read
    first, and one that cannot be read raises ``InvalidInput`` naming its line number. Minutes
    submitted again (after the chair asked for changes) are reconciled with the previous version
    (``bot.minutes_versions``: same line, same item; a removed line cancels its item). When the
    committee requires approval the chair gets a ``minutes_approval`` DM for this version (the
    request of an earlier version is then superseded); otherwise a ``minutes_posted`` message goes
    to the channel at once. Posted minutes are changed with ``amend_minutes``.
    """
    meeting, committee = _locked(session, meeting_id)
    check_minutes_open(session, meeting, committee, actor, now)
    approval = requires_approval(committee)
    result = _record_minutes(
        session, meeting, committee, summary=summary, decisions=decisions, action_lines=action_lines,
        attendees=attendees, link=link, actor=actor, now=now, kind=minutes_versions.SUBMITTED,
    )  # fmt: skip
    meeting.minutes_submitted_at = now
    meeting.minutes_submitted_by = actor
    if meeting.status in (MeetingStatus.scheduled.value, MeetingStatus.moved.value):
        meeting.status = MeetingStatus.held.value
    session.add(meeting)
    if approval:
        _notify(
            session, committee=committee, meeting=meeting, kind=KIND_MINUTES_APPROVAL, to=committee.chair, now=now,
            submitted_by=actor, version=result.version,
        )  # fmt: skip
    else:
        _notify(
            session, committee=committee, meeting=meeting, kind=KIND_MINUTES_POSTED, to=committee.channel, now=now,
            submitted_by=actor,
        )  # fmt: skip
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return MinutesResult(
        meeting_id=meeting_id,
        decisions=result.decisions,
        actions=result.actions,
        awaiting_approval=approval,
        version=result.version,
    )


def amend_minutes(
    session: Session,
    *,
    meeting_id: int,
    summary: str,
    decisions: list[str] | None = None,
    action_lines: list[str] | None = None,
    attendees: list[str] | None = None,
    link: str | None = None,
    actor: str,
    now: datetime,
) -> MinutesResult:
    """Correct minutes already posted (secretary, chair or admin), as a new version.

    Decisions and action items are reconciled with the previous version, not created again; the
    earlier versions are kept; the posted message is edited (``refresh_messages``) and says who
    amended it and when. No new approval is asked: the chair may amend them too.
    """
    meeting, committee = _locked(session, meeting_id)
    check_minutes_role(session, committee, actor)
    if meeting.minutes_posted_at is None:
        raise InvalidInput(
            key="minutes_not_posted", locale=committee.locale, when=local_label(meeting.start, committee)
        )
    result = _record_minutes(
        session, meeting, committee, summary=summary, decisions=decisions, action_lines=action_lines,
        attendees=attendees, link=link, actor=actor, now=now, kind=minutes_versions.AMENDED,
    )  # fmt: skip
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return MinutesResult(
        meeting_id=meeting_id,
        decisions=result.decisions,
        actions=result.actions,
        awaiting_approval=False,
        version=result.version,
        updated=result.updated,
        cancelled=result.cancelled,
    )


def _record_minutes(
    session: Session,
    meeting: Meeting,
    committee: Committee,
    *,
    summary: str,
    decisions: list[str] | None,
    action_lines: list[str] | None,
    attendees: list[str] | None,
    link: str | None,
    actor: str,
    now: datetime,
    kind: str,
) -> MinutesResult:
    """Check every field (all errors at once), then record the text, reconcile decisions and
    action items with the previous version, and keep the new version."""
    locale = committee.locale
    problems: list[InvalidInput] = []
    clean_summary = collect(problems, check_summary, summary, locale)
    clean_decisions = collect(problems, check_decisions, decisions or [], locale)
    plan = collect(
        problems, lambda: minutes_versions.read_lines(
            session, committee=committee, meeting=meeting, raw_lines=action_lines or [], now=now
        ),
    )  # fmt: skip
    clean_attendees = collect(problems, check_users, attendees or [], locale, "attendees")
    clean_link = collect(problems, check_link, link, locale, "link")
    if problems:
        raise InvalidInput.combine(problems)
    what = "minutes amended" if kind == minutes_versions.AMENDED else "minutes submitted"
    # A savepoint: should the action flow refuse a line after all (a deactivated owner), no
    # decision nor action is left behind, whatever the caller does with the session.
    with session.begin_nested():
        minutes_versions.reconcile_decisions(
            session,
            meeting_id=meeting.id,
            texts=clean_decisions,
            actor=actor,
            now=now,  # type: ignore[arg-type]
        )
        reconciled = minutes_versions.reconcile_actions(
            session, committee=committee, meeting=meeting, plan=plan, actor=actor, now=now, what=what
        )
    meeting.minutes_text = clean_summary
    meeting.minutes_link = clean_link
    meeting.minutes_attendees = clean_attendees
    meeting.updated_at = now
    session.add(meeting)
    version = minutes_versions.record(
        session,
        meeting=meeting,
        kind=kind,
        decisions=clean_decisions,
        lines=reconciled.lines,
        author=actor,
        now=now,
    )
    for public_id in reconciled.updated + reconciled.cancelled:
        _replan_action(session, int(public_id.lstrip("A")), now)
    return MinutesResult(
        meeting_id=meeting.id,  # type: ignore[arg-type]
        decisions=clean_decisions,
        actions=reconciled.created,
        awaiting_approval=False,
        version=version.number,
        updated=reconciled.updated,
        cancelled=reconciled.cancelled,
    )


def _replan_action(session: Session, action_id: int, now: datetime) -> None:
    from bot import dispatch

    session.flush()
    dispatch.replan_action(session, action_id=action_id, now=now)


def approve_minutes(
    session: Session, *, meeting_id: int, actor: str, now: datetime, version: int | None = None
) -> Meeting:
    """The chair (or an admin) approves submitted minutes; they are then posted in the channel.

    ``version``: the minutes version the approval request showed; an earlier one is refused (a
    newer version was submitted since: that is the one to approve)."""
    meeting, committee = _locked(session, meeting_id)
    check_chair(session, committee, actor, "what_approve")
    check_awaiting(meeting, committee)
    check_version(session, meeting, committee, version)
    meeting.minutes_approved_at = now
    meeting.updated_at = now
    session.add(meeting)
    _notify(
        session,
        committee=committee,
        meeting=meeting,
        kind=KIND_MINUTES_POSTED,
        to=committee.channel,
        now=now,
        submitted_by=meeting.minutes_submitted_by,
        approved_by=actor,
    )
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


def request_minutes_changes(
    session: Session, *, meeting_id: int, comment: str, actor: str, now: datetime, version: int | None = None
) -> Meeting:
    """The chair sends submitted minutes back to the secretary with a comment.

    The minutes count as not submitted again (so the chase resumes); their text, link and attendees
    are kept so that the form opens pre-filled.
    """
    meeting, committee = _locked(session, meeting_id)
    check_chair(session, committee, actor, "what_request_changes")
    check_awaiting(meeting, committee)
    check_version(session, meeting, committee, version)
    clean_comment = (comment or "").strip()
    if not clean_comment:
        raise InvalidInput(key="comment_empty", locale=committee.locale, field="comment")
    check_length(clean_comment, TEXT_MAX, committee.locale, "comment")
    secretary = meeting.minutes_submitted_by or committee.secretary
    meeting.minutes_submitted_at = None
    meeting.minutes_submitted_by = None
    meeting.updated_at = now
    session.add(meeting)
    _notify(
        session,
        committee=committee,
        meeting=meeting,
        kind=KIND_MINUTES_CHANGES,
        to=secretary,
        now=now,
        comment=clean_comment,
        by=actor,
    )
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


def minutes_status(meeting: Meeting, now: datetime, *, due: datetime, approval: bool) -> str:
    """``not_due`` (before the end), ``due``, ``late`` (past ``due``, not submitted), ``submitted``
    (in, about to be posted), ``awaiting_approval`` (the chair holds them), ``posted``, or
    ``cancelled`` for a cancelled meeting."""
    if meeting.status == MeetingStatus.cancelled.value:
        return "cancelled"
    # Posted: the dispatcher sent the minutes_posted message to the channel.
    if meeting.minutes_posted_at is not None:
        return "posted"
    if meeting.minutes_submitted_at is not None:
        if approval and meeting.minutes_approved_at is None:
            return "awaiting_approval"
        return "submitted"
    if now < meeting.end:
        return "not_due"
    return "late" if now >= due else "due"


def minutes_state(
    committee: Committee, workspace: WorkspaceSettings, meeting: Meeting, now: datetime
) -> MinutesState:
    """Status, holder (the secretary before submission, the chair while approval waits) and due time."""
    due = meeting_deadlines(
        committee, meeting.start, meeting.end, business_calendar(committee, workspace)
    ).minutes_due
    approval = requires_approval(committee)
    status = minutes_status(meeting, now, due=due, approval=approval)
    holder = {
        "not_due": committee.secretary,
        "due": committee.secretary,
        "late": committee.secretary,
        "awaiting_approval": committee.chair,
    }.get(status)
    return MinutesState(status=status, holder=holder, due=due, requires_approval=approval)


# ---------------------------------------------------------------------------------------------
# Move, cancel


def move_meeting(
    session: Session, *, meeting_id: int, new_start: datetime, actor: str, now: datetime
) -> Meeting:
    """Move one occurrence (chair or admin) to ``new_start`` (aware), keeping its duration.

    The series is untouched: the row keeps its ``series_start``, so its notifications follow (a
    kind already posted is edited, one not posted yet is planned for the new slot). One move notice
    per occurrence: a further move updates it, and it always shows the slot as originally scheduled.
    Moving a meeting back to its original slot makes it ``scheduled`` again.
    """
    if new_start.tzinfo is None:
        raise ValueError("new_start must be an aware datetime")
    meeting, committee = _locked(session, meeting_id)
    check_chair(session, committee, actor, "what_move_meeting")
    check_open(meeting, committee, now, "what_move")
    if new_start <= now:
        raise InvalidInput(
            key="move_in_past", locale=committee.locale, field="when", when=local_label(new_start, committee)
        )
    if new_start == meeting.start:
        raise InvalidInput(
            key="move_same_time",
            locale=committee.locale,
            field="when",
            when=local_label(new_start, committee),
        )
    _check_free(session, committee, meeting, new_start, new_start + (meeting.end - meeting.start))
    original = original_start(session, committee=committee, meeting=meeting)
    duration = meeting.end - meeting.start
    meeting.start = new_start.astimezone(UTC)
    meeting.end = meeting.start + duration
    back = meeting.start == original.astimezone(UTC)
    meeting.status = MeetingStatus.scheduled.value if back else MeetingStatus.moved.value
    meeting.updated_at = now
    session.add(meeting)
    _notify_once(
        session, committee=committee, meeting=meeting, kind=KIND_MEETING_MOVED, to=committee.channel, now=now,
        by=actor, original_start=original.astimezone(UTC).isoformat(), start=meeting.start.isoformat(),
    )  # fmt: skip
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


def original_start(session: Session, *, committee: Committee, meeting: Meeting) -> datetime:
    """The occurrence's start as the series schedules it (holiday policy applied, moves ignored),
    in the committee's zone; the series instant itself when the series no longer has it."""
    workspace = get_workspace(session)
    series_start = meeting.series_start.astimezone(UTC)
    # The holiday policy shifts an occurrence by a few days at most around its series instant.
    for occurrence in occurrences(
        committee, workspace, series_start - timedelta(days=10), series_start + timedelta(days=10), []
    ):
        if occurrence.series_start.astimezone(UTC) == series_start:
            return occurrence.start
    return series_start.astimezone(zone(committee.timezone))


def _check_free(
    session: Session, committee: Committee, meeting: Meeting, start: datetime, end: datetime
) -> None:
    """Refuse a move onto another (not cancelled) meeting of the same committee: two meetings at once
    would each get their own agenda, deck and minutes chases."""
    workspace = get_workspace(session)
    for other in _occurrences(
        session,
        committee=committee,
        workspace=workspace,
        start=start - timedelta(days=1),
        end=end + timedelta(days=1),
    ):
        if (
            other.series_start.astimezone(UTC) == meeting.series_start.astimezone(UTC)
            or other.status == MeetingStatus.cancelled.value
        ):
            continue
        if other.start < end and start < other.end:
            raise InvalidInput(
                key="move_overlaps",
                locale=committee.locale,
                field="when",
                when=local_label(start, committee),
                other=local_label(other.start, committee),
            )


def cancel_meeting(
    session: Session, *, meeting_id: int, actor: str, now: datetime, reason: str | None = None
) -> Meeting:
    """Cancel one occurrence (chair or admin); nothing more is sent about it but the notice.

    One cancellation notice per occurrence, with a Restore button (``restore_meeting`` undoes the
    cancellation and edits the notice); cancelling again after a restore updates that notice.
    """
    meeting, committee = _locked(session, meeting_id)
    check_chair(session, committee, actor, "what_cancel_meeting")
    when = local_label(meeting.start, committee)
    if meeting.status == MeetingStatus.cancelled.value:
        raise InvalidInput(key="meeting_already_cancelled", locale=committee.locale, when=when)
    if now >= meeting.start:
        raise InvalidInput(key="meeting_started", locale=committee.locale, when=when, what=Msg("what_cancel"))
    clean_reason = check_text(reason, committee.locale, "reason")
    meeting.status = MeetingStatus.cancelled.value
    meeting.updated_at = now
    session.add(meeting)
    _notify_once(
        session, committee=committee, meeting=meeting, kind=KIND_MEETING_CANCELLED, to=committee.channel, now=now,
        by=actor, at=now.astimezone(UTC).isoformat(), start=meeting.start.astimezone(UTC).isoformat(),
        reason=clean_reason, restored_by=None, restored_at=None,
    )  # fmt: skip
    after_meeting_change(session, meeting_id=meeting_id, now=now)
    return meeting


# ---------------------------------------------------------------------------------------------
# Permissions


def check_chair(session: Session, committee: Committee, actor: str, what: str) -> None:
    if actor != committee.chair and not is_workspace_admin(session, actor):
        raise PermissionDenied(
            key="chair_only",
            locale=committee.locale,
            committee=committee.name,
            chair=committee.chair,
            what=Msg(what),
        )


def check_open(meeting: Meeting, committee: Committee, now: datetime, what: str) -> None:
    """A meeting still to come: not cancelled, not started."""
    when = local_label(meeting.start, committee)
    if meeting.status == MeetingStatus.cancelled.value:
        raise InvalidInput(key="meeting_cancelled", locale=committee.locale, when=when)
    if now >= meeting.start:
        raise InvalidInput(key="meeting_started", locale=committee.locale, when=when, what=Msg(what))


def check_deck(session: Session, meeting: Meeting, committee: Committee, actor: str) -> None:
    """The deck owner, the chair or an admin, on a meeting not cancelled, may mark the deck shared."""
    if actor not in (committee.deck_owner, committee.chair) and not is_workspace_admin(session, actor):
        raise PermissionDenied(
            key="deck_denied", locale=committee.locale, deck_owner=committee.deck_owner, chair=committee.chair
        )
    if meeting.status == MeetingStatus.cancelled.value:
        raise InvalidInput(
            key="meeting_cancelled", locale=committee.locale, when=local_label(meeting.start, committee)
        )


def check_minutes_role(session: Session, committee: Committee, actor: str) -> None:
    """The secretary, the chair or an admin: who may submit a committee's minutes."""
    if actor not in (committee.secretary, committee.chair) and not is_workspace_admin(session, actor):
        raise PermissionDenied(
            key="minutes_denied",
            locale=committee.locale,
            secretary=committee.secretary,
            chair=committee.chair,
        )


def check_minutes_open(
    session: Session, meeting: Meeting, committee: Committee, actor: str, now: datetime
) -> None:
    """The secretary, the chair or an admin may submit minutes of a meeting that took place and whose
    minutes are neither waiting for approval nor posted."""
    locale = committee.locale
    check_minutes_role(session, committee, actor)
    when = local_label(meeting.start, committee)
    if meeting.status == MeetingStatus.cancelled.value:
        raise InvalidInput(key="meeting_cancelled", locale=locale, when=when)
    if now < meeting.start:
        raise InvalidInput(key="meeting_not_started", locale=locale, when=when)
    if meeting.minutes_posted_at is not None or meeting.minutes_approved_at is not None:
        raise InvalidInput(key="minutes_already_posted", locale=locale, when=when)
    if meeting.minutes_submitted_at is not None:
        if requires_approval(committee):
            raise InvalidInput(
                key="minutes_awaiting_approval", locale=locale, when=when, chair=committee.chair
            )
        raise InvalidInput(key="minutes_already_posted", locale=locale, when=when)


def check_awaiting(meeting: Meeting, committee: Committee) -> None:
    if (
        meeting.minutes_submitted_at is None
        or meeting.minutes_approved_at is not None
        or meeting.minutes_posted_at is not None
    ):
        raise InvalidInput(
            key="minutes_not_awaiting", locale=committee.locale, when=local_label(meeting.start, committee)
        )


def check_version(session: Session, meeting: Meeting, committee: Committee, version: int | None) -> None:
    """Refuse to act on an approval request of an earlier minutes version than the latest."""
    if version is None:
        return
    current = minutes_versions.latest(session, meeting_id=meeting.id)  # type: ignore[arg-type]
    if current is not None and current.number != version:
        raise InvalidInput(
            key="minutes_superseded",
            locale=committee.locale,
            when=local_label(meeting.start, committee),
            version=version,
            latest=current.number,
        )


# ---------------------------------------------------------------------------------------------
# Notifications and labels


def meeting_key(committee: Committee, meeting: Meeting) -> str:
    """The prefix of a meeting's notification keys, as the timeline planner writes it."""
    stamp = meeting.series_start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return f"m:{committee.key}:{stamp}"


def _notify(
    session: Session,
    *,
    committee: Committee,
    meeting: Meeting,
    kind: str,
    to: str,
    now: datetime,
    **data: Any,
) -> str:
    """Queue an event notification due now through the dispatcher's outbox; returns its key.

    Keys are numbered per meeting and kind (the 2nd approval request is ``…:minutes_approval:2``).
    """
    from bot import dispatch

    number = store.count_notifications(session, meeting_id=meeting.id, kind=kind) + 1  # type: ignore[arg-type]
    key = f"{meeting_key(committee, meeting)}:{kind}:{number}"
    dispatch.enqueue(
        session, kind=kind, to=to, key=key, now=now, committee_id=committee.id, meeting_id=meeting.id,
        data={k: v for k, v in data.items() if v is not None},
    )  # fmt: skip
    return key


def _notify_once(
    session: Session,
    *,
    committee: Committee,
    meeting: Meeting,
    kind: str,
    to: str,
    now: datetime,
    **data: Any,
) -> str:
    """The one event notice of ``kind`` for this occurrence (``…:<kind>:1``), created or brought up
    to date: ``data`` is merged into it (a value None removes that entry); when it was not posted
    yet it is due at once again. A posted one is edited by ``refresh_messages`` after the commit."""
    from bot import dispatch

    key = f"{meeting_key(committee, meeting)}:{kind}:1"
    clean = {k: v for k, v in data.items() if v is not None}
    if not dispatch.enqueue(
        session, kind=kind, to=to, key=key, now=now, committee_id=committee.id, meeting_id=meeting.id, data=clean
    ):  # fmt: skip
        notification_store.update_event(session, key=key, data=data, now=now)
    return key


def local_label(moment: datetime, committee: Committee) -> str:
    """``2027-01-05 10:00 (Europe/Paris)``: plain text, for modal errors where date tokens don't render."""
    local = moment.astimezone(zone(committee.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({committee.timezone})"
