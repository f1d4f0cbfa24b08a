"""The minutes as a Word document in the thread of the minutes message (SPEC §11), through the outbox.

When the ``minutes_posted`` message is in the channel (the minutes are final: approved, or posted
at once where no approval is needed), the dispatcher queues a ``minutes_document`` notification
keyed by the meeting and the message ts; amending the minutes queues one more for the new version
(``bot.meetings.flows.amend_minutes``), named ``…-v2.docx``, so the thread always ends with the
document of the minutes as they stand. Sending it uploads the DOCX with Slack's external upload
flow (``files_upload_v2``: files.getUploadURLExternal, the upload, files.completeUploadExternal with
``thread_ts``). Like every notification it is claimed, sent once and retried on failure; after a
crash between the upload and "sent", the thread is looked at first (``conversations.replies``) so
that the document is never posted twice.

Also ``send_file_by_dm``: a file (``/action export``) sent to a user in the bot's DM with them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.core import kinds
from bot.delivery import sender
from bot.meetings import minutes_versions
from bot.meetings.document import minutes_docx, minutes_record
from bot.notices.message import OutgoingMessage
from bot.slack import blocks as bk
from storage.models import Meeting, MeetingStatus, Notification, id_of

KIND = kinds.MINUTES_DOCUMENT_KIND
DOCX_TYPE = "docx"

log = logging.getLogger(__name__)


notification_key = kinds.minutes_document_key


@dataclass(frozen=True)
class FileMessage(OutgoingMessage):
    """An outgoing message that is a file: ``text`` is its comment."""

    filename: str = ""
    title: str = ""
    content: bytes = b""
    thread_ts: str | None = None


def build(session: Session, row: Notification, *, now: datetime) -> FileMessage | None:
    """The document of the row's meeting, as the minutes stand; None when there is nothing to send
    (meeting gone or cancelled, minutes never posted, an amended version amended again since: the
    newer version's document goes instead). An amended version's file is named for its version."""
    meeting = session.get(Meeting, row.meeting_id) if row.meeting_id else None
    if meeting is None or meeting.status == MeetingStatus.cancelled.value or not meeting.minutes_text:
        return None
    version = (row.data or {}).get("version")
    if version is not None:
        latest = minutes_versions.latest(session, meeting_id=id_of(meeting))
        if latest is None or latest.number != version:
            return None
    record = minutes_record(session, meeting)
    comment = bk.piece(
        record.locale,
        "minutes_document",
        "amended" if version is not None else "comment",
        name=record.committee_name,
        date=record.start.date().isoformat(),
        version=version,
    )
    stem = f"{record.file_stem}-v{version}" if version is not None else record.file_stem
    return FileMessage(
        text=comment,
        filename=f"{stem}.{DOCX_TYPE}",
        title=stem,
        content=minutes_docx(record),
        thread_ts=(row.data or {}).get("thread_ts") or meeting.minutes_ts,
    )


def send(client: WebClient, message: FileMessage, *, channel: str, maybe_posted: bool) -> sender.Result:
    """Upload ``message`` to ``channel`` (in its thread); when an earlier attempt may have landed,
    look for the file in the thread first."""
    if maybe_posted and message.thread_ts:
        found = _find_in_thread(
            client, channel=channel, thread_ts=message.thread_ts, filename=message.filename
        )
        if found is not None:
            return found
    try:
        client.files_upload_v2(
            channel=channel,
            thread_ts=message.thread_ts,
            content=message.content,
            filename=message.filename,
            title=message.title,
            initial_comment=message.text,
        )
    except Exception as error:
        return sender.classify(error)
    # The file's own message ts is not in the answer; the thread it went to identifies it.
    return sender.Result(sender.SendStatus.sent, channel=channel, ts=message.thread_ts or "")


def _find_in_thread(
    client: WebClient, *, channel: str, thread_ts: str, filename: str
) -> sender.Result | None:
    try:
        answer = client.conversations_replies(channel=channel, ts=thread_ts, limit=200)
    except Exception as error:
        return sender.classify(error)
    for message in answer.get("messages") or []:
        if any(f.get("name") == filename for f in message.get("files") or []):
            return sender.Result(sender.SendStatus.sent, channel=channel, ts=thread_ts)
    return None


def send_file_by_dm(
    client: WebClient, *, user_id: str, content: bytes, filename: str, title: str, comment: str
) -> None:
    """Send a file to ``user_id`` in the bot's DM with them (a member of another organisation in a
    shared channel included). Raises SlackApiError when Slack refuses."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    client.files_upload_v2(
        channel=channel, content=content, filename=filename, title=title, initial_comment=comment
    )


def queue_data(ts: str) -> dict[str, Any]:
    return {"thread_ts": ts}
