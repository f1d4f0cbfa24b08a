"""Block Kit helpers shared by every message builder, within Slack's limits.

Slack refuses a message whose section text exceeds 3,000 characters, whose header exceeds 150, whose
button label exceeds 75, or which holds more than 50 blocks. The helpers here never produce such a
message: long lists are cut at a line boundary and end with "and N more" / "et N de plus", long single
strings end with "…", and ``finish`` caps the block count.

Blocks are built with ``slack_sdk.models.blocks`` (which validates them) and returned as dicts, the
form ``chat.postMessage`` takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any

from jinja2 import Template
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack import ids
from bot.slack.limits import (
    ELLIPSIS,
    MAX_ACTION_ELEMENTS,
    MAX_BUTTON_TEXT,
    MAX_CONTEXT_TEXT,
    MAX_FALLBACK_TEXT,
    MAX_HEADER_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    clip,
)
from bot.slack.payloads import ActionRef, MeetingRef, dump
from bot.text.render import environment, normalize_locale
from storage.models import ActionItem

Block = dict[str, Any]


def more(locale: str | None, count: int) -> str:
    """ "and 3 more" / "et 3 de plus"."""
    return label(locale, "more", n=count)


def span(locale: str | None, delta: timedelta) -> str:
    """A duration read at a glance: "2 days 3 h", "5 h 20 min", "45 min" (never negative)."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    return label(locale, "span", days=days, hours=rest // 60, minutes=0 if days else rest % 60)


