"""Who may do what to a meeting, and in which state: the checks every meeting flow runs first."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.action_items.flows import is_workspace_admin
from bot.core.rules import requires_approval
from bot.meetings import minutes_versions
from bot.meetings.state import left_series, local_label
from bot.text.errors import InvalidInput, Msg, PermissionDenied
from storage.models import (
    Committee,
    Meeting,
    MeetingStatus,
)


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


def check_in_calendar(session: Session, meeting: Meeting, committee: Committee, now: datetime) -> None:
    """A meeting to come that a change of schedule took out of the series takes no more changes
    (its posted messages, buttons included, say so once the next tick edits them)."""
    if left_series(session, committee=committee, meeting=meeting, now=now):
        raise InvalidInput(
            key="meeting_not_in_calendar", locale=committee.locale, when=local_label(meeting.start, committee)
        )


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
