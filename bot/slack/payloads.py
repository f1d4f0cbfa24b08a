"""What rides in a button ``value``, a select option, a ``block_id`` or a modal's ``private_metadata``.

Each is a small frozen dataclass with a short ``tag``; ``dump`` turns one into compact JSON and
``load`` parses it back, checking the tag and the fields. Nothing else in the code reads or writes
these strings, so no listener ever splits an ad-hoc string on ``:``.
"""

from __future__ import annotations

import json
import types
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar, Union, get_args, get_origin, get_type_hints

from bot.slack.limits import MAX_BLOCK_ID, MAX_BUTTON_VALUE, MAX_PRIVATE_METADATA

SERIES_FORMAT = "%Y%m%dT%H%MZ"  # an occurrence's series instant, UTC (OccurrenceRef)
# A row id the bot wrote fits the database's INTEGER (PostgreSQL's is 32 bits).
MAX_ROW_ID = 2**31 - 1


class InvalidPayload(ValueError):
    """A value, block id or private_metadata this version of the bot did not write."""


@dataclass(frozen=True)
class ActionRef:
    """A button on one action item (Done, Update progress, Reassign, Edit)."""

    tag: ClassVar[str] = "a"
    action_id: int


@dataclass(frozen=True)
class SnoozeRef:
    """One option of an action item's Snooze select: which item, and how long (``1bd`` or ``1w``)."""

    tag: ClassVar[str] = "s"
    action_id: int
    choice: str


@dataclass(frozen=True)
class RedateRef:
    """The "previous business day" button under a due date that is not one: which item, and the due
    date it was offered for (a click after the date changed again does nothing)."""

    tag: ClassVar[str] = "rd"
    action_id: int
    due: str  # ISO date


@dataclass(frozen=True)
class ActionModal:
    """The action modal's context: the committee (None: the modal asks), where the command came from
    (to confirm there), the item being edited (None: a new item) and the source message's permalink."""

    tag: ClassVar[str] = "m"
    committee_id: int | None = None
    channel: str | None = None
    action_id: int | None = None
    source_link: str | None = None
    meeting_id: int | None = None
    thread_ts: str | None = None  # the message of the "Create action item" shortcut: reply in its thread


@dataclass(frozen=True)
class ChangeForm:
    """Context of the progress and reassign modals: the item, and where the button was pressed."""

    tag: ClassVar[str] = "c"
    action_id: int
    channel: str | None = None


@dataclass(frozen=True)
class PickCommittee:
    """One option of the "pick a committee" select (an option value holds at most 150 chars)."""

    tag: ClassVar[str] = "p"
    committee_id: int


@dataclass(frozen=True)
class PendingCommand:
    """What the user typed when their channel had no committee, carried in the pick block's id
    so the modal re-opens pre-filled once they pick one (cut to fit a block id)."""

    tag: ClassVar[str] = "d"
    text: str = ""
    channel: str | None = None


@dataclass(frozen=True)
class MeetingRef:
    """A button on one meeting: Add a topic, Mark deck shared, Submit minutes, Approve, Request changes."""

    tag: ClassVar[str] = "mt"
    meeting_id: int
    version: int | None = None  # the minutes version an approval request shows (Approve, Request changes)


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


@dataclass(frozen=True)
class ProblemRef:
    """The Retry button of an admin's delivery problem: the destination and Slack's error code."""

    tag: ClassVar[str] = "pr"
    to: str
    error: str


Payload = (
    ActionRef
    | SnoozeRef
    | RedateRef
    | ActionModal
    | ChangeForm
    | PickCommittee
    | PendingCommand
    | MeetingRef
    | MeetingForm
    | MoveForm
    | OccurrenceRef
    | OccurrenceChoice
    | CommitteeCommand
    | ProblemRef
)
P = TypeVar(  # constrained: load(kind, …) returns that kind
    "P",
    ActionRef,
    SnoozeRef,
    RedateRef,
    ActionModal,
    ChangeForm,
    PickCommittee,
    PendingCommand,
    MeetingRef,
    MeetingForm,
    MoveForm,
    OccurrenceRef,
    OccurrenceChoice,
    CommitteeCommand,
    ProblemRef,
)


def dump(payload: Payload, *, limit: int = MAX_BUTTON_VALUE) -> str:
    """Compact JSON for ``payload``; fields left at None are omitted. Raises ValueError beyond ``limit``."""
    data: dict[str, Any] = {"t": payload.tag}
    data.update({name: value for name, value in asdict(payload).items() if value is not None})
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(text) > limit:
        raise ValueError(f"{type(payload).__name__} payload is {len(text)} chars, over Slack's {limit}")
    return text


def load(kind: type[P], text: str | None) -> P:
    """Parse what ``dump`` wrote for a ``kind``; raises InvalidPayload on anything else."""
    try:
        data = json.loads(text or "")
    except json.JSONDecodeError as error:
        raise InvalidPayload(f"not a {kind.__name__} payload: {text!r}") from error
    if not isinstance(data, dict) or data.pop("t", None) != kind.tag:
        raise InvalidPayload(f"not a {kind.__name__} payload: {text!r}")
    known = {f.name for f in fields(kind)}
    if not set(data) <= known:
        raise InvalidPayload(f"unknown fields {sorted(set(data) - known)} in {kind.__name__} payload")
    hints = get_type_hints(kind)
    for name, value in data.items():
        if not _fits(value, hints[name]):
            raise InvalidPayload(f"{kind.__name__}.{name} has the wrong type or size")
    try:
        return kind(**data)
    except (TypeError, ValueError) as error:
        raise InvalidPayload(f"bad {kind.__name__} payload: {error}") from error


def _fits(value: Any, hint: Any) -> bool:
    """``value`` is of the field's declared type (``int``, ``str``, or either or None), an int within
    a row id's range, a string within Slack's longest carrier."""
    if get_origin(hint) in (Union, types.UnionType):
        return any(_fits(value, option) for option in get_args(hint))
    if hint is type(None):
        return value is None
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ROW_ID
    if hint is str:
        return isinstance(value, str) and len(value) <= MAX_PRIVATE_METADATA and "\x00" not in value
    return False


def dump_pending(text: str, channel: str | None) -> str:
    """A ``PendingCommand`` block id, the text cut until it fits Slack's 255 chars."""
    while True:
        try:
            return dump(PendingCommand(text=text, channel=channel), limit=MAX_BLOCK_ID)
        except ValueError:
            text = text[: max(0, len(text) - 16)]
