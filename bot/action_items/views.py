"""Block Kit for action items: the item itself with its buttons, the list, the modals, the App Home.

Builders take plain values (an ActionItem, a locale, a time zone) and return ``slack_sdk`` block and
view objects; the wording lives in templates/<locale>/action_*.j2 and home_*.j2. Everything a user
typed goes through the ``e`` filter, and every builder keeps within Slack's limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache

import yaml
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    Option,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.slack import ids
from bot.slack.limits import (
    MAX_HEADER_TEXT,
    MAX_HOME_BLOCKS,
    MAX_MESSAGE_BLOCKS,
    MAX_OPTION_TEXT,
    MAX_OPTION_VALUE,
    MAX_SECTION_TEXT,
    MAX_SELECT_OPTIONS,
    fit_escaped,
)
from bot.slack.payloads import (
    ActionModal,
    ActionRef,
    PickCommittee,
    RedateRef,
    SnoozeRef,
    dump,
    dump_pending,
)
from bot.slack.view_kit import context, mrkdwn_section, plain
from bot.text.render import normalize_locale, render
from storage.models import ActionItem, ActionStatus, Committee, id_of

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
                value=dump(SnoozeRef(action_id=id_of(action), choice=choice), limit=MAX_OPTION_VALUE),
                text=plain(words["snooze_" + choice], MAX_OPTION_TEXT),
            )
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
                value=dump(PickCommittee(committee_id=id_of(c)), limit=MAX_OPTION_VALUE),
                text=plain(c.name, MAX_OPTION_TEXT),
            )
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
