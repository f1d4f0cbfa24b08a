"""Versions of a meeting's minutes, and amending minutes already posted (SPEC §4, issue 9 point 3).

Every submission (the first one, and each one after the chair asked for changes) and every
amendment is kept as a ``MinutesVersion`` row that never changes afterwards. The approval request
sent to the chair names its version: only the request of the latest version is live.

Decisions and action items are reconciled with the lines of the new version, never created twice:

- a decision whose text is unchanged keeps its row; a removed one is deleted (the earlier versions
  keep its text); a new one is added;
- an action line identical to the line of an item of the previous version (as the form pre-fills it
  from the item's current state) is that same item, unchanged; a line with the same task but
  another owner, due date or priority updates that item (with its history); a new line creates an
  item; an item whose line was removed is **cancelled** (if still open), with a history entry naming
  the amendment. Cancelled rather than merely flagged: the minutes are the record of what was
  decided, an item no longer in them must stop being chased, and a cancellation is visible, kept in
  the history and can be undone (reopened) by its owner, creator or the chair.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.action_items.flows import create_action
from bot.core.calendar import zone
from bot.core.parsing import ActionDraft
from bot.meetings.input import (
    action_line_error,
    check_decisions,
    check_link,
    check_summary,
    check_users,
    collect,
    parse_action_lines,
)
from bot.meetings.state import MinutesResult
from bot.planning import outbox
from bot.text.errors import InvalidInput
from storage import action_items as action_store
from storage import meetings as store
from storage.models import (
    OPEN_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    Committee,
    Decision,
    Meeting,
    MinutesVersion,
)

SUBMITTED = "submitted"
AMENDED = "amended"


@dataclass
class Reconciled:
    """What the action lines of a new version did to the items: ``lines`` maps each line to its item."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # public ids
    updated: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)


def latest(session: Session, *, meeting_id: int) -> MinutesVersion | None:
    """The meeting's latest minutes version, or None before the first submission."""
    return session.exec(
        select(MinutesVersion)
        .where(MinutesVersion.meeting_id == meeting_id)
        .order_by(col(MinutesVersion.number).desc())
    ).first()


def versions(session: Session, *, meeting_id: int) -> list[MinutesVersion]:
    """Every version of the meeting's minutes, oldest first."""
    return list(
        session.exec(
            select(MinutesVersion)
            .where(MinutesVersion.meeting_id == meeting_id)
            .order_by(col(MinutesVersion.number))
        )
    )


def record(
    session: Session,
    *,
    meeting: Meeting,
    kind: str,
    decisions: list[str],
    lines: list[dict[str, Any]],
    author: str,
    now: datetime,
) -> MinutesVersion:
    """Keep the meeting's minutes as they now stand as a new version (numbered from 1)."""
    previous = latest(session, meeting_id=meeting.id)  # type: ignore[arg-type]
    version = MinutesVersion(
        meeting_id=meeting.id,  # type: ignore[arg-type]
        number=(previous.number if previous else 0) + 1,
        kind=kind,
        summary=meeting.minutes_text or "",
        decisions=list(decisions),
        actions=lines,
        attendees=list(meeting.minutes_attendees or []),
        link=meeting.minutes_link,
        author=author,
        created_at=now,
    )
    session.add(version)
    session.flush()
    return version


