"""The Slack face of ``/committee move|cancel|restore`` and of the buttons and modals they lead to
(SPEC §4 "Changes and their invariant", §7).

Grammar: ``move [OCCURRENCE to|au] NEW-DATE TIME`` (without OCCURRENCE, the next upcoming meeting,
named in the answer), ``cancel [DATE]``, ``restore DATE``; the committee key, if any, is already
taken off by ``bot.surface.meetings``. An occurrence is named by its originally scheduled date or its
current one. When a date names several occurrences, the answer offers one button per occurrence; a
cancellation always asks for confirmation; a move onto the date of a cancelled meeting asks whether
to restore that one instead. Nothing here acts on another occurrence than the one named.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from bot.core.calendar import Occurrence, zone
from bot.core.dates import parse_date
from bot.meetings import change_views as views
from bot.meetings import changes, checks, flows, state
from bot.meetings.input import parse_meeting_time
from bot.meetings.views import form_values
from bot.slack.outcome import Outcome
from bot.slack.payloads import MoveForm, OccurrenceChoice, OccurrenceRef, load
from bot.slack.users import Person
from bot.text.errors import InvalidInput, NotFound
from storage.committees import get_meeting as get_stored_meeting
from storage.models import Committee, Meeting, MeetingStatus

# "14/01 to 12/01 15:00", "14/01 au 12/01 15h": the occurrence, then the new slot.
SEPARATOR_RE = re.compile(r"\s+(to|au)(?:\s+|$)", re.I)
PICKER_LIMIT = 8


def _homes(committee: Committee, person: Person) -> tuple[str, ...]:
    return tuple(dict.fromkeys((committee.chair, committee.secretary, committee.deck_owner, person.user_id)))


def _day(text: str, committee: Committee, person: Person, now: datetime) -> date:
    return parse_date(text, now=now, tz=committee.timezone, locale=person.locale)


def _named(
    session: Session, committee: Committee, day: date, now: datetime
) -> tuple[list[Occurrence], dict[datetime, datetime]]:
    """The occurrences ``day`` names, and the original start of each (by series instant)."""
    found = changes.named_occurrences(session, committee=committee, day=day)
    originals = {}
    for occurrence in found:
        if occurrence.status != MeetingStatus.scheduled.value:
            meeting = state.meeting_for_series(
                session, committee=committee, series_start=occurrence.series_start, now=now
            )
            originals[occurrence.series_start] = state.original_start(
                session, committee=committee, meeting=meeting
            )
    return found, originals


def _none_on(session: Session, committee: Committee, day: date, now: datetime) -> NotFound:
    upcoming = state.upcoming_occurrences(session, committee=committee, now=now, limit=3)
    listed = ", ".join(state.local_label(o.start, committee) for o in upcoming) or "—"
    return NotFound(
        key="no_meeting_on",
        locale=committee.locale,
        committee=committee.name,
        date=day.isoformat(),
        upcoming=listed,
    )


def _meeting(session: Session, committee: Committee, occurrence: Occurrence, now: datetime) -> Meeting:
    return changes.meeting_of(session, committee=committee, occurrence=occurrence, now=now)


# -- move ------------------------------------------------------------------------------------------


def move(
    session: Session, *, committee: Committee, text: str, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """``move [OCCURRENCE to|au] NEW-DATE TIME``; the caller opens the modal when ``text`` is empty."""
    checks.check_chair(session, committee, person.user_id, "what_move_meeting")
    parts = SEPARATOR_RE.split(text, maxsplit=1)
    if len(parts) == 3:
        named_text, word, new_text = parts
        if not new_text.strip():
            raise InvalidInput(key="move_needs_new_time", locale=person.locale, field="when", word=word)
        day = _day(named_text, committee, person, now)
        found, originals = _named(session, committee, day, now)
        if not found:
            raise _none_on(session, committee, day, now)
        new_start = _new_start(new_text, found[0], committee, person, now)
        if len(found) > 1:
            return Outcome(
                reply=views.choose(
                    committee, found, op="move", day=day.strftime("%d/%m/%Y"), to=new_start, originals=originals,
                    locale=person.locale, channel=channel,
                )
            )  # fmt: skip
        return move_meeting(
            session, committee, _meeting(session, committee, found[0], now), new_start, person, now
        )

    upcoming = state.upcoming_occurrences(session, committee=committee, now=now, limit=1)
    if not upcoming:
        raise NotFound(key="no_upcoming_meeting", locale=committee.locale, committee=committee.name)
    new_start = _new_start(text, upcoming[0], committee, person, now)
    # Moving onto the date of a cancelled meeting is most likely meant for that one: ask.
    cancelled = [
        o
        for o in changes.named_occurrences(
            session, committee=committee, day=new_start.astimezone(zone(committee.timezone)).date()
        )
        if o.status == MeetingStatus.cancelled.value and o.start > now
    ]
    if cancelled:
        return Outcome(
            reply=views.cancelled_date(
                committee, cancelled[0], upcoming[0], new_start, locale=person.locale, channel=channel
            )
        )
    return move_meeting(
        session, committee, _meeting(session, committee, upcoming[0], now), new_start, person, now
    )


def _new_start(
    text: str, occurrence: Occurrence, committee: Committee, person: Person, now: datetime
) -> datetime:
    local_start = occurrence.start.astimezone(zone(committee.timezone))
    return parse_meeting_time(
        text,
        now=now,
        tz=committee.timezone,
        default_time=local_start.time().replace(tzinfo=None),
        locale=person.locale,
    )


def move_meeting(
    session: Session,
    committee: Committee,
    meeting: Meeting,
    new_start: datetime,
    person: Person,
    now: datetime,
) -> Outcome:
    """Move ``meeting`` and answer naming the slot it was originally scheduled for and the new one."""
    original = state.original_start(session, committee=committee, meeting=meeting)
    flows.move_meeting(session, meeting_id=meeting.id, new_start=new_start, actor=person.user_id, now=now)  # type: ignore[arg-type]
    reply = views.done(
        "moved", committee, meeting.start, locale=person.locale,
        origin_when=views.when(original, committee), origin_local=views.local(original, committee),
    )  # fmt: skip
    return Outcome(reply=reply, meeting_id=meeting.id, users=_homes(committee, person))


# -- cancel ----------------------------------------------------------------------------------------


def cancel(
    session: Session, *, committee: Committee, text: str, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """``cancel [DATE]``: a confirmation naming the occurrence (or a choice); no date: the modal."""
    checks.check_chair(session, committee, person.user_id, "what_cancel_meeting")
    if not text:
        upcoming = state.upcoming_occurrences(session, committee=committee, now=now, limit=PICKER_LIMIT)
        if not upcoming:
            raise NotFound(key="no_upcoming_meeting", locale=committee.locale, committee=committee.name)
        starts = [(o.series_start, o.start) for o in upcoming]
        return Outcome(
            modal=views.occurrence_modal(
                committee, starts, op="cancel", locale=person.locale, channel=channel
            )
        )
    picked = _pick(
        session, committee, text, person, channel, now,
        op="cancel", wanted=lambda o: o.status != MeetingStatus.cancelled.value,
        none_wanted="meeting_already_cancelled",
    )  # fmt: skip
    if isinstance(picked, Outcome):
        return picked
    checks.check_open(_meeting(session, committee, picked, now), committee, now, "what_cancel")
    return Outcome(reply=views.confirm_cancel(committee, picked, locale=person.locale, channel=channel))


def _do_cancel(
    session: Session,
    committee: Committee,
    meeting: Meeting,
    person: Person,
    now: datetime,
    reason: str | None = None,
) -> Outcome:
    flows.cancel_meeting(session, meeting_id=meeting.id, actor=person.user_id, now=now, reason=reason)  # type: ignore[arg-type]
    reply = views.done("cancelled", committee, meeting.start, locale=person.locale)
    return Outcome(reply=reply, meeting_id=meeting.id, users=_homes(committee, person))


# -- restore ---------------------------------------------------------------------------------------


def restore(
    session: Session, *, committee: Committee, text: str, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """``restore DATE`` restores the cancelled occurrence that date names; no date: the modal."""
    checks.check_chair(session, committee, person.user_id, "what_restore_meeting")
    if not text:
        cancelled = changes.cancelled_ahead(session, committee=committee, now=now, limit=PICKER_LIMIT)
        if not cancelled:
            raise NotFound(key="no_cancelled_meeting", locale=person.locale, committee=committee.name)
        starts = [(m.series_start, m.start) for m in cancelled]
        return Outcome(
            modal=views.occurrence_modal(
                committee, starts, op="restore", locale=person.locale, channel=channel
            )
        )
    picked = _pick(
        session, committee, text, person, channel, now,
        op="restore", wanted=lambda o: o.status == MeetingStatus.cancelled.value,
        none_wanted="meeting_not_cancelled",
    )  # fmt: skip
    if isinstance(picked, Outcome):
        return picked
    return _do_restore(session, committee, _meeting(session, committee, picked, now), person, now)


def _pick(
    session: Session,
    committee: Committee,
    text: str,
    person: Person,
    channel: str | None,
    now: datetime,
    *,
    op: str,
    wanted: Callable[[Occurrence], bool],
    none_wanted: str,
) -> Occurrence | Outcome:
    """The one occurrence that ``text``'s date names and ``op`` can act on (``wanted``), or the
    choice to offer when it names several. Refused, naming the occurrence, when it names only
    occurrences ``op`` cannot act on (``none_wanted``: the error key); never another occurrence."""
    day = _day(text, committee, person, now)
    found, originals = _named(session, committee, day, now)
    if not found:
        raise _none_on(session, committee, day, now)
    candidates = [o for o in found if wanted(o)]
    if not candidates:
        raise InvalidInput(
            key=none_wanted, locale=person.locale, when=state.local_label(found[0].start, committee)
        )
    if len(candidates) > 1:
        return Outcome(
            reply=views.choose(
                committee, candidates, op=op, day=day.strftime("%d/%m/%Y"), to=None, originals=originals,
                locale=person.locale, channel=channel,
            )
        )  # fmt: skip
    return candidates[0]


def _do_restore(
    session: Session, committee: Committee, meeting: Meeting, person: Person, now: datetime
) -> Outcome:
    changes.restore_meeting(session, meeting_id=meeting.id, actor=person.user_id, now=now)  # type: ignore[arg-type]
    reply = views.done("restored", committee, meeting.start, locale=person.locale)
    return Outcome(reply=reply, meeting_id=meeting.id, users=_homes(committee, person))


def restore_button(session: Session, *, meeting_id: int, person: Person, now: datetime) -> Outcome:
    """Restore, on the cancellation notice."""
    meeting, committee = state.get_meeting(session, meeting_id=meeting_id)
    return _do_restore(session, committee, meeting, person, now)


# -- minutes of a past meeting ---------------------------------------------------------------------

PAST_DAY_RE = re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{4}))?$")


def held_on(session: Session, *, committee: Committee, text: str, person: Person, now: datetime) -> Meeting:
    """The meeting held on the date ``text`` names (``/committee minutes 09/03``): a day and month
    without a year is the latest one not after today; ISO dates and the other forms as ``parse_date``."""
    today = now.astimezone(zone(committee.timezone)).date()
    match = PAST_DAY_RE.match(text.strip())
    try:
        if match:
            year = int(match.group("y") or today.year)
            day = date(year, int(match.group("m")), int(match.group("d")))
            if day > today and not match.group("y"):
                day = day.replace(year=year - 1)
        else:
            day = date.fromisoformat(text.strip())
    except ValueError:
        day = _day(text, committee, person, now)
    found, _originals = _named(session, committee, day, now)
    held = [o for o in found if o.status != MeetingStatus.cancelled.value and o.start <= now]
    if not held:
        raise _none_on(session, committee, day, now)
    return _meeting(session, committee, held[-1], now)


# -- buttons and modals ------------------------------------------------------------------------------


def confirmed(session: Session, *, value: str, person: Person, now: datetime) -> Outcome:
    """A button naming one occurrence: confirm a cancellation, or the occurrence picked in a choice."""
    choice = load(OccurrenceChoice, value)
    committee = session.get(Committee, choice.committee_id)
    if committee is None:
        raise NotFound(key="choice_expired", locale=person.locale)
    meeting = state.meeting_for_series(
        session, committee=committee, series_start=choice.series_start, now=now
    )
    if choice.op == "move":
        if not choice.to:
            raise InvalidInput(key="choice_expired", locale=person.locale)
        new_start = datetime.fromisoformat(choice.to)
        return move_meeting(session, committee, meeting, new_start, person, now)
    if choice.op == "cancel":
        return _do_cancel(session, committee, meeting, person, now)
    if choice.op == "restore":
        return _do_restore(session, committee, meeting, person, now)
    raise InvalidInput(key="choice_expired", locale=person.locale)


def kept(session: Session, *, value: str, person: Person) -> Outcome:
    """Keep it: nothing changes, and the user is told so."""
    try:
        choice = load(OccurrenceChoice, value)
    except ValueError:
        choice = None
    committee = session.get(Committee, choice.committee_id) if choice else None
    if committee is None or choice is None:
        return Outcome()
    stored = get_stored_meeting(session, committee_id=committee.id, series_start=choice.series_start)  # type: ignore[arg-type]
    start = stored.start if stored is not None else choice.series_start
    return Outcome(reply=views.kept(committee, start, locale=person.locale))


def _picked(
    session: Session, metadata: str, view: dict[str, Any], person: Person, now: datetime
) -> tuple[Committee, Meeting, dict[str, Any]]:
    form = load(MoveForm, metadata)
    committee = session.get(Committee, form.committee_id)
    if committee is None:
        raise NotFound(key="choice_expired", locale=person.locale)
    values = form_values(view)
    ref = load(OccurrenceRef, values.get("meeting"))
    meeting = state.meeting_for_series(session, committee=committee, series_start=ref.series_start, now=now)
    return committee, meeting, values


def submit_cancel(
    session: Session, *, metadata: str, view: dict[str, Any], person: Person, now: datetime
) -> Outcome:
    """The cancel modal: the occurrence picked (named in the select) is cancelled, with the reason."""
    committee, meeting, values = _picked(session, metadata, view, person, now)
    return _do_cancel(session, committee, meeting, person, now, reason=values.get("reason"))


def submit_restore(
    session: Session, *, metadata: str, view: dict[str, Any], person: Person, now: datetime
) -> Outcome:
    committee, meeting, _values = _picked(session, metadata, view, person, now)
    return _do_restore(session, committee, meeting, person, now)
