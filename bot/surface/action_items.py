"""The Slack face of action items (SPEC §5, §7): what each ``/action`` subcommand, button and modal
does, as functions of a session and plain values that return an ``Outcome`` for the listener to
deliver: a reply for the user, a modal to open, the item that changed.

The rules (who may change what, what is valid) live in ``bot.action_items.flows``; this module picks the
committee, reads the user's zone and locale, calls those flows and renders the answer. After a change
is committed, ``after_action_committed`` edits the messages already posted
about it and refreshes the App Home of the people concerned.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.action_items import modals, views
from bot.action_items.assignment import NOTE_KINDS
from bot.action_items.flows import create_action, is_workspace_admin
from bot.action_items.people import clear_away, set_away
from bot.core.commands import Command, parse_command
from bot.core.dates import parse_date
from bot.core.parsing import parse_add
from bot.delivery.edits import refresh
from bot.delivery.tick import send_now
from bot.slack import view_kit
from bot.slack.outcome import Outcome, Reply, reply
from bot.slack.payloads import ActionModal
from bot.slack.users import Person
from bot.surface.action_changes import done, mute, postpone, reassign
from bot.surface.action_modals import open_edit, pick_committee
from bot.surface.home import home_refresher
from bot.surface.item_replies import created, form_of
from bot.text.errors import text as error_text
from bot.text.render import render
from storage.committees import committee_by_channel
from storage.db import write_session
from storage.home import committee_ids_of, open_actions_page
from storage.models import Committee, id_of

log = logging.getLogger(__name__)


# -- /action ---------------------------------------------------------------------------------


def run_command(
    session: Session, client: WebClient, *, text: str, person: Person, channel: str | None, now: datetime
) -> Outcome:
    """One ``/action`` command typed by ``person`` in ``channel``."""
    command = parse_command(text, locale=person.locale)
    committee = committee_by_channel(session, channel=channel) if channel else None
    if command.name == "modal":
        if committee is None:
            return pick_committee(session, person=person, text="", channel=channel)
        return Outcome(
            modal=modals.action_modal(
                ActionModal(committee_id=committee.id, channel=channel), locale=person.locale
            )
        )
    if command.name == "add":
        return add(
            session, client, command=command, person=person, committee=committee, channel=channel, now=now
        )
    if command.name == "list":
        return list_items(session, command=command, person=person, committee=committee, now=now)
    if command.name == "help":
        return Outcome(
            reply=reply(render(person.locale, "action_help", usage=error_text("usage", person.locale)))
        )
    if command.name == "away":
        return away(session, command=command, person=person, now=now)
    assert command.action_id is not None  # done, snooze, assign and edit all name an item
    if command.name == "done":
        return done(session, action_id=command.action_id, person=person, now=now)
    if command.name == "snooze":
        until = parse_date(command.text, now=now, tz=person.tz, locale=person.locale)
        return mute(session, action_id=command.action_id, until=until, person=person, now=now)
    if command.name == "postpone":
        due = parse_date(command.text, now=now, tz=person.tz, locale=person.locale)
        return postpone(session, action_id=command.action_id, due=due, person=person, now=now)
    if command.name == "assign":
        assert command.user is not None
        return reassign(
            session, client, action_id=command.action_id, new_owner=command.user, person=person, now=now
        )
    if command.name == "edit":
        return open_edit(session, action_id=command.action_id, person=person, channel=channel)
    raise AssertionError(f"parse_command returned an unknown subcommand {command.name!r}")


def add(
    session: Session,
    client: WebClient,
    *,
    command: Command,
    person: Person,
    committee: Committee | None,
    channel: str | None,
    now: datetime,
) -> Outcome:
    """``/action add``: create at once when owner, due date and title are there, else open the modal
    pre-filled; in a channel without a committee, offer to pick one."""
    draft = parse_add(command.text, now=now, tz=person.tz, locale=person.locale)
    if committee is None:
        return pick_committee(session, person=person, text=command.text, channel=channel)
    if draft.missing:
        meta = ActionModal(committee_id=committee.id, channel=channel)
        return Outcome(modal=modals.action_modal(meta, locale=person.locale, form=form_of(draft)))
    assert draft.owner is not None and draft.due is not None
    action = create_action(
        session,
        title=draft.title,
        owner=draft.owner,
        creator=person.user_id,
        due=draft.due,
        priority=draft.priority,
        committee_id=committee.id,
        now=now,
        today=person.today(now),
    )
    return created(session, action, committee, person, now=now)


def list_items(
    session: Session, *, command: Command, person: Person, committee: Committee | None, now: datetime
) -> Outcome:
    """``/action list [mine|overdue|all|<@U…>]`` as an ephemeral list.

    In a committee's channel the list covers that committee; elsewhere, the committees the user
    sits on and the items they own (workspace admins see every committee).
    """
    if committee is not None:
        scope_ids: list[int] | None
        scope_ids, also_owned_by = [id_of(committee)], None
    elif is_workspace_admin(session, person.user_id):
        scope_ids, also_owned_by = None, None
    else:
        scope_ids, also_owned_by = committee_ids_of(session, user_id=person.user_id), person.user_id
    limit = views.LIST_LIMIT
    if command.scope == "mine":
        items, total = open_actions_page(session, owner=person.user_id, limit=limit)
    elif command.scope == "user":
        items, total = open_actions_page(session, owner=command.user, committee_ids=scope_ids, limit=limit)
    elif command.scope == "overdue":
        items, total = open_actions_page(
            session,
            committee_ids=scope_ids,
            also_owned_by=also_owned_by,
            due_before=person.today(now),
            limit=limit,
        )
    else:
        items, total = open_actions_page(
            session, committee_ids=scope_ids, also_owned_by=also_owned_by, limit=limit
        )
    heading = render(
        person.locale,
        "action_list_heading",
        scope=command.scope,
        user=command.user,
        committee=committee,
        total=total,
    )
    blocks = views.action_list(items, locale=person.locale, tz=person.tz, heading=heading, total=total)
    return Outcome(reply=Reply(text=heading, blocks=view_kit.as_dicts(blocks)))


def away(session: Session, *, command: Command, person: Person, now: datetime) -> Outcome:
    """``/action away until <date>`` / ``/action away off``."""
    if command.away_off:
        clear_away(session, user_id=person.user_id, now=now)
        return Outcome(reply=reply(render(person.locale, "action_away", until=None, tz=person.tz)))
    until = parse_date(command.text, now=now, tz=person.tz, locale=person.locale)
    set_away(session, user_id=person.user_id, until=until, now=now, today=person.today(now))
    return Outcome(reply=reply(render(person.locale, "action_away", until=until, tz=person.tz)))


# -- buttons and selects ---------------------------------------------------------------------


# -- modal submissions -----------------------------------------------------------------------


# -- after a change --------------------------------------------------------------------------


def after_action_committed(
    engine: Engine, client: WebClient, *, action_id: int, now: datetime, users: Iterable[str]
) -> None:
    """Once a change of an item is committed (its chase re-planned with it): edit the messages already
    posted about it, and refresh the App Home of ``users`` (an App Home lists the items one owns).
    Never raises: the change itself is done, and the scheduler re-reads the item before it sends
    anything; a failure is logged with a reference."""
    try:
        with write_session(engine) as session:
            refresh(session, client, action_id=action_id, now=now)
    except Exception:
        log.exception("after change of action A%s: refresh failed (ref %s)", action_id, secrets.token_hex(3))
    try:
        # The owner's assignment DM (and the previous owner's note) were queued with the change.
        send_now(engine, client, action_id=action_id, kinds=NOTE_KINDS, now=now)
    except Exception:
        log.exception(
            "after change of action A%s: assignment DMs left to the next tick (ref %s)",
            action_id,
            secrets.token_hex(3),
        )
    for user_id in dict.fromkeys(u for u in users if u):
        try:
            home_refresher.publish(engine, client, user_id=user_id, now=now)
        except Exception:
            log.exception(
                "after change of action A%s: App Home of %s not published (ref %s)",
                action_id,
                user_id,
                secrets.token_hex(3),
            )


# -- helpers ---------------------------------------------------------------------------------
