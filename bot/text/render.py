"""Message wording: Jinja2 templates under templates/<locale>/, Slack escaping and date tokens."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

# The repository's templates/ (a checkout, an editable install), else the copy a wheel installs as
# bot/templates (see pyproject.toml).
_BOT_DIR = Path(__file__).resolve().parent.parent  # bot/ (this file is bot/text/render.py)
_REPO_TEMPLATES = _BOT_DIR.parent / "templates"
TEMPLATES_DIR = _REPO_TEMPLATES if _REPO_TEMPLATES.is_dir() else _BOT_DIR / "templates"
LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"


# A user mention kept in user text ("/action add @marie Call @paul …" keeps <@U0PAUL> in the title).
_ESCAPED_MENTION_RE = re.compile(r"&lt;@([UW][A-Z0-9]+)&gt;")


def slack_escape(text: object) -> str:
    """Escape user text for Slack mrkdwn: ``&``, ``<`` and ``>`` (what Slack itself requires).

    A plain user mention ``<@U123>`` stays a mention, so that it shows as a name, not as code;
    nothing else (no ``<!channel>``, no link) gets through."""
    escaped = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _ESCAPED_MENTION_RE.sub(r"<@\1>", escaped)


def slack_link(url: object, label: object) -> str:
    """``<url|label>`` with both parts escaped, so a link can never close early and smuggle in a
    mention (``https://x/deck><!channel>``); a value that is not an http(s) address shows as text."""
    address = str(url or "").strip()
    if not address.lower().startswith(("http://", "https://")):
        return slack_escape(address)
    return f"<{slack_escape(address).replace('|', '%7C')}|{slack_escape(label)}>"


def slack_date(moment: datetime, fmt: str = "{date_short_pretty} {time}", fallback_tz: str = "UTC") -> str:
    """A Slack date token, shown in each reader's own zone, with a fallback in ``fallback_tz``."""
    epoch = int(moment.timestamp())
    local = moment.astimezone(ZoneInfo(fallback_tz))
    fallback = local.strftime("%Y-%m-%d %H:%M") + f" {fallback_tz}"
    return f"<!date^{epoch}^{fmt}|{fallback}>"


def slack_day(day: date, tz: str = "UTC") -> str:
    """A Slack date token for a calendar day (a due date), anchored at noon in ``tz``."""
    moment = datetime.combine(day, time(12, 0), ZoneInfo(tz))
    epoch = int(moment.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}}|{day.isoformat()}>"


def user(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "—"


def channel(channel_id: str | None) -> str:
    return f"<#{channel_id}>" if channel_id else "—"


def normalize_locale(locale: str | None) -> str:
    """``fr-FR``, ``en_US``… -> ``fr``/``en``; anything else -> the default locale."""
    short = (locale or "").replace("_", "-").split("-")[0].lower()
    return short if short in LOCALES else DEFAULT_LOCALE


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["e"] = slack_escape
    env.filters["slack_date"] = slack_date
    env.filters["slack_link"] = slack_link
    env.filters["slack_day"] = slack_day
    env.filters["user"] = user
    env.filters["channel"] = channel
    return env


def render(locale: str | None, name: str, **context: object) -> str:
    """Render ``templates/<locale>/<name>.j2``; user text must go through ``| e`` in the template."""
    template = environment().get_template(f"{normalize_locale(locale)}/{name}.j2")
    return template.render(**context).strip()
