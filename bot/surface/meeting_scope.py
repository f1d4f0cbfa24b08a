"""Which committee a ``/committee`` command is about, wherever it is typed (SPEC §7).

In a committee's channel the committee is implied; elsewhere (a DM included) the user gives its key
as the first word after the subcommand (``/committee next production``), or picks among their own
committees (chair, secretary, deck owner, member; every committee for a workspace admin).
"""

from __future__ import annotations

from sqlmodel import Session

from bot.action_items.flows import is_workspace_admin
from bot.meetings import change_views as views
from bot.slack.outcome import Outcome
from bot.slack.users import Person
from bot.text.errors import NoCommittee
from storage.committees import committee_by_channel, get_committee, list_committees
from storage.home import committee_ids_of
from storage.models import Committee


def committee_for(
    session: Session,
    *,
    text: str,
    channel: str | None,
    user_id: str,
    locale: str | None,
    committee_id: int | None = None,
) -> tuple[Committee | None, str]:
    """The committee a command is about and the rest of its text (the key taken off); None when the
    user must pick one. Raises ``NoCommittee`` when the user is on no committee at all."""
    if committee_id is not None:
        picked = session.get(Committee, committee_id)
        if picked is not None and picked.active:
            return picked, text
    first, _, rest = text.partition(" ")
    if first:
        keyed = get_committee(session, key=first.lower()) or get_committee(session, key=first)
        if keyed is not None and keyed.active:
            return keyed, rest.strip()
    here = committee_by_channel(session, channel=channel) if channel else None
    if here is not None:
        return here, text
    mine = committees_of(session, user_id=user_id)
    if len(mine) == 1:
        return mine[0], text
    if not mine:
        # In a channel: it has no committee; elsewhere (a DM): the user is on none.
        raise NoCommittee(
            key=None if channel and channel.startswith(("C", "G")) else "no_committee_of_yours", locale=locale
        )
    return None, text


def committees_of(session: Session, *, user_id: str) -> list[Committee]:
    """The active committees ``user_id`` sits on; every active one for a workspace admin."""
    if is_workspace_admin(session, user_id):
        return list_committees(session)
    ids = set(committee_ids_of(session, user_id=user_id))
    return [c for c in list_committees(session) if c.id in ids]


def picker(session: Session, *, sub: str, text: str, person: Person, channel: str | None) -> Outcome:
    """The ephemeral committee picker; picking one runs the command for it."""
    committees = committees_of(session, user_id=person.user_id)
    return Outcome(
        reply=views.committee_picker(committees, sub=sub, text=text, channel=channel, locale=person.locale)
    )
