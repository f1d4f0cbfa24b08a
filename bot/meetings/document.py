"""One meeting's record as a document (SPEC §11): committee, date and time, attendees, agenda,
summary, decisions and the action plan (owner, due date), as Markdown and as Word (DOCX).

``minutes_record`` reads the meeting; ``minutes_markdown`` and ``minutes_docx`` write it, in the
committee's language. Nothing here talks to Slack: ``bot.delivery.minutes_upload`` posts the DOCX in the
thread of the minutes message through the outbox.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from docx import Document
from sqlmodel import Session, col, select

from bot.action_items.tracker_columns import PRIORITY_WORDS, STATUS_WORDS
from bot.action_items.tracker_export import user_names
from bot.core.agenda import action_review_title, agenda_sections, template_key
from bot.text.render import normalize_locale
from storage.models import ActionItem, AgendaItem, Committee, Decision, Meeting, MeetingStatus

COLUMNS = {
    "fr": ("Action", "Responsable", "Échéance", "Priorité", "Statut"),
    "en": ("Action", "Owner", "Due", "Priority", "Status"),
}
LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Compte rendu — {name}",
        "when": "Date : {date}, {start}–{end} ({tz})",
        "attendees": "Participants",
        "agenda": "Ordre du jour",
        "summary": "Synthèse",
        "decisions": "Décisions",
        "actions": "Plan d'action",
        "none": "Aucun élément.",
        "no_summary": "Le compte rendu n'a pas encore été soumis.",
        "link": "Document de référence : {link}",
        "approved": "Approuvé le {date}.",
        "posted": "Publié le {date}.",
        "minutes": "min",
    },
    "en": {
        "title": "Minutes — {name}",
        "when": "Date: {date}, {start}–{end} ({tz})",
        "attendees": "Attendees",
        "agenda": "Agenda",
        "summary": "Summary",
        "decisions": "Decisions",
        "actions": "Action plan",
        "none": "None.",
        "no_summary": "The minutes have not been submitted yet.",
        "link": "Reference document: {link}",
        "approved": "Approved on {date}.",
        "posted": "Posted on {date}.",
        "minutes": "min",
    },
}


class MeetingNotFound(LookupError):
    """No meeting of that committee on that day; the message says which days have one nearby."""


@dataclass(frozen=True)
class ActionLine:
    title: str
    owner: str
    due: date
    priority: str
    status: str


@dataclass(frozen=True)
class MinutesRecord:
    """What the document shows, already in the committee's zone and with people's names."""

    committee_key: str
    committee_name: str
    locale: str
    timezone: str
    start: datetime  # local
    end: datetime  # local
    attendees: tuple[str, ...]
    agenda: tuple[str, ...]
    summary: str | None
    decisions: tuple[str, ...]
    actions: tuple[ActionLine, ...]
    link: str | None
    approved_on: date | None  # when the minutes became final (approved, or posted)
    final: str = "posted"  # "approved" when the chair approved them

    @property
    def file_stem(self) -> str:
        """``production-2027-03-16``: names the files, so each meeting's document is recognisable."""
        return f"{self.committee_key}-{self.start:%Y-%m-%d}"


def find_meeting(session: Session, committee: Committee, day: date) -> Meeting:
    """The meeting of ``committee`` held on ``day`` (local date); MeetingNotFound otherwise."""
    tz = ZoneInfo(committee.timezone)
    low = datetime.combine(day, datetime.min.time(), tz)
    query = select(Meeting).where(
        Meeting.committee_id == committee.id,
        col(Meeting.start) >= low - timedelta(days=1),
        col(Meeting.start) < low + timedelta(days=2),
    )
    found = [m for m in session.exec(query).all() if m.start.astimezone(tz).date() == day]
    live = [m for m in found if m.status != MeetingStatus.cancelled.value] or found
    if live:
        return live[0]
    known = session.exec(
        select(Meeting.start)
        .where(Meeting.committee_id == committee.id, col(Meeting.minutes_submitted_at).is_not(None))
        .order_by(col(Meeting.start).desc())
        .limit(5)
    ).all()
    days = ", ".join(sorted(start.astimezone(tz).date().isoformat() for start in known))
    raise MeetingNotFound(
        f"no meeting of committee {committee.key} on {day}"
        + (f" (meetings with minutes: {days})" if days else " (no meeting of this committee has minutes yet)")
    )


