"""The action tracker and the decisions log as files the other company opens (SPEC §11): CSV and
Excel (xlsx).

``tracker_rows`` reads the items; ``tracker_csv`` and ``tracker_xlsx`` write them. Headers and the
priority/status words are in one locale (the committee's, else the workspace's, or the requester's
for ``/action export``); ``bot.action_items.tracker_import`` reads either language back. In the xlsx the header is
bold, frozen and filtered, dates are real date cells and overdue rows are highlighted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from bot.action_items.tracker_columns import COLUMNS, DECISION_HEADERS, HEADERS, PRIORITY_WORDS, STATUS_WORDS
from bot.text.render import normalize_locale
from storage.action_items import list_actions
from storage.committees import UnknownCommittee, get_workspace
from storage.models import OPEN_ACTION_STATUSES, Committee, Decision, Meeting, SlackUser

DATE_FORMAT = "yyyy-mm-dd"
OVERDUE_FILL = PatternFill(fill_type="solid", start_color="FFC7CE", end_color="FFC7CE")
HEADER_FONT = Font(bold=True)
SHEET_TITLES = {"fr": ("Actions", "Décisions"), "en": ("Actions", "Decisions")}
WIDTHS = {"title": 60, "owner": 22, "committee": 16, "source": 14, "decision": 80}


@dataclass(frozen=True)
class TrackerRow:
    """One action item as the tracker shows it (values, not words: words depend on the locale)."""

    id: str
    committee: str
    title: str
    owner: str  # display name, or the Slack id when the bot never learnt the name
    owner_id: str
    priority: str
    due: date
    status: str
    progress: int
    updated: date | None
    source: str
    overdue: bool


@dataclass(frozen=True)
class DecisionRow:
    committee: str
    meeting: date
    decision: str
    recorded_by: str
    recorded: date | None


def find_committee(session: Session, key: str | None) -> Committee | None:
    """The committee with ``key`` (None for None); UnknownCommittee naming the keys otherwise."""
    if key is None:
        return None
    committee = session.exec(select(Committee).where(Committee.key == key)).first()
    if committee is None:
        keys = ", ".join(session.exec(select(Committee.key).order_by(Committee.key)).all())
        raise UnknownCommittee(f'unknown committee "{key}" (known: {keys or "none yet"})')
    return committee


def export_locale(session: Session, committee: Committee | None) -> str:
    """The language of an export: the committee's, else the workspace's."""
    return normalize_locale(committee.locale if committee else get_workspace(session).locale)


def user_names(session: Session, user_ids: Iterable[str]) -> dict[str, str]:
    """Display names the bot knows, by user id."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    rows = session.exec(select(SlackUser).where(col(SlackUser.user_id).in_(wanted))).all()
    return {row.user_id: row.name for row in rows if row.name}


def tracker_rows(
    session: Session, *, committee: Committee | None = None, status: str | None = None, now: datetime
) -> list[TrackerRow]:
    """The items of ``committee`` (all committees when None), optionally of one status, by due date.

    ``overdue`` and the ``updated`` date are judged in each committee's time zone at ``now``.
    """
    workspace = get_workspace(session)
    items = list_actions(session, status=status, committee_id=committee.id if committee else None)
    committees = {c.id: c for c in session.exec(select(Committee)).all()}
    meeting_ids = {item.meeting_id for item in items if item.meeting_id is not None}
    meetings = (
        {m.id: m for m in session.exec(select(Meeting).where(col(Meeting.id).in_(meeting_ids))).all()}
        if meeting_ids
        else {}
    )
    names = user_names(session, (item.owner for item in items))
    rows = []
    for item in items:
        owner_committee = committees.get(item.committee_id) if item.committee_id is not None else None
        tz = ZoneInfo(owner_committee.timezone if owner_committee else workspace.timezone)
        meeting = meetings.get(item.meeting_id) if item.meeting_id is not None else None
        source = meeting.start.astimezone(tz).date().isoformat() if meeting else (item.source_link or "")
        rows.append(
            TrackerRow(
                id=item.public_id,
                committee=owner_committee.key if owner_committee else "",
                title=item.title,
                owner=names.get(item.owner, item.owner),
                owner_id=item.owner,
                priority=item.priority,
                due=item.due,
                status=item.status,
                progress=item.progress,
                updated=item.updated_at.astimezone(tz).date() if item.updated_at else None,
                source=source,
                overdue=item.status in OPEN_ACTION_STATUSES and item.due < now.astimezone(tz).date(),
            )
        )
    return rows


