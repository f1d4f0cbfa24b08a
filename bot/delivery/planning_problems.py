"""The wording of a planning problem told to the admins (SPEC §9): which committee, which subject
in plain words (an action item's public id and title, a meeting's date), and what to do about it.

The subject is the planner's (``bot.planning.plan_guard``): ``action:12``,
``meeting:<committee>:<series instant>``, ``committee:<committee>`` (its series), ``digest:<committee>``.
It is read again when the message is built, so an edited title shows in the next edit.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.slack import blocks as bk
from bot.text.render import slack_date
from storage.committees import get_committee
from storage.models import ActionItem

TEMPLATE = "admin_planning"


def committee_words(session: Session, locale: str, key: str | None) -> str:
    """The committee of ``key`` in words (its name and key), in ``locale``."""
    committee = get_committee(session, key=key) if key else None
    if committee is None:
        return bk.piece(locale, TEMPLATE, "no_committee") if not key else f"`{key}`"
    return bk.piece(locale, TEMPLATE, "committee", name=committee.name, key=committee.key)


def subject_words(session: Session, locale: str, subject: str, *, tz: str) -> tuple[str, str]:
    """The subject in plain words and what to do about it, in ``locale``."""
    kind, _, rest = subject.partition(":")
    if kind == "action" and rest.isdigit():
        public_id = f"A{rest}"
        item = session.get(ActionItem, int(rest))
        fix = bk.piece(locale, TEMPLATE, "fix_action", public_id=public_id)
        if item is None:
            return bk.piece(locale, TEMPLATE, "subject_action_gone", public_id=public_id), fix
        due = item.due.isoformat() if item.due else None
        words = bk.piece(locale, TEMPLATE, "subject_action", public_id=public_id, title=item.title, due=due)
        return words, fix
    fix = bk.piece(locale, TEMPLATE, "fix_config")
    if kind == "meeting":
        when = rest.partition(":")[2]
        try:
            label = slack_date(datetime.fromisoformat(when), fallback_tz=tz)
        except ValueError:
            label = f"`{when}`"
        return bk.piece(locale, TEMPLATE, "subject_meeting", when=label), fix
    if kind == "committee":
        return bk.piece(locale, TEMPLATE, "subject_series"), fix
    if kind == "digest":
        return bk.piece(locale, TEMPLATE, "subject_digest"), fix
    return bk.piece(locale, TEMPLATE, "subject_other", subject=subject), fix
