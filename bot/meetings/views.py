"""Block Kit of the meeting surfaces: the topic, deck, minutes, request-changes and move modals, the
``/committee next|calendar|help`` replies, the confirmations, and the reading of a submitted form.

Builders take plain values and return ``slack_sdk`` views or a ``Reply``; the wording lives in
templates/<locale>/committee_*.j2 and minutes_*.j2. User text goes through the ``e`` filter and
every builder keeps within Slack's limits (24-character titles, 3,000 characters a section).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RichTextInputElement,
    StaticSelectElement,
    TimePickerElement,
    UrlInputElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.core import bounds
from bot.meetings.state import ScheduleEntry
from bot.slack import ids
from bot.slack.limits import (
    MAX_MODAL_TITLE,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_PRIVATE_METADATA,
    MAX_SELECT_OPTIONS,
)
from bot.slack.outcome import Reply
from bot.slack.outcome import reply as _reply
from bot.slack.payloads import MeetingForm, MoveForm, OccurrenceRef, dump
from bot.slack.view_kit import plain
from bot.text.render import render, slack_escape
from storage.models import Committee, Meeting

TEXT_MAX = bounds.TEXT_MAX
LINK_MAX = bounds.LINK_MAX


@lru_cache(maxsize=8)
def labels(locale: str | None) -> dict[str, str]:
    """The short labels of templates/<locale>/committee_labels.j2 (a YAML mapping)."""
    return yaml.safe_load(render(locale, "committee_labels"))


def _local(moment: datetime, committee: Committee) -> str:
    return f"{moment.astimezone(ZoneInfo(committee.timezone)):%Y-%m-%d %H:%M}"


def _title(text: str) -> Any:
    return plain(text, MAX_MODAL_TITLE)


def _heading(committee: Committee, meeting: Meeting, locale: str | None) -> ContextBlock:
    text = render(
        locale,
        "committee_meeting",
        committee=committee,
        start=meeting.start,
        local=_local(meeting.start, committee),
        tz=committee.timezone,
    )
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _input(
    block_id: str, label: str, element: Any, *, optional: bool = False, hint: str | None = None
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=plain(label),
        element=element,
        optional=optional,
        hint=plain(hint) if hint else None,
    )


def _modal(
    callback_id: str, title: str, submit: str, locale: str | None, metadata: str, blocks: Sequence[Block]
) -> View:
    words = labels(locale)
    if len(metadata) > MAX_PRIVATE_METADATA:
        raise ValueError("private_metadata over Slack's limit")
    return View(
        type="modal",
        callback_id=callback_id,
        title=_title(title),
        submit=plain(submit),
        close=plain(words["cancel"]),
        private_metadata=metadata,
        blocks=list(blocks),
    )


# -- modals --------------------------------------------------------------------------------------


def topic_modal(
    *,
    committee: Committee,
    meeting: Meeting,
    locale: str | None,
    channel: str | None,
    title: str | None = None,
) -> View:
    """Add a topic: title (pre-filled with ``title``), presenter, duration (1–240 min), notes, link."""
    words = labels(locale)
    value = ids.INPUT_VALUE
    blocks = [
        _heading(committee, meeting, locale),
        _input(
            ids.BLOCK_TITLE,
            words["topic_title"],
            PlainTextInputElement(
                action_id=value,
                max_length=TEXT_MAX,
                initial_value=title[:TEXT_MAX] if title else None,
                placeholder=plain(words["topic_title_placeholder"]),
            ),
        ),
        _input(ids.BLOCK_PRESENTER, words["presenter"], UserSelectElement(action_id=value), optional=True),
        _input(
            ids.BLOCK_DURATION,
            words["duration"],
            NumberInputElement(action_id=value, is_decimal_allowed=False, min_value=1, max_value=240),
            optional=True,
        ),
        _input(
            ids.BLOCK_NOTES,
            words["notes"],
            PlainTextInputElement(action_id=value, multiline=True, max_length=TEXT_MAX),
            optional=True,
        ),
        _input(
            ids.BLOCK_LINK,
            words["link"],
            UrlInputElement(action_id=value, placeholder=plain(words["link_placeholder"])),
            optional=True,
        ),
    ]
    metadata = dump(MeetingForm(meeting_id=meeting.id, channel=channel), limit=MAX_PRIVATE_METADATA)  # type: ignore[arg-type]
    return _modal(ids.VIEW_TOPIC, words["modal_topic"], words["submit_topic"], locale, metadata, blocks)


def deck_modal(*, committee: Committee, meeting: Meeting, locale: str | None, channel: str | None) -> View:
    """Mark the deck shared, with its link (optional: a deck posted in the channel needs none)."""
    words = labels(locale)
    element = UrlInputElement(
        action_id=ids.INPUT_VALUE,
        initial_value=meeting.deck_link or None,
        placeholder=plain(words["link_placeholder"]),
    )
    blocks = [
        _heading(committee, meeting, locale),
        _input(ids.BLOCK_LINK, words["deck_link"], element, optional=True),
    ]
    metadata = dump(MeetingForm(meeting_id=meeting.id, channel=channel), limit=MAX_PRIVATE_METADATA)  # type: ignore[arg-type]
    return _modal(ids.VIEW_DECK, words["modal_deck"], words["submit_deck"], locale, metadata, blocks)


def minutes_modal(
    *,
    committee: Committee,
    meeting: Meeting,
    locale: str | None,
    channel: str | None,
    decisions: Sequence[str] = (),
    existing_actions: Sequence[str] = (),
    approval: bool = False,
    action_lines: Sequence[tuple[str, str]] = (),
    amend: bool = False,
) -> View:
    """Submit (or, ``amend``, correct posted) minutes: summary, decisions (one per line), action
    lines ``@owner task by date`` (a rich text input, so that @mentions arrive as user ids),
    attendees, link.

    Pre-filled with what was submitted before (minutes sent back by the chair, posted minutes),
    the action lines included as ``(owner, rest of the line)``: an unchanged line keeps its item.
    """
    words = labels(locale)
    value = ids.INPUT_VALUE
    decisions_text = "\n".join(decisions)[:TEXT_MAX] or None
    help_text = render(
        locale,
        "minutes_form_help",
        existing=list(existing_actions),
        approval=approval,
        chair=committee.chair,
        channel=committee.channel,
        amend=amend,
    )
    blocks = [
        _heading(committee, meeting, locale),
        _input(
            ids.BLOCK_SUMMARY,
            words["summary"],
            PlainTextInputElement(
                action_id=value,
                multiline=True,
                max_length=TEXT_MAX,
                initial_value=(meeting.minutes_text or None),
                placeholder=plain(words["summary_placeholder"]),
            ),
        ),
        _input(
            ids.BLOCK_DECISIONS,
            words["decisions"],
            PlainTextInputElement(
                action_id=value, multiline=True, max_length=TEXT_MAX, initial_value=decisions_text
            ),
            optional=True,
        ),
        _input(
            ids.BLOCK_ACTIONS,
            words["actions"],
            RichTextInputElement(
                action_id=value,
                placeholder=plain(words["actions_placeholder"]),
                initial_value=_rich_lines(action_lines),
            ),
            optional=True,
        ),
        ContextBlock(elements=[MarkdownTextObject(text=help_text)]),
        _input(
            ids.BLOCK_ATTENDEES,
            words["attendees"],
            UserMultiSelectElement(
                action_id=value, initial_users=list(meeting.minutes_attendees or []) or None
            ),
            optional=True,
        ),
        _input(
            ids.BLOCK_LINK,
            words["minutes_link"],
            UrlInputElement(
                action_id=value,
                initial_value=meeting.minutes_link or None,
                placeholder=plain(words["link_placeholder"]),
            ),
            optional=True,
        ),
    ]
    metadata = dump(MeetingForm(meeting_id=meeting.id, channel=channel), limit=MAX_PRIVATE_METADATA)  # type: ignore[arg-type]
    if amend:
        return _modal(ids.VIEW_MINUTES, words["modal_amend"], words["submit_amend"], locale, metadata, blocks)
    return _modal(ids.VIEW_MINUTES, words["modal_minutes"], words["submit_minutes"], locale, metadata, blocks)


def _rich_lines(lines: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    """Action lines as a rich text value: a user mention, then the rest of the line, one per line."""
    if not lines:
        return None
    elements: list[dict[str, Any]] = []
    for n, (owner, rest) in enumerate(lines):
        elements.append({"type": "user", "user_id": owner})
        elements.append({"type": "text", "text": f" {rest}" + ("\n" if n < len(lines) - 1 else "")})
    return {"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": elements}]}


def changes_modal(*, committee: Committee, meeting: Meeting, locale: str | None, channel: str | None) -> View:
    """The chair's comment when sending the minutes back to the secretary."""
    words = labels(locale)
    element = PlainTextInputElement(action_id=ids.INPUT_VALUE, multiline=True, max_length=TEXT_MAX)
    blocks = [_heading(committee, meeting, locale), _input(ids.BLOCK_COMMENT, words["comment"], element)]
    metadata = dump(MeetingForm(meeting_id=meeting.id, channel=channel), limit=MAX_PRIVATE_METADATA)  # type: ignore[arg-type]
    return _modal(
        ids.VIEW_MINUTES_CHANGES, words["modal_changes"], words["submit_changes"], locale, metadata, blocks
    )