def fit_lines(
    lines: Sequence[str],
    *,
    locale: str | None,
    limit: int = MAX_SECTION_TEXT,
    max_items: int | None = None,
    head: str = "",
) -> str:
    """``head`` then ``lines``, one a line, within ``limit`` characters and ``max_items`` lines.

    What does not fit is replaced by a last line "_and N more_", so the reader knows the list goes on.
    A single line too long on its own is clipped.
    """
    lines = [clip(line, limit // 2) for line in lines]
    shown: list[str] = []
    used = len(head) + (1 if head else 0)
    for index, line in enumerate(lines):
        left = len(lines) - index - 1
        # Room for this line, plus the "and N more" line should anything be left after it.
        reserve = len(more(locale, left)) + 3 if left else 0
        too_many = max_items is not None and len(shown) >= max_items
        if too_many or used + len(line) + 1 + reserve > limit:
            shown.append(f"_{more(locale, len(lines) - index)}_")
            break
        shown.append(line)
        used += len(line) + 1
    body = "\n".join(shown)
    text = f"{head}\n{body}" if head and body else head or body
    return clip(text, limit)


def split_text(text: str, *, limit: int = MAX_SECTION_TEXT, max_chunks: int = 5) -> list[str]:
    """Long text (minutes) as up to ``max_chunks`` pieces of at most ``limit`` characters, cut
    between lines where possible; text beyond the last piece is replaced by "…"."""
    chunks: list[str] = []
    current = ""
    for whole_line in text.split("\n"):
        line = whole_line
        while len(line) > limit:  # one line longer than a whole section
            if current:
                chunks.append(current)
                current = ""
            piece = clip(line, limit)[: -len(ELLIPSIS)] or line[: limit - len(ELLIPSIS)]
            chunks.append(piece + ELLIPSIS)
            line = line[len(piece) :].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current or not chunks:
        chunks.append(current)
    if len(chunks) > max_chunks:
        chunks = chunks[:max_chunks]
        chunks[-1] = clip(chunks[-1] + "\n" + ELLIPSIS * 2, limit)
    return chunks


def section(text: str, *, accessory: Block | None = None) -> Block:
    """A mrkdwn section, clipped to 3,000 characters, with an optional accessory (a button…)."""
    result = SectionBlock(text=MarkdownTextObject(text=clip(text, MAX_SECTION_TEXT) or " ")).to_dict()
    if accessory is not None:
        result["accessory"] = accessory
    return result


def header(text: str) -> Block:
    """A header (plain text, 150 characters at most)."""
    return HeaderBlock(text=PlainTextObject(text=clip(text, MAX_HEADER_TEXT) or " ")).to_dict()


def context(text: str) -> Block:
    """A context line (small grey mrkdwn)."""
    return ContextBlock(elements=[MarkdownTextObject(text=clip(text, MAX_CONTEXT_TEXT) or " ")]).to_dict()


def divider() -> Block:
    return DividerBlock().to_dict()


def button(
    text: str, *, action_id: str, value: str | None = None, style: str | None = None, url: str | None = None
) -> Block:
    """A button; ``style`` is "primary", "danger" or None."""
    element = ButtonElement(
        text=clip(text, MAX_BUTTON_TEXT), action_id=action_id, value=value, style=style, url=url
    )
    return element.to_dict()


def actions(*elements: Block, block_id: str | None = None) -> Block:
    """An actions block holding ``elements`` (25 at most; extra ones are dropped)."""
    return ActionsBlock(elements=list(elements[:MAX_ACTION_ELEMENTS]), block_id=block_id).to_dict()


def finish(blocks: list[Block], *, locale: str | None) -> list[Block]:
    """``blocks`` capped at Slack's 50: the last kept block says how many were left out."""
    if len(blocks) <= MAX_MESSAGE_BLOCKS:
        return blocks
    kept = blocks[: MAX_MESSAGE_BLOCKS - 1]
    return [*kept, context(f"_{more(locale, len(blocks) - len(kept))}_")]


def meeting_value(meeting_id: int) -> str:
    """The ``value`` of a button on a meeting (Add a topic, Mark deck shared, Submit minutes…)."""
    return dump(MeetingRef(meeting_id=meeting_id))


def reassign_button(action: ActionItem, *, locale: str | None) -> Block:
    """The Reassign button alone (the chair's notice about an owner who cannot be reached)."""
    assert action.id is not None
    value = dump(ActionRef(action_id=action.id))
    return button(label(locale, "btn_reassign"), action_id=ids.BTN_ACTION_REASSIGN, value=value)


def fallback(text: str) -> str:
    """The notification text of a message: one short line, no longer than Slack shows."""
    return clip(" ".join(text.split()), MAX_FALLBACK_TEXT)


# -- Wording -------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _template(path: str) -> Template:
    return environment().get_template(path)


def parts(locale: str | None, template: str, /, **context_vars: object) -> dict[str, str]:
    """Every ``{% block %}`` of ``templates/<locale>/<name>.j2``, rendered and stripped.

    A message template names its pieces (``text``, ``title``, ``body``…) as Jinja blocks, so one
    file holds all the wording of one message.
    """
    compiled = _template(f"{normalize_locale(locale)}/{template}.j2")
    ctx = compiled.new_context(context_vars, shared=True)
    return {block: "".join(render(ctx)).strip() for block, render in compiled.blocks.items()}


def piece(locale: str | None, template: str, block: str, /, **context_vars: object) -> str:
    """One ``{% block %}`` of ``templates/<locale>/<template>.j2``, rendered and stripped."""
    compiled, render = _block(locale, template, block)
    # shared=True: the values are the whole context (no Jinja globals, which these templates never
    # use), which halves the cost of rendering the thousands of lines of a Monday's digests.
    return "".join(render(compiled.new_context(context_vars, shared=True))).strip()


@lru_cache(maxsize=1024)
def _block(locale: str | None, template: str, block: str) -> tuple[Template, Any]:
    compiled = _template(f"{normalize_locale(locale)}/{template}.j2")
    return compiled, compiled.blocks[block]


def has_piece(locale: str | None, template: str, block: str) -> bool:
    return block in _template(f"{normalize_locale(locale)}/{template}.j2").blocks


def label(locale: str | None, block: str, /, **context_vars: object) -> str:
    """One short piece of shared wording from ``notice_labels.j2`` (button labels, "and N more"…)."""
    return piece(locale, "notice_labels", block, **context_vars)
