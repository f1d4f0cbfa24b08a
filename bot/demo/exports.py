"""The end of the demo (issue 11): the tracker and one meeting's minutes exported as the files the
two companies exchange, and where they are.

Written next to the demo's database when it is kept, else in a new temporary directory (left in
place so the files can be opened).
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bot.action_items.tracker_export import tracker_csv, tracker_rows, tracker_xlsx
from bot.meetings.document import minutes_docx, minutes_markdown, minutes_record
from bot.text.render import render
from storage.db import session_scope
from storage.models import Meeting


def export_demo_files(engine: Engine, *, locale: str, directory: Path | None, now: datetime) -> str:
    """Write the tracker (xlsx, csv) and the latest posted minutes (docx, md); the lines to print."""
    target = directory or Path(tempfile.mkdtemp(prefix="committee-bot-files-"))
    with session_scope(engine) as session:
        rows = tracker_rows(session, now=now)
        meeting = session.exec(
            select(Meeting)
            .where(col(Meeting.minutes_posted_at).is_not(None))
            .order_by(col(Meeting.start).desc())
            .limit(1)
        ).first()
        record = minutes_record(session, meeting) if meeting is not None else None
    tracker = target / "committee-bot-demo-actions.xlsx"
    tracker.write_bytes(tracker_xlsx(rows, locale=locale))
    (target / "committee-bot-demo-actions.csv").write_text(
        tracker_csv(rows, locale=locale), encoding="utf-8-sig"
    )
    minutes = None
    if record is not None:
        minutes = target / f"committee-bot-demo-minutes-{record.file_stem}.docx"
        minutes.write_bytes(minutes_docx(record))
        minutes.with_suffix(".md").write_text(minutes_markdown(record), encoding="utf-8")
    return render(
        locale,
        "demo_exports",
        directory=str(target),
        tracker=tracker.name,
        count=len(rows),
        minutes=minutes.name if minutes else None,
        committee=record.committee_name if record else None,
        day=record.start.date().isoformat() if record else None,
    )
