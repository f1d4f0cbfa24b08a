"""The action-item modals (new item, edit, progress, reassign, postpone or mute, a notice) and reading
what a submitted one holds. Wording in templates/<locale>/action_*.j2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DatePickerElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.action_items.views import MAX_TITLE_CHARS, action_text, labels
from bot.slack import ids
from bot.slack.limits import (
    MAX_MODAL_BLOCKS,
    MAX_MODAL_TITLE,
    MAX_OPTION_TEXT,
    MAX_PRIVATE_METADATA,
    MAX_SELECT_OPTIONS,
)
from bot.slack.payloads import (
    ActionModal,
    ChangeForm,
    dump,
)
from bot.slack.view_kit import mrkdwn_section, plain
from storage.models import ActionItem, ActionStatus, Committee, Priority


def _modal(
    *,
    callback_id: str,
    title: str,
    blocks: Sequence[Block],
    locale: str | None,
    submit: str | None,
    private_metadata: str = "",
) -> View:
    words = labels(locale)
    return View(
        type="modal",
        callback_id=callback_id,
        title=plain(title[:MAX_MODAL_TITLE]),
        submit=plain(submit) if submit else None,
        close=plain(words["cancel"] if submit else words["close"]),
        blocks=list(blocks)[:MAX_MODAL_BLOCKS],
        private_metadata=private_metadata,
    )


def _priority_option(priority: str, locale: str | None) -> Option:
    return Option(value=priority, text=plain(labels(locale)["priority_" + priority].capitalize()))


@dataclass(frozen=True)
class ActionForm:
    """What the action modal shows at first: whatever the command or the message gave."""

    title: str = ""
    owner: str | None = None
    due: date | None = None
    priority: str | None = None


def action_modal(
    meta: ActionModal,
    *,
    locale: str | None,
    form: ActionForm = ActionForm(),
    committees: Sequence[Committee] = (),
) -> View:
    """The create/edit modal. ``committees`` adds a committee select (when ``meta`` names none)."""
    words = labels(locale)
    editing = meta.action_id is not None
    blocks: list[Block] = [
        InputBlock(
            block_id=ids.BLOCK_TITLE,
            label=plain(words["title"]),
            element=PlainTextInputElement(
                action_id=ids.INPUT_VALUE,
                multiline=True,
                initial_value=form.title[:MAX_TITLE_CHARS] or None,
                placeholder=plain(words["title_placeholder"]),
            ),
        ),
        InputBlock(
            block_id=ids.BLOCK_OWNER,
            label=plain(words["owner"]),
            element=UserSelectElement(action_id=ids.INPUT_VALUE, initial_user=form.owner),
        ),
        InputBlock(
            block_id=ids.BLOCK_DUE,
            label=plain(words["due"]),
            element=DatePickerElement(
                action_id=ids.INPUT_VALUE, initial_date=form.due.isoformat() if form.due else None
            ),
        ),
        InputBlock(
            block_id=ids.BLOCK_PRIORITY,
            label=plain(words["priority"]),
            element=StaticSelectElement(
                action_id=ids.INPUT_VALUE,
                options=[_priority_option(p.value, locale) for p in Priority],
                initial_option=_priority_option(form.priority or Priority.medium.value, locale),
            ),
        ),
    ]
    if meta.committee_id is None and committees:
        blocks.append(
            InputBlock(
                block_id=ids.BLOCK_COMMITTEE,
                label=plain(words["committee"]),
                element=StaticSelectElement(
                    action_id=ids.INPUT_VALUE,
                    options=[
                        Option(value=str(c.id), text=plain(c.name, MAX_OPTION_TEXT))
                        for c in committees[:MAX_SELECT_OPTIONS]
                    ],
                ),
            )
        )
    return _modal(
        callback_id=ids.VIEW_ACTION,
        title=words["modal_edit" if editing else "modal_new"],
        blocks=blocks,
        locale=locale,
        submit=words["submit_save" if editing else "submit_create"],
        private_metadata=dump(meta, limit=MAX_PRIVATE_METADATA),
    )


def progress_modal(action: ActionItem, meta: ChangeForm, *, locale: str | None, tz: str) -> View:
    """Status, % done and a comment for one item."""
    words = labels(locale)

    def status_option(status: str) -> Option:
        return Option(value=status, text=plain(words["status_" + status].capitalize()))

    blocks: list[Block] = [
        mrkdwn_section(action_text(action, locale=locale, tz=tz)),
        InputBlock(
            block_id=ids.BLOCK_STATUS,
            label=plain(words["status"]),
            element=StaticSelectElement(
                action_id=ids.INPUT_VALUE,
                options=[status_option(s.value) for s in ActionStatus],
                initial_option=status_option(action.status),
            ),
        ),
        InputBlock(
            block_id=ids.BLOCK_PROGRESS,
            label=plain(words["percent"]),
            element=NumberInputElement(
                action_id=ids.INPUT_VALUE,
                is_decimal_allowed=False,
                min_value=0,
                max_value=100,
                initial_value=action.progress,
            ),
        ),
        InputBlock(
            block_id=ids.BLOCK_COMMENT,
            label=plain(words["comment"]),
            optional=True,
            element=PlainTextInputElement(action_id=ids.INPUT_VALUE, multiline=True, max_length=2000),
        ),
    ]
    return _modal(
        callback_id=ids.VIEW_PROGRESS,
        title=words["modal_progress"],
        blocks=blocks,
        locale=locale,
        submit=words["submit_save"],
        private_metadata=dump(meta, limit=MAX_PRIVATE_METADATA),
    )


def reassign_modal(action: ActionItem, meta: ChangeForm, *, locale: str | None, tz: str) -> View:
    """A users_select for the item's new owner."""
    words = labels(locale)
    blocks: list[Block] = [
        mrkdwn_section(action_text(action, locale=locale, tz=tz)),
        InputBlock(
            block_id=ids.BLOCK_OWNER,
            label=plain(words["new_owner"]),
            element=UserSelectElement(action_id=ids.INPUT_VALUE),
        ),
    ]
    return _modal(
        callback_id=ids.VIEW_REASSIGN,
        title=words["modal_reassign"],
        blocks=blocks,
        locale=locale,
        submit=words["submit_save"],
        private_metadata=dump(meta, limit=MAX_PRIVATE_METADATA),
    )