def minutes_record(session: Session, meeting: Meeting) -> MinutesRecord:
    """Read one meeting's record."""
    committee = session.get(Committee, meeting.committee_id)
    assert committee is not None
    locale = normalize_locale(committee.locale)
    tz = ZoneInfo(committee.timezone)
    agenda_rows = session.exec(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(col(AgendaItem.id))
    ).all()
    decisions = session.exec(
        select(Decision).where(Decision.meeting_id == meeting.id).order_by(col(Decision.id))
    ).all()
    actions = session.exec(
        select(ActionItem)
        .where(ActionItem.meeting_id == meeting.id)
        .order_by(col(ActionItem.due), col(ActionItem.id))
    ).all()
    people = [
        *meeting.minutes_attendees,
        *(a.owner for a in actions),
        *(i.presenter or "" for i in agenda_rows),
    ]
    names = user_names(session, [p for p in people if p])
    label = LABELS[locale]
    agenda = [*agenda_sections(locale, template_key(committee))]
    for item in agenda_rows:
        extra = [names.get(item.presenter, item.presenter)] if item.presenter else []
        if item.duration:
            extra.append(f"{item.duration} {label['minutes']}")
        agenda.append(item.title + (f" ({', '.join(extra)})" if extra else ""))
    if action_review_title(locale) not in agenda:
        agenda.append(action_review_title(locale))
    approved = meeting.minutes_approved_at or meeting.minutes_posted_at
    return MinutesRecord(
        committee_key=committee.key,
        committee_name=committee.name,
        locale=locale,
        timezone=committee.timezone,
        start=meeting.start.astimezone(tz),
        end=meeting.end.astimezone(tz),
        attendees=tuple(names.get(user, user) for user in meeting.minutes_attendees),
        agenda=tuple(agenda),
        summary=meeting.minutes_text,
        decisions=tuple(d.text for d in decisions),
        actions=tuple(
            ActionLine(
                title=a.title,
                owner=names.get(a.owner, a.owner),
                due=a.due,
                priority=PRIORITY_WORDS[locale].get(a.priority, a.priority),
                status=STATUS_WORDS[locale].get(a.status, a.status),
            )
            for a in actions
        ),
        link=meeting.minutes_link,
        approved_on=approved.astimezone(tz).date() if approved else None,
        final="approved" if meeting.minutes_approved_at else "posted",
    )


def minutes_markdown(record: MinutesRecord) -> str:
    """The record as Markdown (a heading per part, the action plan as a table)."""
    label = LABELS[record.locale]
    lines = [f"# {label['title'].format(name=_md(record.committee_name))}", "", _when(record), ""]
    if record.approved_on:
        lines += [label[record.final].format(date=record.approved_on.isoformat()), ""]
    lines += [f"## {label['attendees']}", ""]
    lines += [f"- {_md(name)}" for name in record.attendees] or [label["none"]]
    lines += ["", f"## {label['agenda']}", ""]
    lines += [f"{index}. {_md(item)}" for index, item in enumerate(record.agenda, start=1)] or [label["none"]]
    lines += ["", f"## {label['summary']}", "", record.summary or label["no_summary"], ""]
    if record.link:
        lines += [label["link"].format(link=record.link), ""]
    lines += [f"## {label['decisions']}", ""]
    lines += [f"- {_md(text)}" for text in record.decisions] or [label["none"]]
    lines += ["", f"## {label['actions']}", ""]
    if record.actions:
        lines += [
            "| " + " | ".join(COLUMNS[record.locale]) + " |",
            "|" + "---|" * len(COLUMNS[record.locale]),
        ]
        lines += [
            f"| {_cell(a.title)} | {_cell(a.owner)} | {a.due.isoformat()} | {a.priority} | {a.status} |"
            for a in record.actions
        ]
    else:
        lines.append(label["none"])
    return "\n".join(lines) + "\n"


def minutes_docx(record: MinutesRecord) -> bytes:
    """The record as a Word document (python-docx)."""
    label = LABELS[record.locale]
    document = Document()
    document.core_properties.title = label["title"].format(name=record.committee_name)
    document.core_properties.language = record.locale
    document.add_heading(label["title"].format(name=record.committee_name), level=0)
    document.add_paragraph(_when(record))
    if record.approved_on:
        document.add_paragraph(label[record.final].format(date=record.approved_on.isoformat()))
    document.add_heading(label["attendees"], level=1)
    _bullets(document, record.attendees, label["none"], "List Bullet")
    document.add_heading(label["agenda"], level=1)
    _bullets(document, record.agenda, label["none"], "List Number")
    document.add_heading(label["summary"], level=1)
    for paragraph in (record.summary or label["no_summary"]).split("\n\n"):
        document.add_paragraph(paragraph)
    if record.link:
        document.add_paragraph(label["link"].format(link=record.link))
    document.add_heading(label["decisions"], level=1)
    _bullets(document, record.decisions, label["none"], "List Bullet")
    document.add_heading(label["actions"], level=1)
    if record.actions:
        table = document.add_table(rows=1, cols=len(COLUMNS[record.locale]))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, COLUMNS[record.locale], strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for action in record.actions:
            cells = table.add_row().cells
            values = (action.title, action.owner, action.due.isoformat(), action.priority, action.status)
            for cell, text in zip(cells, values, strict=True):
                cell.text = text
    else:
        document.add_paragraph(label["none"])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _when(record: MinutesRecord) -> str:
    return LABELS[record.locale]["when"].format(
        date=record.start.date().isoformat(),
        start=f"{record.start:%H:%M}",
        end=f"{record.end:%H:%M}",
        tz=record.timezone,
    )


def _bullets(document: object, items: tuple[str, ...], empty: str, style: str) -> None:
    if not items:
        document.add_paragraph(empty)  # type: ignore[attr-defined]
    for item in items:
        document.add_paragraph(item, style=style)  # type: ignore[attr-defined]


def _md(text: str) -> str:
    """User text on one Markdown line: no heading, list or HTML surprises."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _md(text).replace("|", "\\|")
