"""Messages already posted that a committee's new settings make outdated, marked for an edit.

A ``config import`` that changes a committee (its name, zone, chair, time, cadence…) changes what
its messages should show: an agenda request of a slot that left the calendar, a minutes message
whose times are now shown in another zone. The import marks them (``stale_since``, in its own
transaction, no Slack call); the next tick edits each one (``bot.delivery.edits.retry_stale_edits``),
re-rendered as things now stand.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.kinds import DIGEST_KIND, MINUTES_DOCUMENT_KIND
from bot.planning.outbox import FOLLOWUP, REPORT_KINDS
from storage import notifications as store
from storage.models import Notification

# Messages about meetings older than this stay as they were posted: a record of their time.
RECENT = timedelta(days=60)
# Never re-rendered: reports, follow-ups, uploaded documents and digests are snapshots.
NOT_RE_RENDERED = frozenset({*REPORT_KINDS, FOLLOWUP, MINUTES_DOCUMENT_KIND, DIGEST_KIND})


def outdate_posted(session: Session, *, committee_ids: Sequence[int], now: datetime) -> int:
    """Mark for an edit every message posted about the meetings of ``committee_ids`` from
    ``RECENT`` ago on; returns how many."""
    ids = store.posted_about_meetings(
        session, committee_ids=committee_ids, since=now - RECENT, excluded=NOT_RE_RENDERED
    )
    for row_id in ids:
        row = session.get(Notification, row_id)
        if row is not None:
            row.stale_since = now  # the next tick edits the posted message
            session.add(row)
    return len(ids)