def move_modal(
    *, committee: Committee, entries: Sequence[ScheduleEntry], locale: str | None, channel: str | None
) -> View:
    """Move one occurrence: which meeting (the next ones), the new date and time (committee's zone)."""
    words = labels(locale)
    value = ids.INPUT_VALUE
    options = [
        Option(
            value=dump(OccurrenceRef.of(e.series_start), limit=MAX_OPTION_VALUE),
            text=plain(f"{e.start_local} ({committee.timezone})", MAX_OPTION_TEXT),
        )
        for e in entries[:MAX_SELECT_OPTIONS]
    ]
    first = entries[0] if entries else None
    blocks = [
        ContextBlock(elements=[MarkdownTextObject(text=f"*{slack_escape(committee.name)}*")]),
        _input(
            ids.BLOCK_MEETING,
            words["meeting"],
            StaticSelectElement(
                action_id=value, options=options, initial_option=options[0] if options else None
            ),
        ),
        _input(
            ids.BLOCK_DATE,
            words["date"],
            DatePickerElement(action_id=value, initial_date=f"{first.start:%Y-%m-%d}" if first else None),
        ),
        _input(
            ids.BLOCK_TIME,
            words["time"],
            TimePickerElement(
                action_id=value,
                initial_time=f"{first.start:%H:%M}" if first else None,
                timezone=committee.timezone,
            ),
        ),
    ]
    metadata = dump(MoveForm(committee_id=committee.id, channel=channel), limit=MAX_PRIVATE_METADATA)  # type: ignore[arg-type]
    return _modal(ids.VIEW_MOVE, words["modal_move"], words["submit_move"], locale, metadata, blocks)


