"""Block Kit of ``/committee move|cancel|restore`` and of ``/committee`` outside a committee's channel:
the cancel confirmation, the choice between occurrences a date names, the cancelled-date question,
the cancel and restore modals, and the committee picker.

Wording in templates/<locale>/committee_changes.j2. Buttons name occurrences in the committee's own
wall-clock time (plain text cannot hold Slack date tokens); messages use date tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import (
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.calendar import Occurrence
from bot.slack import blocks as bk
from bot.slack import ids
from bot.slack.limits import (
    MAX_BLOCK_ID,
    MAX_MODAL_TITLE,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_PRIVATE_METADATA,
    MAX_SELECT_OPTIONS,
)
from bot.slack.outcome import Reply
from bot.slack.payloads import (
    SERIES_FORMAT,
    CommitteeCommand,
    MoveForm,
    OccurrenceChoice,
    OccurrenceRef,
    PickCommittee,
    dump,
)
from bot.slack.view_kit import plain
from bot.text.render import slack_date
from storage.models import Committee

TEMPLATE = "committee_changes"
REASON_MAX = 3000


def piece(locale: str | None, block: str, **values: Any) -> str:
    return bk.piece(locale, TEMPLATE, block, **values)


def short(moment: datetime, committee: Committee) -> str:
    """``2027-03-23 10:00``: the committee's wall-clock time, for buttons and options."""
    return f"{moment.astimezone(ZoneInfo(committee.timezone)):%Y-%m-%d %H:%M}"


def local(moment: datetime, committee: Committee) -> str:
    return f"{short(moment, committee)}, {committee.timezone}"


def when(moment: datetime, committee: Committee) -> str:
    return slack_date(moment, fallback_tz=committee.timezone)


def _reply(text: str, blocks: list[dict[str, Any]]) -> Reply:
    return Reply(text=bk.fallback(text), blocks=blocks)


def choice_value(
    op: str, committee: Committee, occurrence: Occurrence, to: datetime | None, channel: str | None
) -> str:
    return dump(
        OccurrenceChoice(
            op=op,
            committee_id=committee.id,  # type: ignore[arg-type]
            series=occurrence.series_start.astimezone(ZoneInfo("UTC")).strftime(SERIES_FORMAT),
            to=to.isoformat() if to is not None else None,
            channel=channel,
        )
    )


def confirm_cancel(
    committee: Committee, occurrence: Occurrence, *, locale: str | None, channel: str | None
) -> Reply:
    """ "Cancel <committee> on <date>?" with a danger button that names the occurrence, and Keep it."""
    text = piece(
        locale, "confirm_cancel", name=committee.name, when=when(occurrence.start, committee),
        local=local(occurrence.start, committee),
    )  # fmt: skip
    confirm = bk.button(
        piece(locale, "btn_confirm_cancel", short=short(occurrence.start, committee)),
        action_id=ids.BTN_MEETING_CONFIRM,
        value=choice_value("cancel", committee, occurrence, None, channel),
        style="danger",
    )
    keep = bk.button(
        piece(locale, "btn_keep"),
        action_id=ids.BTN_MEETING_KEEP,
        value=choice_value("keep", committee, occurrence, None, channel),
    )
    return _reply(text, [bk.section(text), bk.actions(confirm, keep)])


def choose(
    committee: Committee,
    found: Sequence[Occurrence],
    *,
    op: str,
    day: str,
    to: datetime | None,
    originals: dict[datetime, datetime],
    locale: str | None,
    channel: str | None,
) -> Reply:
    """Several occurrences match the date: one button per occurrence (pressing it is the confirmation)."""
    text = piece(locale, "choose", name=committee.name, day=day, op=op)
    buttons = []
    for occurrence in found[:MAX_SELECT_OPTIONS]:
        origin = originals.get(occurrence.series_start)
        buttons.append(
            bk.button(
                piece(
                    locale, "btn_choice", op=op, short=short(occurrence.start, committee),
                    origin=short(origin, committee) if origin is not None and origin != occurrence.start else None,
                ),
                action_id=ids.BTN_MEETING_CONFIRM,
                value=choice_value(op, committee, occurrence, to, channel),
                style="danger" if op == "cancel" else None,
            )
        )  # fmt: skip
    keep = bk.button(
        piece(locale, "btn_keep"),
        action_id=ids.BTN_MEETING_KEEP,
        value=choice_value("keep", committee, found[0], None, channel),
    )
    return _reply(text, [bk.section(text), bk.actions(*buttons, keep)])


