"""Meeting modal submissions: topic, deck, minutes, request changes, move.

Each validates and saves before it acks: a refusal comes back as ``response_action: errors`` under
the fields at fault (through the error handler), and the modal closes only once the change is saved.
The confirmation, the edits of earlier messages and the App Homes follow the ack.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.slack import ids
from bot.slack.payloads import MeetingForm, MoveForm, load
from bot.slack.users import Person
from bot.surface import meetings as surface
from handlers.common import deliver, engine_of, now_of, unit_of_work, user_of, who

Submit = Callable[..., surface.Outcome]


def register(app: App) -> None:
    app.view(ids.VIEW_TOPIC)(submitted(surface.submit_topic, MeetingForm))
    app.view(ids.VIEW_DECK)(submitted(surface.submit_deck, MeetingForm))
    app.view(ids.VIEW_MINUTES)(submitted(surface.submit_minutes, MeetingForm))
    app.view(ids.VIEW_MINUTES_CHANGES)(submitted(surface.submit_changes, MeetingForm))
    app.view(ids.VIEW_MOVE)(submitted(surface.submit_move, MoveForm))


def submitted(submit: Submit, form: type[MeetingForm] | type[MoveForm]) -> Callable[..., None]:
    """The listener of one meeting modal: save through ``submit``, ack, then confirm and refresh."""

    def on_submitted(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: BoltContext
    ) -> None:
        metadata = view.get("private_metadata") or ""
        channel = (load(MeetingForm, metadata) if form is MeetingForm else load(MoveForm, metadata)).channel
        person: Person = who(context, client, user_of(body))
        with unit_of_work(engine_of(context)) as session:
            outcome = submit(session, metadata=metadata, view=view, person=person, now=now_of(context))
        ack()
        deliver(outcome, body=body, client=client, context=context, channel=channel)

    on_submitted.__name__ = f"on_{submit.__name__}"
    return on_submitted
