"""What every notice builder needs: the notification's row, the state it re-reads at send time, and
the reader's locale and zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.meetings import state
from bot.meetings.state import Agenda, MinutesState
from bot.notices.health import workspace_settings
from bot.notices.message import Block, OutgoingMessage
from bot.slack import blocks as bk
from bot.text.render import LOCALES, normalize_locale, slack_date, slack_day, slack_escape
from storage.models import (
    ActionItem,
    Committee,
    Meeting,
    Notification,
    SlackUser,
)


def _live_committee(session: Session, notification: Notification, now: datetime) -> Committee | None:
    """The notification's committee, unless the notification expired or the committee is gone or
    inactive (a delivery failure is still reported to the chair of an inactive committee)."""
    if notification.expires_at is not None and now >= notification.expires_at:
        return None
    committee = session.get(Committee, notification.committee_id) if notification.committee_id else None
    if committee is None or (not committee.active and notification.kind != "delivery_failed"):
        return None
    return committee


class Context:
    """The notification, its subject rows, the reader's locale and the date helpers."""

    def __init__(
        self,
        session: Session,
        notification: Notification,
        now: datetime,
        committee: Committee,
        meeting: Meeting | None,
        action: ActionItem | None,
    ) -> None:
        self.session = session
        self.notification = notification
        self.now = now
        self.committee = committee
        self.meeting = meeting
        self.action = action
        self.data: dict[str, Any] = dict(notification.data or {})
        self.tz = committee.timezone
        self.locale = reader_locale(session, notification.recipient, committee)
        self._agenda: Agenda | None = None

    # Wording
    def parts(self, name: str, **values: Any) -> dict[str, str]:
        return bk.parts(self.locale, name, name=self.committee.name, channel=self.committee.channel, **values)

    def label(self, name: str, **values: Any) -> str:
        return bk.label(self.locale, name, **values)

    # Dates
    def when(self, moment: datetime) -> str:
        return slack_date(moment, fallback_tz=self.tz)

    def day(self, day: date, tz: str | None = None) -> str:
        return slack_day(day, tz or self.tz)

    def local(self, moment: datetime) -> str:
        """The committee's own wall-clock time, with its zone (confirmations name it, SPEC §7)."""
        stamp = moment.astimezone(ZoneInfo(self.tz)).strftime("%Y-%m-%d %H:%M")
        return self.label("local_time", moment=stamp, tz=self.tz)

    def span(self, delta: timedelta) -> str:
        return bk.span(self.locale, delta)

    def agenda(self) -> Agenda:
        """The meeting's agenda as it stands (``bot.meetings.state.agenda``), deck due time included."""
        if self._agenda is None:
            assert self.meeting is not None and self.meeting.id is not None
            self._agenda = state.agenda(self.session, meeting_id=self.meeting.id, now=self.now)
        return self._agenda

    def minutes(self) -> MinutesState:
        """Where the meeting's minutes stand, who holds them and when they are due."""
        assert self.meeting is not None
        return state.minutes_state(self.committee, workspace_settings(self.session), self.meeting, self.now)

    def message(
        self, text: str, blocks: list[Block], also: list[tuple[str, OutgoingMessage]] | None = None
    ) -> OutgoingMessage:
        return OutgoingMessage(
            text=bk.fallback(text), blocks=bk.finish(blocks, locale=self.locale), also=also or []
        )


def is_user(recipient: str) -> bool:
    """Slack user ids start with U or W; channels with C, G or D."""
    return recipient[:1] in ("U", "W")


def reader_locale(session: Session, recipient: str, committee: Committee) -> str:
    """The committee's locale in its channel; in a DM, the reader's Slack locale when we speak it."""
    if is_user(recipient):
        user = session.get(SlackUser, recipient)
        short = (user.locale or "").replace("_", "-").split("-")[0].lower() if user else ""
        if short in LOCALES:
            return short
    return normalize_locale(committee.locale)


def user_tz(session: Session, user_id: str, default: str) -> str:
    user = session.get(SlackUser, user_id)
    return user.tz if user is not None and user.tz else default


def link(url: str | None, label: str) -> str | None:
    """A Slack link to ``url`` (http/https only); any other text is shown as escaped text."""
    if not url:
        return None
    url = url.strip()
    if url.lower().startswith(("http://", "https://")):
        return f"<{slack_escape(url).replace('|', '%7C')}|{slack_escape(label)}>"
    return slack_escape(url)


def meeting_button(ctx: Context, label_name: str, action_id: str, style: str | None = None) -> Block:
    assert ctx.meeting is not None and ctx.meeting.id is not None
    return bk.button(
        ctx.label(label_name), action_id=action_id, value=bk.meeting_value(ctx.meeting.id), style=style
    )


def action_line(
    locale: str, *, public_id: str, title: str, owner: str, due: date, overdue: bool, progress: int, tz: str
) -> str:
    return bk.label(
        locale,
        "action_line",
        public_id=public_id,
        title=title,
        owner=owner,
        due=slack_day(due, tz),
        overdue=overdue,
        progress=progress,
    )