def cancelled_date(
    committee: Committee,
    cancelled: Occurrence,
    upcoming: Occurrence,
    to: datetime,
    *,
    locale: str | None,
    channel: str | None,
) -> Reply:
    """A move without OCCURRENCE onto the date of a cancelled meeting: restore that one, or move the
    next one there? Never one silently in place of the other."""
    text = piece(
        locale, "cancelled_date",
        cancelled_when=when(cancelled.start, committee), cancelled_local=local(cancelled.start, committee),
        next_when=when(upcoming.start, committee), next_local=local(upcoming.start, committee),
        to_local=local(to, committee),
    )  # fmt: skip
    restore = bk.button(
        piece(locale, "btn_restore_it", short=short(cancelled.start, committee)),
        action_id=ids.BTN_MEETING_CONFIRM,
        value=choice_value("restore", committee, cancelled, None, channel),
        style="primary",
    )
    move = bk.button(
        piece(locale, "btn_move_next", short=short(upcoming.start, committee)),
        action_id=ids.BTN_MEETING_CONFIRM,
        value=choice_value("move", committee, upcoming, to, channel),
    )
    keep = bk.button(
        piece(locale, "btn_keep"),
        action_id=ids.BTN_MEETING_KEEP,
        value=choice_value("keep", committee, upcoming, None, channel),
    )
    return _reply(text, [bk.section(text), bk.actions(restore, move, keep)])


def done(block: str, committee: Committee, start: datetime, *, locale: str | None, **values: Any) -> Reply:
    """The confirmation of a move, a cancellation or a restore (``block``: moved, cancelled, restored)."""
    text = piece(
        locale, block, when=when(start, committee), local=local(start, committee),
        day=f"{start.astimezone(ZoneInfo(committee.timezone)):%d/%m}", **values,
    )  # fmt: skip
    return _reply(text, [bk.section(text)])


def kept(committee: Committee, start: datetime | None, *, locale: str | None) -> Reply:
    """Keep it: nothing changed (``start``: the occurrence the question was about)."""
    text = piece(locale, "kept", when=when(start, committee) if start else "—")
    return _reply(text, [bk.section(text)])


def _options(committee: Committee, starts: Sequence[tuple[datetime, datetime]]) -> list[Option]:
    """Options naming occurrences by their current start, valued by their series instant."""
    return [
        Option(
            value=dump(OccurrenceRef.of(series), limit=MAX_OPTION_VALUE),
            text=plain(f"{short(start, committee)} ({committee.timezone})", MAX_OPTION_TEXT),
        )
        for series, start in starts[:MAX_SELECT_OPTIONS]
    ]


def occurrence_modal(
    committee: Committee,
    starts: Sequence[tuple[datetime, datetime]],
    *,
    op: str,
    locale: str | None,
    channel: str | None,
) -> View:
    """The cancel (``op`` "cancel": picker and reason) or restore modal (picker): submitting it is
    the confirmation, the picked occurrence is named in the select."""
    options = _options(committee, starts)
    body: list[Any] = [
        ContextBlock(elements=[MarkdownTextObject(text=f"*{bk.fallback(committee.name)}*")]),
        InputBlock(
            block_id=ids.BLOCK_MEETING,
            label=plain(piece(locale, "field_meeting")),
            element=StaticSelectElement(
                action_id=ids.INPUT_VALUE, options=options, initial_option=options[0] if options else None
            ),
        ),
    ]
    if op == "cancel":
        body.append(
            InputBlock(
                block_id="reason",
                label=plain(piece(locale, "field_reason")),
                element=PlainTextInputElement(
                    action_id=ids.INPUT_VALUE, multiline=True, max_length=REASON_MAX
                ),
                optional=True,
            )
        )
        body.append(ContextBlock(elements=[MarkdownTextObject(text=piece(locale, "cancel_help"))]))
    metadata = dump(MoveForm(committee_id=committee.id, channel=channel), limit=MAX_PRIVATE_METADATA)  # type: ignore[arg-type]
    return View(
        type="modal",
        callback_id=ids.VIEW_CANCEL if op == "cancel" else ids.VIEW_RESTORE,
        title=plain(piece(locale, f"modal_{op}"), MAX_MODAL_TITLE),
        submit=plain(piece(locale, f"submit_{op}")),
        close=plain(piece(locale, "close")),
        private_metadata=metadata,
        blocks=body,
    )


def committee_picker(
    committees: Sequence[Committee], *, sub: str, text: str, channel: str | None, locale: str | None
) -> Reply:
    """``/committee <sub>`` outside a committee's channel: a select of the user's committees; the
    command (cut to fit a block id) rides in the block id until one is picked."""
    while True:
        try:
            block_id = dump(CommitteeCommand(sub=sub, text=text, channel=channel), limit=MAX_BLOCK_ID)
            break
        except ValueError:
            text = text[: max(0, len(text) - 16)]
    select = StaticSelectElement(
        action_id=ids.BTN_COMMITTEE_PICK,
        placeholder=plain(piece(locale, "pick_placeholder")),
        options=[
            Option(
                value=dump(PickCommittee(committee_id=c.id), limit=MAX_OPTION_VALUE),  # type: ignore[arg-type]
                text=plain(f"{c.name} ({c.key})", MAX_OPTION_TEXT),
            )
            for c in committees[:MAX_SELECT_OPTIONS]
        ],
    )
    prompt = piece(locale, "pick_committee", sub=sub)
    return _reply(
        prompt,
        [bk.section(prompt), {"type": "actions", "block_id": block_id, "elements": [select.to_dict()]}],
    )