# -- replies -------------------------------------------------------------------------------------


def next_reply(*, committee: Committee, entries: Sequence[ScheduleEntry], locale: str | None) -> Reply:
    """``/committee next``: the upcoming meetings, as date tokens plus the committee's local time."""
    return _reply(
        render(locale, "committee_next", committee=committee, entries=list(entries), tz=committee.timezone)
    )


def calendar_reply(
    *, committee: Committee, entries: Sequence[ScheduleEntry], locale: str | None, feed_url: str | None
) -> Reply:
    """``/committee calendar``: the next occurrences with status, deck and minutes deadlines, and the
    .ics subscription link when the server's public URL is known."""
    text = render(
        locale,
        "committee_calendar",
        committee=committee,
        entries=list(entries),
        tz=committee.timezone,
        labels=labels(locale),
        feed_url=feed_url,
    )
    return _reply(text)


def help_text(locale: str | None) -> str:
    """One line per ``/committee`` subcommand."""
    return render(locale, "committee_help")


def help_reply(locale: str | None) -> Reply:
    return _reply(help_text(locale))


def confirmation(
    what: str, *, committee: Committee, start: datetime, locale: str | None, **context: Any
) -> Reply:
    """The ephemeral confirmation of a change (``what``: topic_added, deck_shared, minutes_posted,
    minutes_awaiting, approved, changes_requested, moved, cancelled); names the committee's zone."""
    values = {
        "title": "",
        "link": None,
        "decisions": 0,
        "actions": [],
        "updated": [],
        "cancelled": [],
        "version": 1,
        "chair": committee.chair,
        "secretary": committee.secretary,
        "channel": committee.channel,
        **context,
    }
    text = render(
        locale,
        "committee_confirm",
        what=what,
        start=start,
        local=_local(start, committee),
        tz=committee.timezone,
        **values,
    )
    return _reply(text)


