"""Nothing user-controlled reaches the log as it came, and no request body reaches it at all (SPEC §9).

- ``EscapedLogRecord``: every log message has its control characters escaped (a newline in a title
  or an id becomes ``\\n``), so no input can forge a log line or hide one, and is cut at
  ``MAX_MESSAGE`` characters, so no input can flood the log. Installed process-wide by
  ``install_log_escaping`` (the HTTP server and Socket Mode both call it through ``create_app``).
- Bolt logs the request body in two places: a failed signature check (at INFO) and a request no
  listener handles (at WARNING). The first cannot happen any more behind ``bot.run.verification`` and its
  logger is raised to WARNING anyway; ``BodylessApp`` replaces the second with one line that names
  the kind of request.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse

# A log message longer than this is cut (a 400 KB title must not become a 400 KB log line).
MAX_MESSAGE = 2000
# C0 and C1 controls, DEL, and the invisible format characters that reorder or hide text.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")

log = logging.getLogger(__name__)


def escape_controls(text: str) -> str:
    """``text`` with each control character written as a Python escape (``\\n``, ``\\x1b``, ``\\u202e``)."""
    return _CONTROLS.sub(lambda match: repr(match.group())[1:-1], text)


class EscapedLogRecord(logging.LogRecord):
    """A log record whose message never holds a raw control character, nor more than MAX_MESSAGE."""

    def getMessage(self) -> str:
        message = super().getMessage()
        if len(message) > MAX_MESSAGE:
            message = f"{message[:MAX_MESSAGE]}… ({len(message) - MAX_MESSAGE} more characters)"
        return escape_controls(message)


def install_log_escaping() -> None:
    """Make every log record of this process an ``EscapedLogRecord`` (idempotent)."""
    if logging.getLogRecordFactory() is not EscapedLogRecord:
        logging.setLogRecordFactory(EscapedLogRecord)
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)


class BodylessApp(App):
    """Bolt's App, minus the log of a request's body when no listener handles it."""

    def _handle_unmatched_requests(self, req: BoltRequest, resp: BoltResponse) -> BoltResponse:
        log.warning("no listener for this request (%s)", _kind(req.body))
        return resp


def _kind(body: dict[str, Any]) -> str:
    if body.get("command"):
        return f"command {str(body['command'])[:40]}"
    kind = str(body.get("type") or "unknown")[:40]
    if kind == "event_callback" and isinstance(body.get("event"), dict):
        return f"event {str(body['event'].get('type'))[:40]}"
    return kind
