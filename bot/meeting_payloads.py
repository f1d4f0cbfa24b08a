"""What rides in the meeting modals' ``private_metadata`` and the move modal's select options.

Same pattern as ``bot.payloads`` (whose ``dump``/``load`` serialise these): small frozen dataclasses
with a short ``tag``. The buttons on meeting messages carry ``bot.payloads.MeetingRef``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar

SERIES_FORMAT = "%Y%m%dT%H%MZ"


@dataclass(frozen=True)
class MeetingForm:
    """Context of the topic, deck, minutes and request-changes modals: the meeting, and the channel
    the form was opened from (where the confirmation goes; None: a DM to the user)."""

    tag: ClassVar[str] = "mf"
    meeting_id: int
    channel: str | None = None


@dataclass(frozen=True)
class MoveForm:
    """Context of the move modal: the committee, and the channel it was opened from."""

    tag: ClassVar[str] = "mv"
    committee_id: int
    channel: str | None = None


@dataclass(frozen=True)
class OccurrenceRef:
    """One option of the move modal's meeting select: the occurrence's series instant, UTC."""

    tag: ClassVar[str] = "o"
    series: str  # SERIES_FORMAT, e.g. "20270105T0900Z"

    @classmethod
    def of(cls, series_start: datetime) -> OccurrenceRef:
        return cls(series=series_start.astimezone(UTC).strftime(SERIES_FORMAT))

    @property
    def series_start(self) -> datetime:
        return datetime.strptime(self.series, SERIES_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True)
class OccurrenceChoice:
    """A button that acts on one named occurrence: confirm a cancellation, pick among occurrences a
    date names, or restore instead of moving onto a cancelled date. ``op`` is ``move``, ``cancel``
    or ``restore``; ``to`` the new start of a move (ISO, aware)."""

    tag: ClassVar[str] = "oc"
    op: str
    committee_id: int
    series: str  # SERIES_FORMAT
    to: str | None = None
    channel: str | None = None

    @property
    def series_start(self) -> datetime:
        return datetime.strptime(self.series, SERIES_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True)
class CommitteeCommand:
    """A ``/committee`` command typed outside a committee's channel, carried in the committee
    picker's block id until the user picks the committee (cut to fit 255 characters)."""

    tag: ClassVar[str] = "cc"
    sub: str
    text: str = ""
    channel: str | None = None