def date_modal(
    action: ActionItem,
    meta: ChangeForm,
    *,
    kind: str,
    locale: str | None,
    tz: str,
    initial: date | None = None,
) -> View:
    """Postpone (``kind="postpone"``: a new due date and an optional reason) or Mute reminders
    (``kind="mute"``: until a date; the due date stays)."""
    words = labels(locale)
    blocks: list[Block] = [
        mrkdwn_section(action_text(action, locale=locale, tz=tz)),
        InputBlock(
            block_id=ids.BLOCK_DUE if kind == "postpone" else ids.BLOCK_UNTIL,
            label=plain(words["new_due" if kind == "postpone" else "mute_until"]),
            element=DatePickerElement(
                action_id=ids.INPUT_VALUE, initial_date=initial.isoformat() if initial else None
            ),
        ),
    ]
    if kind == "postpone":
        blocks.append(
            InputBlock(
                block_id=ids.BLOCK_COMMENT,
                label=plain(words["reason"]),
                optional=True,
                element=PlainTextInputElement(action_id=ids.INPUT_VALUE, multiline=True, max_length=2000),
            )
        )
    return _modal(
        callback_id=ids.VIEW_POSTPONE if kind == "postpone" else ids.VIEW_MUTE,
        title=words["modal_" + kind],
        blocks=blocks,
        locale=locale,
        submit=words["submit_save"],
        private_metadata=dump(meta, limit=MAX_PRIVATE_METADATA),
    )


def read_date_form(state: dict[str, Any]) -> tuple[date | None, str | None]:
    """The postpone or mute modal's date (whichever it asked) and the postpone reason."""
    picked = _input(state, ids.BLOCK_DUE).get("selected_date") or _input(state, ids.BLOCK_UNTIL).get(
        "selected_date"
    )
    return (date.fromisoformat(picked) if picked else None), _input(state, ids.BLOCK_COMMENT).get("value")


def _input(state: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The value of the one element of ``block_id`` in a ``view.state.values`` mapping ({} if absent)."""
    return (state.get(block_id) or {}).get(ids.INPUT_VALUE) or {}


def _selected(state: dict[str, Any], block_id: str) -> str | None:
    option = _input(state, block_id).get("selected_option") or {}
    return option.get("value")


def read_action_form(state: dict[str, Any]) -> tuple[ActionForm, int | None]:
    """The action modal's inputs, and the committee picked in it (None when it did not ask)."""
    due_text = _input(state, ids.BLOCK_DUE).get("selected_date")
    committee = _selected(state, ids.BLOCK_COMMITTEE)
    form = ActionForm(
        title=_input(state, ids.BLOCK_TITLE).get("value") or "",
        owner=_input(state, ids.BLOCK_OWNER).get("selected_user"),
        due=date.fromisoformat(due_text) if due_text else None,
        priority=_selected(state, ids.BLOCK_PRIORITY),
    )
    return form, int(committee) if committee and committee.isdigit() else None


@dataclass(frozen=True)
class ProgressForm:
    status: str
    progress: str  # as typed: the flow checks it is 0..100
    comment: str | None


def read_progress_form(state: dict[str, Any]) -> ProgressForm:
    """The progress modal's inputs."""
    return ProgressForm(
        status=_selected(state, ids.BLOCK_STATUS) or "",
        progress=str(_input(state, ids.BLOCK_PROGRESS).get("value") or ""),
        comment=_input(state, ids.BLOCK_COMMENT).get("value"),
    )


def read_owner(state: dict[str, Any]) -> str | None:
    """The user picked in the reassign modal."""
    return _input(state, ids.BLOCK_OWNER).get("selected_user")


def notice_modal(text: str, *, locale: str | None) -> View:
    """A modal that only shows a message (a refusal where no ephemeral is possible: the App Home)."""
    return _modal(
        callback_id=ids.VIEW_NOTICE,
        title=labels(locale)["modal_notice"],
        blocks=[mrkdwn_section(text)],
        locale=locale,
        submit=None,
    )
