"""Problems the workspace admins must fix, told to them in Slack: one message per problem.

A *problem* is a destination (a channel or a user) and the reason Slack refused it (archived,
missing, bot not invited, account deactivated…), or any other subject the bot cannot serve (a
committee the planner cannot plan). Each admin of the workspace (``admins`` in the configuration)
gets one message per problem; when the problem recurs, the same message is edited (count, last
time) rather than a new one posted. Delivery problems carry a Retry button: once fixed, the admin
presses it and the failed notifications to that destination are queued again (``retry``).

Planning problems (a subject the planner skipped, recorded as a ``planning_failed`` row by
``bot.planning.plan_guard``) are reported by ``report_planning_failures``, which the tick calls
right after planning: planning sits below delivery and cannot call up here, so the rows it records
are the hand-over. They have no Retry button: the fix is in the data (a due date, the YAML), and the
next planning pass picks it up.

The messages are notifications like any other (kind ``admin_problem``, key per admin and problem),
so they are claimed, sent once, retried and edited by the dispatcher; an edit is asked for by
marking the posted row stale, which the next tick picks up.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, PlainTextObject
from sqlmodel import Session, col, select

from bot.delivery import planning_problems
from bot.notices.message import OutgoingMessage
from bot.planning import plan_guard
from bot.planning.outbox import ADMIN_PROBLEM, enqueue
from bot.slack import blocks as bk
from bot.slack import ids
from bot.slack.payloads import ProblemRef, dump
from bot.text.render import normalize_locale, slack_date
from storage.committees import get_workspace
from storage.models import Committee, Notification, SlackUser

TEMPLATE = "admin_problem"
# Slack errors about the destination itself, and the wording that explains them.
_REASONS = {
    "channel_not_found": "channel_not_found",
    "not_in_channel": "not_in_channel",
    "is_archived": "is_archived",
    "channel_is_archived": "is_archived",
    "user_not_found": "user_inactive",
    "user_disabled": "user_inactive",
    "account_inactive": "user_inactive",
    "cannot_dm_bot": "user_inactive",
}
# Committees and failed keys a message remembers, at most (the counts go on).
KEEP = 20


def error_code(error: str) -> str:
    """Slack's code in a recorded error ("not_in_channel: ..." or "gave up after 8 attempts: x")."""
    text = error.rpartition("attempts: ")[2] if error.startswith("gave up after") else error
    return text.split(":")[0].split(" ")[0].strip() or "unknown_error"


def admins(session: Session) -> list[str]:
    """The workspace admins' user ids (the ``admins`` list of the configuration)."""
    return [a for a in (get_workspace(session).admins or []) if isinstance(a, str) and a]


def is_admin(session: Session, user_id: str) -> bool:
    return user_id in admins(session)


def report_to_admins(
    session: Session,
    *,
    topic: str,
    error: str,
    now: datetime,
    committee_id: int | None = None,
    failed_key: str | None = None,
    retry: bool = False,
    problem: str = "delivery",
) -> int:
    """Tell every admin about a problem with ``topic`` (a channel or user id, or a subject such as
    ``committee:12``) and ``error``; returns how many admins' messages were created or updated.

    The generic entry point: delivery failures come through ``report_delivery_failure``; other
    flows (a subject the planner could not plan) call this with ``retry=False``. Idempotent per
    (admin, topic, error): a recurrence edits the admin's message instead of posting another.
    ``problem`` says how the message is worded: ``"delivery"`` or ``"planning"`` (``topic`` is then
    the planner's subject, such as ``action:12``).
    """
    code = error_code(error)
    committee = session.get(Committee, committee_id) if committee_id else None
    touched = 0
    for admin in admins(session):
        key = f"x:{ADMIN_PROBLEM}:{admin}:{topic}:{code}"[:255]
        row = _locked(session, key)
        if row is None:
            data: dict[str, Any] = {
                "to": topic,
                "error": code,
                "detail": error[:300],
                "count": 1,
                "first": now.isoformat(),
                "last": now.isoformat(),
                "committees": [committee.key] if committee else [],
                "failed_keys": [failed_key] if failed_key else [],
                "retry": retry,
                "problem": problem,
            }
            if enqueue(
                session, kind=ADMIN_PROBLEM, to=admin, key=key, now=now, committee_id=committee_id, data=data
            ):
                touched += 1
                continue
            row = _locked(session, key)  # another sender reported the same problem in between
            if row is None:
                continue
        data = dict(row.data or {})
        data["count"] = int(data.get("count") or 0) + 1
        data["last"] = now.isoformat()
        data["detail"] = error[:300]
        data.pop("retried_by", None)
        data.pop("retried_at", None)
        if committee and committee.key not in data.get("committees", []):
            data["committees"] = [*data.get("committees", []), committee.key][-KEEP:]
        if failed_key and failed_key not in data.get("failed_keys", []):
            data["failed_keys"] = [*data.get("failed_keys", []), failed_key][-KEEP:]
        row.data = data
        row.updated_at = now
        if row.state == "sent" and row.ts:
            row.stale_since = now  # the next tick edits the posted message
        elif row.state in ("failed", "skipped"):
            row.state, row.attempts, row.error, row.next_attempt_at = "pending", 0, None, None
            row.due_at = now
        session.add(row)
        touched += 1
    return touched


