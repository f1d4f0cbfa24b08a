"""Read models of meetings: finding an occurrence, the schedule, the agenda and the minutes' state.

Nothing here changes the database; the flows (``bot.meetings.flows``) and the notices read through it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel import Session

from bot.core.agenda import action_review_title, agenda_sections, template_key
from bot.core.calendar import Occurrence, business_calendar, localize, occurrences, zone
from bot.core.rules import requires_approval
from bot.core.series_membership import occurrence_of
from bot.core.timeline import meeting_deadlines
from bot.text.errors import NotFound
from storage import meetings as store
from storage.committees import get_meeting as get_stored_meeting
from storage.committees import get_or_create_meeting, get_workspace, meetings_between
from storage.models import (
    Committee,
    Meeting,
    MeetingStatus,
    WorkspaceSettings,
    id_of,
)

# How far ahead "the next meeting" is looked for: beyond a year there is none.
LOOKAHEAD = timedelta(days=400)


# How far back /committee minutes looks for a meeting still owing its minutes.
MINUTES_LOOKBACK = timedelta(days=60)


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
    found = stored_occurrences(
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
        found = stored_occurrences(
            session, committee=committee, workspace=workspace, start=now, end=now + horizon
        )
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
    around = stored_occurrences(
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
            session, committee_ids=[id_of(committee)], start=now - LOOKAHEAD, end=now + 2 * LOOKAHEAD
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
    past = stored_occurrences(
        session, committee=committee, workspace=workspace, start=now - MINUTES_LOOKBACK, end=now
    )
    stored = {
        m.series_start.astimezone(UTC): m
        for m in meetings_between(
            session,
            committee_ids=[id_of(committee)],
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


def in_series(session: Session, *, committee: Committee, meeting: Meeting) -> bool:
    """Whether the meeting is still an occurrence of its committee's series (bot.core.series_membership)."""
    return occurrence_of(committee, get_workspace(session), meeting) is not None


def left_series(session: Session, *, committee: Committee, meeting: Meeting, now: datetime) -> bool:
    """A meeting to come that a change of schedule took out of the series: its posted messages say
    so, without their buttons. Only a change (``schedule_from``) does that, so others cost nothing."""
    since = committee.schedule_from
    if since is None or meeting.start < since or meeting.start <= now:
        return False
    return not in_series(session, committee=committee, meeting=meeting)


def stored_occurrences(
    session: Session, *, committee: Committee, workspace: WorkspaceSettings, start: datetime, end: datetime
) -> list[Occurrence]:
    # Rows moved from far away still count: widen the stored-row query by the lookahead both ways.
    rows = meetings_between(
        session, committee_ids=[id_of(committee)], start=start - LOOKAHEAD, end=end + LOOKAHEAD
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


def meeting_key(committee: Committee, meeting: Meeting) -> str:
    """The prefix of a meeting's notification keys, as the timeline planner writes it."""
    stamp = meeting.series_start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")
    return f"m:{committee.key}:{stamp}"


def local_label(moment: datetime, committee: Committee) -> str:
    """``2027-01-05 10:00 (Europe/Paris)``: plain text, for modal errors where date tokens don't render."""
    local = moment.astimezone(zone(committee.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({committee.timezone})"
