"""Slack's limits, in one table, and the two ways of cutting text to fit them.

Numbers from the Block Kit reference (blocks, composition objects, views) and the chat.postMessage
and views.* method pages. Every builder cuts to these; nothing else in the code spells a limit.
"""

from __future__ import annotations

from bot.text.render import slack_escape

# Blocks
MAX_MESSAGE_BLOCKS = 50  # blocks of one message
MAX_MODAL_BLOCKS = 100  # blocks of one modal
MAX_HOME_BLOCKS = 100  # blocks of an App Home view
MAX_ACTION_ELEMENTS = 25  # elements of one actions block
MAX_SELECT_OPTIONS = 100  # options of one static select

# Text, in characters
MAX_SECTION_TEXT = 3000  # a section's text
MAX_CONTEXT_TEXT = 3000  # one context element
MAX_HEADER_TEXT = 150  # a header block (plain text)
MAX_BUTTON_TEXT = 75  # a button label
MAX_OPTION_TEXT = 75  # a select option's label
MAX_PLAIN_TEXT_LABEL = 2000  # an input block's label
MAX_MODAL_TITLE = 24  # a modal's title
# The fallback text of a notification: Slack accepts more, but nobody reads more in a toast.
MAX_FALLBACK_TEXT = 3000

# Strings that carry a payload (bot.slack.payloads)
MAX_BUTTON_VALUE = 2000
MAX_OPTION_VALUE = 150
MAX_BLOCK_ID = 255
MAX_PRIVATE_METADATA = 3000

ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """Mrkdwn ``text`` cut to ``limit`` characters, ending with "…" when it was cut.

    Never cuts inside a Slack token (``<@U1>``, ``<!date^…>``, ``&amp;``): the cut moves back
    before the unfinished token, so that what is shown stays valid mrkdwn.
    """
    if len(text) <= limit:
        return text
    cut = text[: max(limit - len(ELLIPSIS), 0)]
    opening, closing = cut.rfind("<"), cut.rfind(">")
    if opening > closing:
        cut = cut[:opening]
    ampersand = cut.rfind("&")
    if ampersand != -1 and ";" not in cut[ampersand:]:
        cut = cut[:ampersand]
    return cut.rstrip() + ELLIPSIS


def fit_escaped(text: str, limit: int) -> str:
    """Raw user ``text`` cut (with "…") so that its Slack-escaped form holds in ``limit`` characters.

    For text a template escapes afterwards (an action's title); ``clip`` is for mrkdwn already made.
    """
    if len(slack_escape(text)) <= limit:
        return text
    out: list[str] = []
    size = len(ELLIPSIS)
    for char in text:
        size += len(slack_escape(char))
        if size > limit:
            break
        out.append(char)
    return "".join(out) + ELLIPSIS
