"""Block Kit objects (slack_sdk) that every modal, message and App Home view is made of."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.slack.limits import MAX_PLAIN_TEXT_LABEL, MAX_SECTION_TEXT


def plain(text: str, limit: int = MAX_PLAIN_TEXT_LABEL) -> PlainTextObject:
    return PlainTextObject(text=text if len(text) <= limit else text[: limit - 1] + "…", emoji=True)


def mrkdwn_section(text: str, *, block_id: str | None = None) -> SectionBlock:
    """A section of already-rendered mrkdwn, cut to Slack's 3,000 characters."""
    if len(text) > MAX_SECTION_TEXT:
        text = text[: MAX_SECTION_TEXT - 1] + "…"
    return SectionBlock(text=MarkdownTextObject(text=text), block_id=block_id)


def context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text[:MAX_SECTION_TEXT])])


def message_blocks(text: str) -> list[dict[str, Any]]:
    """One rendered mrkdwn text as a message's blocks (dicts, ready for the Web API)."""
    return [mrkdwn_section(text).to_dict()]


def as_dicts(blocks: Sequence[Block]) -> list[dict[str, Any]]:
    return [block.to_dict() for block in blocks]
