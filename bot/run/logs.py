"""Logging of the long-running processes (``serve``, ``scheduler``): text or JSON lines.

``LOG_FORMAT=json`` writes one JSON object a line (``ts``, ``level``, ``logger``, ``message``, and
whatever the call passed in ``extra``: a delivery line carries ``notification`` (its key), ``kind``,
``committee``, ``to`` and ``outcome``), what log collectors index without parsing. ``text`` (the
default) writes the usual human line, with the same extra fields appended as ``key=value``.

Two libraries' routine chatter is silenced here: APScheduler's "Running job" / "executed
successfully" pair every 30 seconds, and Bolt's "`token` will be unused" at every start (the app is
given a client that carries the token, as it should; Bolt warns because SLACK_BOT_TOKEN is set too).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any

from bot.run.startup import StartupError

# The attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
# Loggers that say the same thing at every tick: warnings and errors only.
QUIET_LOGGERS = ("apscheduler.executors", "apscheduler.scheduler", "alembic")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a log call passed with ``extra=`` (notification key, committee, ...)."""
    return {
        key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object a line; exceptions in ``exc_info`` as one string field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(extra_fields(record))
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """The usual line, then the ``extra`` fields as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = extra_fields(record)
        if fields:
            first, _, rest = line.partition("\n")
            line = first + " " + " ".join(f"{key}={value}" for key, value in fields.items())
            line += ("\n" + rest) if rest else ""
        return line


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes (a test runner swaps it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


class _DropBoltTokenWarning(logging.Filter):
    """Bolt's "As you gave `client` as well, `token` will be unused." (harmless, at every start)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def configure(
    *, debug: bool = False, fmt: str | None = None, stream: Any = None, level: int = logging.INFO
) -> None:
    """Set up the root logger (``LOG_FORMAT``: ``text`` or ``json``) at ``level`` (DEBUG with ``debug``)."""
    chosen = (fmt or os.environ.get("LOG_FORMAT") or "text").strip().lower()
    problem = check_format(chosen)
    if problem is not None:
        raise StartupError(problem)
    handler: logging.Handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JsonFormatter() if chosen == "json" else TextFormatter())
    handler._committee_bot = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_committee_bot", False):  # ours, from an earlier call; others' stay
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    quiet_bolt_token_warning()


def quiet_bolt_token_warning() -> None:
    """Install the filter that drops Bolt's "`token` will be unused" start-up warning (idempotent)."""
    bolt = logging.getLogger("slack_bolt.App")
    if not any(isinstance(f, _DropBoltTokenWarning) for f in bolt.filters):
        bolt.addFilter(_DropBoltTokenWarning())


def check_format(value: str | None) -> str | None:
    """None when ``LOG_FORMAT`` is usable, else what to write instead."""
    if value in (None, "", "text", "json"):
        return None
    return f'LOG_FORMAT="{value}" is not a log format: write LOG_FORMAT=text (the default) or LOG_FORMAT=json'
