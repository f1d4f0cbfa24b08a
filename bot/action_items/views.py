"""Block Kit for action items: the item itself with its buttons, the list, the modals, the App Home.

Builders take plain values (an ActionItem, a locale, a time zone) and return ``slack_sdk`` block and
view objects; the wording lives in templates/<locale>/action_*.j2 and home_*.j2. Everything a user
typed goes through the ``e`` filter, and every builder keeps within Slack's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import yaml
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.slack import ids
from bot.slack.limits import (
    MAX_HEADER_TEXT,
    MAX_HOME_BLOCKS,
    MAX_MESSAGE_BLOCKS,
    MAX_MODAL_BLOCKS,
    MAX_MODAL_TITLE,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_PRIVATE_METADATA,
    MAX_SECTION_TEXT,
    MAX_SELECT_OPTIONS,
    fit_escaped,
)
from bot.slack.payloads import (
    ActionModal,
    ActionRef,
    ChangeForm,
    PickCommittee,
    RedateRef,
    SnoozeRef,
    dump,
    dump_pending,
)
from bot.slack.view_kit import context, mrkdwn_section, plain
from bot.text.render import normalize_locale, render
from storage.models import ActionItem, ActionStatus, Committee, Priority

MAX_TITLE_CHARS = 3000  # an action's title (the model's column)

# How many items one ephemeral list or the App Home shows before "and N more".
LIST_LIMIT = 20
HOME_ACTIONS_LIMIT = 30
SNOOZE_CHOICES = ("1bd", "1w")
CLOSED = (ActionStatus.done.value, ActionStatus.cancelled.value)


@lru_cache(maxsize=8)
def labels(locale: str | None) -> dict[str, str]:
    """The short labels of templates/<locale>/action_labels.j2 (a YAML mapping)."""
    return yaml.safe_load(render(locale, "action_labels"))


# -- one action item ------------------------------------------------------------------------


def action_text(action: ActionItem, *, locale: str | None, tz: str) -> str:
    """The item as one mrkdwn text: id, title, owner, due date token, priority, status."""
    # Leave room for the line of details under the title.
    title = fit_escaped(action.title, MAX_SECTION_TEXT - 600)
    return render(locale, "action_item", action=action, title=title, tz=tz, labels=labels(locale))


def action_buttons(action: ActionItem, *, locale: str | None = None) -> ActionsBlock:
    """Done, Update progress, Postpone (a new due date), Mute reminders (until a date, the due date
    kept) and Reassign for one item (SPEC §5)."""
    words = labels(locale)
    ref = dump(ActionRef(action_id=action.id))  # type: ignore[arg-type]
    return ActionsBlock(
        block_id=f"action_{action.id}",
        elements=[
            ButtonElement(
                action_id=ids.BTN_ACTION_DONE, text=plain(words["done"]), value=ref, style="primary"
            ),
            ButtonElement(action_id=ids.BTN_ACTION_PROGRESS, text=plain(words["progress"]), value=ref),
            ButtonElement(action_id=ids.BTN_ACTION_POSTPONE, text=plain(words["postpone"]), value=ref),
            ButtonElement(action_id=ids.BTN_ACTION_MUTE, text=plain(words["mute"]), value=ref),
            ButtonElement(action_id=ids.BTN_ACTION_REASSIGN, text=plain(words["reassign"]), value=ref),
        ],
    )


def snooze_select(action: ActionItem, *, locale: str | None = None) -> StaticSelectElement:
    """The former Snooze select (1 business day / 1 week). Messages posted before Mute reminders
    still carry it, and it is still answered; it is no longer sent."""
    words = labels(locale)
    return StaticSelectElement(
        action_id=ids.BTN_ACTION_SNOOZE,
        placeholder=plain(words["snooze"]),
        options=[
            Option(
                value=dump(SnoozeRef(action_id=action.id, choice=choice), limit=MAX_OPTION_VALUE),
                text=plain(words["snooze_" + choice], MAX_OPTION_TEXT),
            )  # type: ignore[arg-type]
            for choice in SNOOZE_CHOICES
        ],
    )


def due_note_blocks(
    action: ActionItem, *, locale: str | None, tz: str, holiday: bool, previous: date | None
) -> list[Block]:
    """Under a confirmation whose due date is not a business day: the note, and a button that moves
    the due date to ``previous`` (the business day before; None: no button, it would be past)."""
    words = labels(locale)
    text = render(locale, "action_due_note", due=action.due, tz=tz, holiday=holiday, previous=previous)
    blocks: list[Block] = [mrkdwn_section(text, block_id=f"due_note_{action.id}")]
    if previous is not None:
        value = dump(RedateRef(action_id=action.id, due=action.due.isoformat()))  # type: ignore[arg-type]
        day = previous.strftime("%d/%m") if normalize_locale(locale) == "fr" else previous.strftime("%b %d")
        label = words["previous_business_day"].format(day=day)
        blocks.append(
            ActionsBlock(
                block_id=f"due_fix_{action.id}",
                elements=[
                    ButtonElement(
                        action_id=ids.BTN_ACTION_PREVIOUS_BUSINESS_DAY, text=plain(label, 75), value=value
                    )
                ],
            )
        )
    return blocks


def action_block(action: ActionItem, *, locale: str | None, tz: str) -> list[Block]:
    """The item's section, followed by its buttons while it is open (two blocks, or one when closed)."""
    blocks: list[Block] = [
        mrkdwn_section(action_text(action, locale=locale, tz=tz), block_id=f"item_{action.id}")
    ]
    if action.status not in CLOSED:
        blocks.append(action_buttons(action, locale=locale))
    return blocks