def record_minutes(
    session: Session,
    meeting: Meeting,
    committee: Committee,
    *,
    summary: str,
    decisions: list[str] | None,
    action_lines: list[str] | None,
    attendees: list[str] | None,
    link: str | None,
    actor: str,
    now: datetime,
    kind: str,
) -> MinutesResult:
    """Check every field (all errors at once), then record the text, reconcile decisions and
    action items with the previous version, and keep the new version (``submit_minutes`` and
    ``amend_minutes`` in ``bot.meetings.flows``; the meeting is locked by the caller)."""
    locale = committee.locale
    problems: list[InvalidInput] = []
    clean_summary = collect(problems, check_summary, summary, locale)
    clean_decisions = collect(problems, check_decisions, decisions or [], locale)
    plan = collect(
        problems, lambda: read_lines(
            session, committee=committee, meeting=meeting, raw_lines=action_lines or [], now=now
        ),
    )  # fmt: skip
    clean_attendees = collect(problems, check_users, attendees or [], locale, "attendees")
    clean_link = collect(problems, check_link, link, locale, "link")
    if problems:
        raise InvalidInput.combine(problems)
    what = "minutes amended" if kind == AMENDED else "minutes submitted"
    # A savepoint: should the action flow refuse a line after all (a deactivated owner), no
    # decision nor action is left behind, whatever the caller does with the session.
    with session.begin_nested():
        reconcile_decisions(
            session,
            meeting_id=meeting.id,  # type: ignore[arg-type]
            texts=clean_decisions,
            actor=actor,
            now=now,
        )
        reconciled = reconcile_actions(
            session, committee=committee, meeting=meeting, plan=plan, actor=actor, now=now, what=what
        )
    meeting.minutes_text = clean_summary
    meeting.minutes_link = clean_link
    meeting.minutes_attendees = clean_attendees
    meeting.updated_at = now
    session.add(meeting)
    version = record(
        session,
        meeting=meeting,
        kind=kind,
        decisions=clean_decisions,
        lines=reconciled.lines,
        author=actor,
        now=now,
    )
    for public_id in reconciled.updated + reconciled.cancelled:
        session.flush()
        outbox.replan_action(session, action_id=int(public_id.lstrip("A")), now=now)
    return MinutesResult(
        meeting_id=meeting.id,  # type: ignore[arg-type]
        decisions=clean_decisions,
        actions=reconciled.created,
        awaiting_approval=False,
        version=version.number,
        updated=reconciled.updated,
        cancelled=reconciled.cancelled,
    )


def line_of(action: ActionItem) -> str:
    """An item as an action line of the minutes form, as ``/action add`` reads it back."""
    priority = f" !{action.priority}" if action.priority != "medium" else ""
    return f"<@{action.owner}> {action.title} by {action.due.isoformat()}{priority}"


def current_items(session: Session, *, meeting_id: int) -> list[ActionItem]:
    """The items the latest version's lines stand for, not cancelled, in line order."""
    version = latest(session, meeting_id=meeting_id)
    if version is None:
        return []
    found = []
    for entry in version.actions or []:
        action = session.get(ActionItem, entry.get("action_id"))
        if action is not None and action.status != ActionStatus.cancelled.value:
            found.append(action)
    return found


def reconcile_decisions(
    session: Session, *, meeting_id: int, texts: list[str], actor: str, now: datetime
) -> None:
    """Keep the decisions whose text is unchanged, delete the removed ones, add the new ones."""
    kept: dict[str, list[Decision]] = {}
    for decision in store.decisions(session, meeting_id=meeting_id):
        kept.setdefault(decision.text, []).append(decision)
    for text in texts:
        if kept.get(text):
            kept[text].pop(0)
            continue
        session.add(Decision(meeting_id=meeting_id, text=text, recorded_by=actor, recorded_at=now))
    for leftovers in kept.values():
        for decision in leftovers:
            session.delete(decision)
    session.flush()


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class LinePlan:
    """The form's action lines, read: lines identical to an item's (``same``), lines to parse
    (``drafts``, by line number, with their text), and the items no line stands for any more."""

    same: list[tuple[int, str, ActionItem]]
    drafts: list[tuple[int, str, ActionDraft]]
    unmatched: list[ActionItem]


