"""``/action export`` (SPEC §7, §11): the tracker as an Excel file, sent to the requester by DM.

In a committee's channel the file holds that committee's items; elsewhere, the items of every
committee the requester sits on. Headers and words are in the requester's language. The file is
built from the database first, then uploaded outside any transaction (Slack's external upload flow).
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.action_items.tracker_export import tracker_rows, tracker_xlsx
from bot.delivery.minutes_upload import send_file_by_dm
from bot.slack.outcome import Outcome, reply
from bot.slack.users import Person
from bot.text.render import render
from storage.committees import committee_by_channel
from storage.db import session_scope
from storage.home import committee_ids_of
from storage.models import Committee

VERBS = ("export", "exporter")

log = logging.getLogger(__name__)


def wants_export(text: str) -> bool:
    """``/action export`` (or ``exporter``), whatever follows."""
    words = text.split()
    return bool(words) and words[0].lower() in VERBS


def share_tracker(
    engine: Engine, client: WebClient, *, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """Build the requester's tracker and DM it to them; the reply says what was sent, or why not."""
    with session_scope(engine) as session:
        committee = committee_by_channel(session, channel=channel) if channel else None
        if committee is not None:
            rows = tracker_rows(session, committee=committee, now=now)
            scope = committee.name
            stem = committee.key
        else:
            mine = set(committee_ids_of(session, user_id=person.user_id))
            keys = {c.key for c in (session.get(Committee, i) for i in mine) if c is not None}
            rows = [row for row in tracker_rows(session, now=now) if row.committee in keys]
            scope, stem = None, "mes-comites" if person.locale == "fr" else "my-committees"
    filename = f"actions-{stem}-{person.today(now).isoformat()}.xlsx"
    comment = render(person.locale, "tracker_export", count=len(rows), scope=scope, dm=False, failed=None)
    try:
        send_file_by_dm(
            client,
            user_id=person.user_id,
            content=tracker_xlsx(rows, locale=person.locale),
            filename=filename,
            title=filename.removesuffix(".xlsx"),
            comment=comment,
        )
    except SlackApiError as error:
        code = error.response.get("error") or "unknown_error"
        log.warning("/action export for %s refused by Slack: %s", person.user_id, code)
        return Outcome(
            reply=reply(render(person.locale, "tracker_export", failed=code, dm=False, count=0, scope=None))
        )
    return Outcome(
        reply=reply(
            render(person.locale, "tracker_export", count=len(rows), scope=scope, dm=True, failed=None)
        )
    )
