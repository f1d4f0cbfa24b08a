"""The kinds of notification the timelines plan, and which committees' minutes need approval."""

from __future__ import annotations

from storage.models import CommitteeKind

# Kinds planned before the meeting: they expire at T and move back to the previous business day.
PRE_MEETING_KINDS = (
    "save_the_date",
    "agenda_request",
    "deck_reminder",
    "agenda_published",
    "meeting_reminder",
)


# Kinds planned after the meeting: they move forward to the next business day and never expire.
POST_MEETING_KINDS = ("minutes_request", "minutes_reminder", "minutes_overdue")


MEETING_KINDS = PRE_MEETING_KINDS + POST_MEETING_KINDS


# Sent when the secretary submits (event-driven), never planned here.
EVENT_KINDS = ("minutes_approval",)


ACTION_KINDS = ("action_due_soon", "action_overdue", "action_escalation")


DIGEST_KIND = "weekly_digest"


# The minutes as a Word document, in the thread of the posted minutes (queued when they are posted,
# and again for each amended version).
MINUTES_DOCUMENT_KIND = "minutes_document"


def minutes_document_key(meeting_id: int, ts: str, version: int | None = None) -> str:
    """One document per posted minutes message, and one more per amended version."""
    key = f"m:{meeting_id}:{MINUTES_DOCUMENT_KIND}:{ts}"
    return f"{key}:v{version}" if version is not None else key


PLANNED_KINDS = MEETING_KINDS + ACTION_KINDS + (DIGEST_KIND,)


# Committee kinds whose minutes wait for the chair's approval unless the committee says otherwise.
APPROVAL_KINDS = (CommitteeKind.pilotage.value, CommitteeKind.strategique.value)