def _locked(session: Session, key: str) -> Notification | None:
    """The report row of ``key``, locked until commit (PostgreSQL; SQLite has one writer anyway),
    read afresh: senders on other threads report failures of the same problem at the same time."""
    return session.exec(
        select(Notification)
        .where(Notification.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def report_delivery_failure(session: Session, row: Notification, error: str, now: datetime) -> int:
    """A notification Slack refused for good: tell the admins (with Retry)."""
    if row.kind == ADMIN_PROBLEM:
        return 0  # no report about a report
    return report_to_admins(
        session,
        topic=row.recipient,
        error=error,
        now=now,
        committee_id=row.committee_id,
        failed_key=row.key,
        retry=True,
    )


def report_planning_failures(session: Session, *, now: datetime) -> int:
    """Tell the admins about each subject the planner recorded as ``planning_failed`` and nobody was
    told about yet (once per subject and error: a later pass failing the same way adds nothing);
    returns how many subjects were reported. Called by the tick in its planning transaction."""
    reported = 0
    for row in plan_guard.unreported(session):
        subject = str((row.data or {}).get("subject") or row.key.partition(":")[2])
        told = report_to_admins(
            session,
            topic=subject,
            error=row.error or "unknown_error",
            now=now,
            committee_id=row.committee_id,
            failed_key=row.key,
            problem="planning",
        )
        if told:  # no admin declared yet: told once there is one
            plan_guard.mark_reported(session, row, now=now)
            reported += 1
    return reported


def build(session: Session, row: Notification, *, now: datetime) -> OutgoingMessage:
    """The admin's message about one problem, as it stands (count, last time, retried)."""
    data = row.data or {}
    user = session.get(SlackUser, row.recipient)
    locale = _locale(session, user)
    tz = (user.tz if user and user.tz else None) or get_workspace(session).timezone
    if data.get("problem") == "planning":
        return _planning_message(session, data, locale=locale, tz=tz)
    to, code = str(data.get("to") or ""), str(data.get("error") or "unknown_error")
    reason = _REASONS.get(code, "other")
    values: dict[str, Any] = {
        "where": _where(to),
        "short": bk.piece(locale, TEMPLATE, f"short_{reason}"),
        "reason": bk.piece(locale, TEMPLATE, f"reason_{reason}", error=data.get("detail") or code),
        "count": int(data.get("count") or 1),
        "committees": [f"`{key}`" for key in data.get("committees") or []],
        "first": _when(data.get("first"), tz),
        "last": _when(data.get("last"), tz),
        "retried_by": data.get("retried_by"),
        "retried_at": _when(data.get("retried_at"), tz) if data.get("retried_at") else None,
    }
    text = bk.piece(locale, TEMPLATE, "text", **values)
    body = bk.piece(locale, TEMPLATE, "body", **values)
    blocks = [bk.section(body)]
    if data.get("retry"):
        button = ButtonElement(
            action_id=ids.BTN_ADMIN_RETRY,
            text=PlainTextObject(text=bk.piece(locale, TEMPLATE, "retry")),
            value=dump(ProblemRef(to=to, error=code)),
            style="primary",
        )
        blocks.append(ActionsBlock(elements=[button]).to_dict())
    return OutgoingMessage(text=bk.fallback(text), blocks=blocks)


def _planning_words(session: Session, data: dict[str, Any], *, locale: str, tz: str) -> dict[str, Any]:
    committees = data.get("committees") or []
    subject, fix = planning_problems.subject_words(session, locale, str(data.get("to") or ""), tz=tz)
    return {
        "committee": planning_problems.committee_words(
            session, locale, committees[0] if committees else None
        ),
        "subject": subject,
        "fix": fix,
        "error": data.get("detail") or data.get("error") or "",
        "count": int(data.get("count") or 1),
        "first": _when(data.get("first"), tz),
        "last": _when(data.get("last"), tz),
    }


def _planning_message(session: Session, data: dict[str, Any], *, locale: str, tz: str) -> OutgoingMessage:
    """The admin's message about a subject the planner skipped (no Retry: the fix is in the data)."""
    values = _planning_words(session, data, locale=locale, tz=tz)
    text = bk.piece(locale, planning_problems.TEMPLATE, "text", **values)
    body = bk.piece(locale, planning_problems.TEMPLATE, "body", **values)
    return OutgoingMessage(text=bk.fallback(text), blocks=[bk.section(body)])


def retry(session: Session, *, to: str, error: str, by: str, now: datetime) -> int:
    """Queue again the failed notifications to ``to`` that failed with ``error``; returns how many.

    They go out at the next tick (expired ones are skipped then, as any row). The admins' messages
    about this problem are edited to say who asked for the retry.
    """
    failed = session.exec(
        select(Notification).where(
            Notification.recipient == to,
            Notification.state == "failed",
            col(Notification.kind) != ADMIN_PROBLEM,
        )
    ).all()
    again = [row for row in failed if error_code(row.error or "") == error]
    for row in again:
        row.state, row.attempts, row.error = "pending", 0, None
        row.next_attempt_at, row.claimed_by, row.claimed_at = None, None, None
        row.updated_at = now
        session.add(row)
    for message in problem_messages(session, to=to, error=error):
        data = dict(message.data or {})
        data.update(retried_by=by, retried_at=now.isoformat())
        message.data = data
        if message.state == "sent" and message.ts:
            message.stale_since = now
        session.add(message)
    return len(again)


def problem_messages(session: Session, *, to: str, error: str) -> list[Notification]:
    """Every admin's message about (``to``, ``error``)."""
    rows = session.exec(select(Notification).where(Notification.kind == ADMIN_PROBLEM)).all()
    return [r for r in rows if (r.data or {}).get("to") == to and (r.data or {}).get("error") == error]


def retry_as(session: Session, *, user_id: str, to: str, error: str, now: datetime) -> str:
    """An admin's Retry on a delivery problem: the failed messages to ``to`` sent again, and the
    answer in plain words; anyone else is refused and nothing changes."""
    if not is_admin(session, user_id):
        return refusal(session, user_id)
    count = retry(session, to=to, error=error, by=user_id, now=now)
    return retried_text(session, user_id, count=count, to=to)


def refusal(session: Session, user_id: str) -> str:
    return bk.piece(_locale(session, session.get(SlackUser, user_id)), TEMPLATE, "refused")


def retried_text(session: Session, user_id: str, *, count: int, to: str) -> str:
    locale = _locale(session, session.get(SlackUser, user_id))
    block = "retried" if count else "nothing_to_retry"
    return bk.piece(locale, TEMPLATE, block, count=count, where=_where(to))


def _locale(session: Session, user: SlackUser | None) -> str:
    short = (user.locale or "").replace("_", "-").split("-")[0].lower() if user and user.locale else ""
    return normalize_locale(short or get_workspace(session).locale)


def _where(to: str) -> str:
    if to.startswith(("U", "W")):
        return f"<@{to}>"
    if to.startswith(("C", "G", "D")):
        return f"<#{to}>"
    return f"`{to}`"


def _when(value: Any, tz: str) -> str:
    if not value:
        return "-"
    moment = datetime.fromisoformat(str(value))
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return slack_date(moment, fallback_tz=tz)


def open_problems(session: Session) -> list[dict[str, Any]]:
    """The problems reported and not retried since (one per topic and error, whatever the admins)."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    rows = session.exec(
        select(Notification)
        .where(Notification.kind == ADMIN_PROBLEM)
        .order_by(col(Notification.updated_at).desc())
    ).all()
    for row in rows:
        data = row.data or {}
        topic = (str(data.get("to") or ""), str(data.get("error") or ""))
        if topic not in seen and not data.get("retried_at"):
            seen[topic] = {**data, "key": row.key}
    return list(seen.values())


# The admin section of the App Home shows this many problems at most (a Home tab holds 100 blocks).
HOME_PROBLEMS = 10


def home_blocks(session: Session, *, user_id: str) -> list[dict[str, Any]]:
    """The App Home section of an admin: the open delivery problems, each with Retry; [] for others."""
    if not is_admin(session, user_id):
        return []
    user = session.get(SlackUser, user_id)
    locale = _locale(session, user)
    tz = (user.tz if user and user.tz else None) or get_workspace(session).timezone
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        bk.section(bk.piece(locale, TEMPLATE, "home_heading")),
    ]
    problems = open_problems(session)
    if not problems:
        blocks.append(bk.section(bk.piece(locale, TEMPLATE, "home_none")))
    for data in problems[:HOME_PROBLEMS]:
        if data.get("problem") == "planning":
            values = _planning_words(session, data, locale=locale, tz=tz)
            blocks.append(bk.section(bk.piece(locale, planning_problems.TEMPLATE, "home_line", **values)))
            continue
        to, code = str(data.get("to") or ""), str(data.get("error") or "")
        reason = _REASONS.get(code, "other")
        line = bk.piece(
            locale,
            TEMPLATE,
            "home_line",
            where=_where(to),
            short=bk.piece(locale, TEMPLATE, f"short_{reason}"),
            count=int(data.get("count") or 1),
            committees=[f"`{key}`" for key in data.get("committees") or []],
            last=_when(data.get("last"), tz),
        )
        accessory = None
        if data.get("retry"):
            accessory = ButtonElement(
                action_id=ids.BTN_ADMIN_RETRY,
                text=PlainTextObject(text=bk.piece(locale, TEMPLATE, "retry")),
                value=dump(ProblemRef(to=to, error=code)),
            ).to_dict()
        blocks.append(bk.section(line, accessory=accessory))
    stale = session.exec(
        select(sa.func.count()).select_from(Notification).where(col(Notification.stale_since).is_not(None))
    ).one()
    if stale:
        blocks.append(bk.section(bk.piece(locale, TEMPLATE, "home_stale", count=int(stale))))
    return blocks
