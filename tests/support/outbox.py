"""Helpers of the outbox tests (delivery/): a declared quarter, a stand-in for the notice builders,
rows and posts read back."""

from __future__ import annotations

import collections
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.config.transfer import import_config
from bot.config.validation import parse_config
from bot.delivery import tick as dispatch
from bot.notices import registry as notices
from bot.notices.message import OutgoingMessage
from bot.planning import outbox
from bot.planning.window import plan_window
from storage.db import session_scope
from storage.models import OPEN_ACTION_STATUSES, ActionItem, Committee, Meeting, Notification
from tests.support.fakeslack import FakeSlack

CONFIG_NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


QUARTER_START = datetime(2027, 1, 1, tzinfo=UTC)


QUARTER_END = datetime(2027, 4, 1, tzinfo=UTC)


# The SPEC §8 example (weekly), a monthly and a semiannual committee.
COMMITTEES = """\
timezone: Europe/Paris
locale: fr
holidays: FR
committees:
  - key: production
    name: Comité de production
    kind: production
    channel: C0PROD
    cadence: weekly
    first: 2027-01-05T10:00
    duration: 60
    chair: U0CHAIR
    secretary: U0SEC
    deck_owner: U0DECK
    members: [U0A, U0B]
    holiday_policy: next_business_day
  - key: qualite
    name: Comité qualité
    kind: qualite
    channel: C0QUAL
    cadence: monthly
    first: 2027-01-14T14:00
    chair: U0QCHAIR
    secretary: U0QSEC
    deck_owner: U0QDECK
  - key: strategique
    name: Comité stratégique
    kind: strategique
    channel: C0STRAT
    cadence: semiannual
    first: 2027-02-18T14:00
    duration: 180
    chair: U0SCHAIR
    secretary: U0SSEC
    deck_owner: U0SDECK
"""


ONE_COMMITTEE = COMMITTEES.split("  - key: qualite", maxsplit=1)[0]


def fallback_build(session, notification: Notification, *, now: datetime) -> OutgoingMessage | None:
    """A message naming the kind and key; None when the subject says it is no longer needed."""
    if notification.expires_at is not None and now >= notification.expires_at:
        return None
    meeting = session.get(Meeting, notification.meeting_id) if notification.meeting_id else None
    action = session.get(ActionItem, notification.action_id) if notification.action_id else None
    if meeting is not None and meeting.status == "cancelled":
        return None
    if (
        notification.kind in ("minutes_reminder", "minutes_overdue")
        and meeting
        and meeting.minutes_submitted_at
    ):
        return None
    if notification.kind == "deck_reminder" and meeting and meeting.deck_shared_at:
        return None
    if action is not None and action.status not in OPEN_ACTION_STATUSES:
        return None
    state = f" deck={meeting.deck_link}" if meeting and meeting.deck_link else ""
    state += f" status={action.status}" if action else ""
    text = f"{notification.kind} {notification.key}{state}"
    also = []
    if (
        notification.kind == "agenda_published"
        and meeting
        and not meeting.deck_shared_at
        and notification.data.get("also")
    ):
        also.append(("U0CHAIR", OutgoingMessage(text=f"deck missing {notification.key}")))
    return OutgoingMessage(
        text=text, blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}], also=also
    )


REAL_BUILD = notices.build


def use_fallback_notices() -> None:
    """For subprocesses (``python -c``): the same stand-in as the tests' fixture."""
    notices.build = fallback_build  # type: ignore[assignment]


def declare(engine, text: str = COMMITTEES) -> None:
    with session_scope(engine) as session:
        import_config(session, parse_config(text), now=CONFIG_NOW)


def add_action(
    engine, *, owner: str = "U0A", due: date, committee: str = "production", title: str = "Relancer"
) -> int:
    with session_scope(engine) as session:
        committee_id = session.exec(select(Committee.id).where(Committee.key == committee)).one()
        action = ActionItem(
            title=title,
            owner=owner,
            creator="U0CHAIR",
            committee_id=committee_id,
            due=due,
            created_at=CONFIG_NOW,
            updated_at=CONFIG_NOW,
        )
        session.add(action)
        session.flush()
        return action.id  # type: ignore[return-value]


def posted_kinds(engine, fake: FakeSlack, channel: str) -> list[str]:
    """The kinds of the messages in ``channel`` (a DM: the user id), oldest first, from their keys."""
    kinds = {r.key: r.kind for r in rows(engine)}
    return [kinds[m.metadata["event_payload"]["key"]] for m in fake.messages(channel) if m.metadata]


def posted_keys(fake: FakeSlack) -> collections.Counter[str]:
    return collections.Counter(m.metadata["event_payload"]["key"] for m in fake.messages() if m.metadata)


def rows(engine, **where: Any) -> list[Notification]:
    with session_scope(engine) as session:
        query = select(Notification).order_by(Notification.due_at, Notification.key)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        return list(session.exec(query).all())


def row(engine, key: str) -> Notification:
    [found] = rows(engine, key=key)
    return found


def tick(engine, client, now: datetime, **kwargs: Any) -> dispatch.TickSummary:
    return dispatch.tick(
        engine, client, now=now, worker=kwargs.pop("worker", "test"), sleep=lambda _s: None, **kwargs
    )


def planned_in(engine, start: datetime, end: datetime, committee_key: str | None = None):
    with session_scope(engine) as session:
        return plan_window(session, start=start, end=end, committee_key=committee_key)


def paris(*args: int) -> datetime:

    return datetime(*args, tzinfo=ZoneInfo("Europe/Paris")).astimezone(UTC)


# Rows made by hand in tests are of an event kind: a re-plan of the committee leaves those alone.
TEST_KIND = "meeting_moved"


def due_rows(
    engine, now: datetime, count: int, *, channel: str = "C0PROD", kind: str = TEST_KIND
) -> list[str]:
    """``count`` rows due at ``now``, outside any plan (committee 1's channel)."""
    keys = [f"test:{kind}:{i}" for i in range(count)]
    with session_scope(engine) as session:
        committee_id = session.exec(select(Committee.id)).first()
        for key in keys:
            outbox.enqueue(session, kind=kind, to=channel, key=key, now=now, committee_id=committee_id)
    return keys