def read_lines(
    session: Session, *, committee: Committee, meeting: Meeting, raw_lines: list[str], now: datetime
) -> LinePlan:
    """Read the action lines against the items of the latest version, changing nothing; raises
    ``InvalidInput`` naming every line that cannot be read (by its number in the form)."""
    existing = current_items(session, meeting_id=meeting.id)  # type: ignore[arg-type]
    by_line = {_norm(line_of(a)): a for a in existing}
    same: list[tuple[int, str, ActionItem]] = []
    to_parse: dict[int, str] = {}
    for number, raw in enumerate(raw_lines, start=1):
        line = raw.strip().lstrip("•-* ").strip()
        if not line:
            continue
        match = by_line.pop(_norm(line), None)
        if match is not None:
            same.append((number, line, match))
        else:
            to_parse[number] = line
    # Parse the other lines in place (blank elsewhere), so that an error names the line the user sees.
    padded = [to_parse.get(n, "") for n in range(1, max(to_parse, default=0) + 1)]
    drafts = parse_action_lines(padded, committee, now) if to_parse else []
    return LinePlan(
        same=same,
        drafts=[(number, to_parse[number], draft) for number, draft in drafts],
        unmatched=list(by_line.values()),
    )


def reconcile_actions(
    session: Session,
    *,
    committee: Committee,
    meeting: Meeting,
    plan: LinePlan,
    actor: str,
    now: datetime,
    what: str,
) -> Reconciled:
    """Apply a ``LinePlan`` (see the module's rules): same lines keep their item, a line with the
    same task updates its item, a new line creates one, an item without a line is cancelled.
    ``what`` goes into the history of the items changed ("minutes amended"…)."""
    left = {a.id: a for a in plan.unmatched}
    today = now.astimezone(zone(committee.timezone)).date()
    result = Reconciled()
    entries: list[tuple[int, dict[str, Any]]] = [
        (number, {"line": line, "action_id": action.id}) for number, line, action in plan.same
    ]
    refused: list[InvalidInput] = []
    for number, text, draft in plan.drafts:
        twin = next((a for a in left.values() if _norm(a.title) == _norm(draft.title)), None)
        if twin is not None:
            del left[twin.id]
            if _update(session, twin, draft, actor=actor, now=now, comment=what):
                result.updated.append(twin.public_id)
            entries.append((number, {"line": text, "action_id": twin.id}))
            continue
        try:
            action = create_action(
                session, title=draft.title, owner=draft.owner or "", creator=actor, due=draft.due,  # type: ignore[arg-type]
                priority=draft.priority, committee_id=committee.id, meeting_id=meeting.id, now=now, today=today,
            )  # fmt: skip
        except InvalidInput as error:
            refused.append(action_line_error(number, error, committee.locale))
            continue
        result.created.append(action.public_id)
        entries.append((number, {"line": text, "action_id": action.id}))
    if refused:
        raise InvalidInput.combine(refused)
    for action in left.values():
        if action.status in OPEN_ACTION_STATUSES:
            _set(
                session, action, {"status": ActionStatus.cancelled.value}, actor=actor, now=now, comment=what
            )
            action.closed_at = now
            result.cancelled.append(action.public_id)
    result.lines = [entry for _number, entry in sorted(entries, key=lambda pair: pair[0])]
    return result


def _update(
    session: Session, action: ActionItem, draft: ActionDraft, *, actor: str, now: datetime, comment: str
) -> bool:
    changes: dict[str, Any] = {}
    if draft.owner and draft.owner != action.owner:
        changes["owner"] = draft.owner
    if draft.due is not None and draft.due != action.due:
        changes["due"] = draft.due
    if draft.priority and draft.priority != action.priority:
        changes["priority"] = draft.priority
    return _set(session, action, changes, actor=actor, now=now, comment=comment)


def _set(
    session: Session, action: ActionItem, changes: dict[str, Any], *, actor: str, now: datetime, comment: str
) -> bool:
    """Change an item's fields with a history entry each (the minutes' authority: whoever may
    submit the minutes may reconcile the items they created)."""
    changed = False
    for name, new in changes.items():
        old = getattr(action, name)
        if old == new:
            continue
        setattr(action, name, new)
        action_store.add_change(
            session, action_id=action.id, actor=actor, field=name,  # type: ignore[arg-type]
            old=_text(old), new=_text(new), at=now, comment=comment,
        )  # fmt: skip
        changed = True
    if changed:
        action.updated_at = now
        session.add(action)
    return changed


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
