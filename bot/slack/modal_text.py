"""Error texts shown under a modal's inputs, which Slack shows as plain text (no mrkdwn): what would
be markup in a message is turned into what a reader expects to see.

``<@U123|marie>`` and ``<@U123>`` become ``@marie`` (the name asked of Slack by the caller),
``<#C1|prod>`` ``#prod``, a date token its fallback, a link "label (address)", ``&lt;`` ``<``, and the
backticks around an example are dropped.
"""

from __future__ import annotations

import re

from bot.core.parsing import plain_text

USER_TOKEN_RE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
DATE_TOKEN_RE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
BROADCAST_TOKEN_RE = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")


def mentioned_users(text: str) -> list[str]:
    """The user ids ``text`` mentions without a name (``<@U123>``), each once, in order."""
    return list(dict.fromkeys(m.group(1) for m in USER_TOKEN_RE.finditer(text) if not m.group(2)))


def as_plain(text: str, names: dict[str, str] | None = None) -> str:
    """``text`` (Slack mrkdwn) as plain text; ``names`` maps user ids to the names to show."""
    names = names or {}
    text = USER_TOKEN_RE.sub(lambda m: "@" + (m.group(2) or names.get(m.group(1)) or m.group(1)), text)
    text = DATE_TOKEN_RE.sub(lambda m: m.group(1), text)
    text = BROADCAST_TOKEN_RE.sub(lambda m: "@" + m.group(1), text)
    return plain_text(text).replace("`", "")