# -- reading a submitted form --------------------------------------------------------------------


def form_values(view: dict[str, Any]) -> dict[str, Any]:
    """``{block_id: value}`` of a submitted modal: text (or None), a user id, a list of user ids, a
    selected option's value, a date or time string, or the rich text of a rich text input."""
    found: dict[str, Any] = {}
    for block_id, elements in ((view.get("state") or {}).get("values") or {}).items():
        element: dict[str, Any] = elements.get(ids.INPUT_VALUE) or next(iter(elements.values()), {})
        kind = element.get("type")
        if kind == "users_select":
            found[block_id] = element.get("selected_user")
        elif kind == "multi_users_select":
            found[block_id] = list(element.get("selected_users") or [])
        elif kind == "static_select":
            found[block_id] = (element.get("selected_option") or {}).get("value")
        elif kind == "datepicker":
            found[block_id] = element.get("selected_date")
        elif kind == "timepicker":
            found[block_id] = element.get("selected_time")
        elif kind == "rich_text_input":
            found[block_id] = element.get("rich_text_value")
        else:
            found[block_id] = element.get("value")
    return found


def text_lines(value: Any) -> list[str]:
    """The lines of a rich text value (mentions as ``<@U…>``, as Slack writes them in messages), or
    of a plain string."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split("\n")
    lines: list[str] = []
    for block in value.get("elements") or []:
        if block.get("type") == "rich_text_list":
            for item in block.get("elements") or []:
                lines.extend(_flatten(item.get("elements") or []).split("\n"))
        else:
            lines.extend(_flatten(block.get("elements") or []).split("\n"))
    return lines


def _flatten(elements: Sequence[dict[str, Any]]) -> str:
    parts = []
    for element in elements:
        kind = element.get("type")
        if kind == "text":
            parts.append(element.get("text", ""))
        elif kind == "user":
            parts.append(f"<@{element.get('user_id')}>")
        elif kind == "broadcast":
            parts.append(f"<!{element.get('range')}>")
        elif kind == "channel":
            parts.append(f"<#{element.get('channel_id')}>")
        elif kind == "usergroup":
            parts.append(f"<!subteam^{element.get('usergroup_id')}>")
        elif kind == "link":
            parts.append(element.get("url") or element.get("text", ""))
        elif kind == "emoji":
            parts.append(f":{element.get('name')}:")
        elif kind == "date":
            parts.append(element.get("fallback") or "")
        elif "elements" in element:
            parts.append(_flatten(element["elements"]))
    return "".join(parts)
