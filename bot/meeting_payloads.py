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

    def __post_init__(self) -> None:
        self.series_start  # noqa: B018 (raises ValueError on a series this version did not write)

    @classmethod
    def of(cls, series_start: datetime) -> OccurrenceRef:
        return cls(series=series_start.astimezone(UTC).strftime(SERIES_FORMAT))

    @property
    def series_start(self) -> datetime:
        return datetime.strptime(self.series, SERIES_FORMAT).replace(tzinfo=UTC)