def action_list(
    actions: Sequence[ActionItem],
    *,
    locale: str | None,
    tz: str,
    heading: str,
    total: int | None = None,
    limit: int = LIST_LIMIT,
) -> list[Block]:
    """An ephemeral list: a heading, one section per item (at most ``limit``), then "and N more".

    ``total`` is how many items there are in all (default: ``len(actions)``).
    """
    total = len(actions) if total is None else total
    blocks: list[Block] = [mrkdwn_section(heading)]
    shown = actions[: min(limit, MAX_MESSAGE_BLOCKS - 2)]
    blocks.extend(
        mrkdwn_section(action_text(a, locale=locale, tz=tz), block_id=f"item_{a.id}") for a in shown
    )
    if total > len(shown):
        blocks.append(context(render(locale, "action_more", count=total - len(shown))))
    return blocks


# -- modals ---------------------------------------------------------------------------------


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


def pick_committee_blocks(
    committees: Sequence[Committee], *, locale: str | None, text: str, channel: str | None
) -> list[Block]:
    """ "This channel has no committee": a static select of committees; picking one opens the modal."""
    words = labels(locale)
    select = StaticSelectElement(
        action_id=ids.BTN_PICK_COMMITTEE,
        placeholder=plain(words["pick_placeholder"]),
        options=[
            Option(
                value=dump(PickCommittee(committee_id=c.id), limit=MAX_OPTION_VALUE),
                text=plain(c.name, MAX_OPTION_TEXT),
            )  # type: ignore[arg-type]
            for c in committees[:MAX_SELECT_OPTIONS]
        ],
    )
    return [
        mrkdwn_section(render(locale, "action_pick_committee", count=len(committees))),
        ActionsBlock(block_id=dump_pending(text, channel), elements=[select]),
    ]


# -- App Home -------------------------------------------------------------------------------


def home_view(
    *,
    locale: str | None,
    tz: str,
    actions: Sequence[ActionItem],
    total: int | None = None,
    minutes_owed: Sequence[str],
    decks_owed: Sequence[str],
    meetings: Sequence[str],
) -> View:
    """The App Home: my open actions with their buttons, minutes and decks I owe, my next meetings.

    ``total`` counts all the user's open items (default: ``len(actions)``); the other sections are
    lists of already-rendered mrkdwn lines. Stays within 100 blocks.
    """
    words = labels(locale)
    total = len(actions) if total is None else total
    blocks: list[Block] = [
        HeaderBlock(text=plain(render(locale, "home_actions_heading", count=total), MAX_HEADER_TEXT)),
        ActionsBlock(
            block_id="home_new",
            elements=[
                ButtonElement(
                    action_id=ids.BTN_ACTION_NEW, text=plain(words["new"]), value=dump(ActionModal())
                )
            ],
        ),
    ]
    if not actions:
        blocks.append(context(render(locale, "home_no_actions")))
    shown = actions[:HOME_ACTIONS_LIMIT]
    for action in shown:
        blocks.extend(action_block(action, locale=locale, tz=tz))
    if total > len(shown):
        blocks.append(context(render(locale, "action_more", count=total - len(shown))))
    for name, lines in (("minutes", minutes_owed), ("decks", decks_owed), ("meetings", meetings)):
        blocks.append(DividerBlock())
        blocks.append(mrkdwn_section(render(locale, "home_section", section=name, lines=list(lines))))
    return View(type="home", blocks=blocks[:MAX_HOME_BLOCKS])


# -- reading what a modal's user entered ----------------------------------------------------


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
