"""Buttons on the meeting messages: Add a topic, Mark deck shared, Submit minutes, Approve,
Request changes, Restore (each carries a ``MeetingRef``); and the buttons of the move, cancel and
restore answers: confirm or pick an occurrence (``OccurrenceChoice``), keep it as it is."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.payloads import MeetingRef, load
from bot.surface import meeting_changes as changes
from bot.surface import meetings as surface
from handlers.common import channel_of, now_of, run_flow


def register(app: App) -> None:
    app.action(ids.BTN_ADD_TOPIC)(on_add_topic)
    app.action(ids.BTN_DECK_SHARED)(on_deck_shared)
    app.action(ids.BTN_SUBMIT_MINUTES)(on_submit_minutes)
    app.action(ids.BTN_MINUTES_APPROVE)(on_approve)
    app.action(ids.BTN_MINUTES_CHANGES)(on_request_changes)
    app.action(ids.BTN_MEETING_RESTORE)(on_restore)
    app.action(ids.BTN_MEETING_CONFIRM)(on_confirm)
    app.action(ids.BTN_MEETING_KEEP)(on_keep)


def on_add_topic(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    ref = load(MeetingRef, action.get("value"))
    run_flow(
        lambda session, person: surface.open_topic(
            session, meeting_id=ref.meeting_id, person=person, channel=channel_of(body), now=now_of(context)
        ),
        body=body, client=client, context=context,
    )  # fmt: skip


def on_deck_shared(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    ref = load(MeetingRef, action.get("value"))
    run_flow(
        lambda session, person: surface.open_deck(
            session, meeting_id=ref.meeting_id, person=person, channel=channel_of(body)
        ),
        body=body, client=client, context=context,
    )  # fmt: skip


def on_submit_minutes(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    ref = load(MeetingRef, action.get("value"))
    run_flow(
        lambda session, person: surface.open_minutes(
            session, meeting_id=ref.meeting_id, person=person, channel=channel_of(body), now=now_of(context)
        ),
        body=body, client=client, context=context,
    )  # fmt: skip


def on_approve(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    ack()
    ref = load(MeetingRef, action.get("value"))
    run_flow(
        lambda session, person: surface.approve(
            session, meeting_id=ref.meeting_id, person=person, now=now_of(context), version=ref.version
        ),
        body=body, client=client, context=context, respond=respond,
    )  # fmt: skip


def on_request_changes(
    ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient, context: BoltContext
) -> None:
    ack()
    ref = load(MeetingRef, action.get("value"))
    run_flow(
        lambda session, person: surface.open_changes(
            session, meeting_id=ref.meeting_id, person=person, channel=channel_of(body), version=ref.version
        ),
        body=body, client=client, context=context,
    )  # fmt: skip


def on_restore(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """Restore, on a cancellation notice (chair or admin)."""
    ack()
    ref = load(MeetingRef, action.get("value"))
    run_flow(
        lambda session, person: changes.restore_button(
            session, meeting_id=ref.meeting_id, person=person, now=now_of(context)
        ),
        body=body, client=client, context=context, respond=respond,
    )  # fmt: skip


def on_confirm(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """A button naming one occurrence: confirm the cancellation, or the occurrence picked."""
    ack()
    value = action.get("value") or ""
    run_flow(
        lambda session, person: changes.confirmed(session, value=value, person=person, now=now_of(context)),
        body=body, client=client, context=context, respond=respond,
    )  # fmt: skip


def on_keep(
    ack: Ack,
    body: dict[str, Any],
    action: dict[str, Any],
    client: WebClient,
    respond: Respond,
    context: BoltContext,
) -> None:
    """Keep it: nothing changes."""
    ack()
    value = action.get("value") or ""
    run_flow(
        lambda session, person: changes.kept(session, value=value, person=person),
        body=body, client=client, context=context, respond=respond,
    )  # fmt: skip