def _cells(row: TrackerRow, locale: str) -> list[Any]:
    return [
        row.id,
        row.committee,
        row.title,
        row.owner,
        row.owner_id,
        PRIORITY_WORDS[locale].get(row.priority, row.priority),
        row.due,
        STATUS_WORDS[locale].get(row.status, row.status),
        row.progress,
        row.updated,
        row.source,
    ]


def headers(locale: str) -> list[str]:
    return [HEADERS[column][locale] for column in COLUMNS]


def tracker_csv(rows: Sequence[TrackerRow], *, locale: str) -> str:
    """The tracker as CSV text: comma-separated, dates ``YYYY-MM-DD``, headers in ``locale``."""
    locale = normalize_locale(locale)
    return _csv([headers(locale), *(_cells(row, locale) for row in rows)])


def tracker_xlsx(rows: Sequence[TrackerRow], *, locale: str) -> bytes:
    """The tracker as an Excel workbook: bold frozen header with filters, date cells, overdue rows
    highlighted."""
    locale = normalize_locale(locale)
    return _xlsx(
        SHEET_TITLES[locale][0],
        list(COLUMNS),
        headers(locale),
        [(_cells(row, locale), row.overdue) for row in rows],
    )


def decision_rows(session: Session, *, committee: Committee | None = None) -> list[DecisionRow]:
    """Every recorded decision (of ``committee``, when given), by meeting then recording order."""
    query = select(Decision, Meeting, Committee).where(
        Decision.meeting_id == Meeting.id, Meeting.committee_id == Committee.id
    )
    if committee is not None:
        query = query.where(Committee.id == committee.id)
    found = session.exec(query.order_by(col(Meeting.start), col(Decision.id))).all()
    names = user_names(session, (decision.recorded_by for decision, _, _ in found))
    return [
        DecisionRow(
            committee=owner.key,
            meeting=meeting.start.astimezone(ZoneInfo(owner.timezone)).date(),
            decision=decision.text,
            recorded_by=names.get(decision.recorded_by, decision.recorded_by),
            recorded=decision.recorded_at.astimezone(ZoneInfo(owner.timezone)).date()
            if decision.recorded_at
            else None,
        )
        for decision, meeting, owner in found
    ]


def decisions_csv(rows: Sequence[DecisionRow], *, locale: str) -> str:
    locale = normalize_locale(locale)
    return _csv(
        [[labels[locale] for labels in DECISION_HEADERS.values()], *(_decision_cells(row) for row in rows)]
    )


def decisions_xlsx(rows: Sequence[DecisionRow], *, locale: str) -> bytes:
    locale = normalize_locale(locale)
    return _xlsx(
        SHEET_TITLES[locale][1],
        list(DECISION_HEADERS),
        [labels[locale] for labels in DECISION_HEADERS.values()],
        [(_decision_cells(row), False) for row in rows],
    )


def _decision_cells(row: DecisionRow) -> list[Any]:
    return [row.committee, row.meeting, row.decision, row.recorded_by, row.recorded]


def _csv(lines: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for line in lines:
        writer.writerow(["" if value is None else _text(value) for value in line])
    return out.getvalue()


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _xlsx(title: str, keys: list[str], names: list[str], rows: list[tuple[list[Any], bool]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = HEADER_FONT
    for values, highlighted in rows:
        sheet.append(values)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, date):
                cell.number_format = DATE_FORMAT
            if highlighted:
                cell.fill = OVERDUE_FILL
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(names))}{max(sheet.max_row, 1)}"
    for index, key in enumerate(keys, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(key, 12)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
