"""The running Slack app for tests: FakeSlack, a migrated database with two committees, and the real
WSGI application on a real threaded HTTP server, driven with correctly signed requests.

``slack_app`` (a fixture in tests/conftest.py) runs once per database back end. The app's
clock is fixed at ``NOW`` (Tuesday 16 March 2027, 09:00 in Paris); Slack's signatures use real time.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from socketserver import ThreadingMixIn
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.slack.settings import Settings
from storage.models import ActionChange, ActionItem, Committee, CommitteeMember, SlackUser, WorkspaceSettings
from tests.support.fakeslack import FakeSlack, Message, blocks_text
from tests.support.slackhttp import (
    SIGNING_SECRET,
    Response,
    SlackSender,
    command_body,
    interaction_body,
    post,
    sign,
)

NOW = datetime(2027, 3, 16, 8, 0, tzinfo=UTC)  # Tuesday, 09:00 Europe/Paris
PROD, QUAL = "C0PROD", "C0QUAL"
CHAIR, SECRETARY, DECK, MARIE, PAUL, STRANGER, ADMIN, ANNA = (
    "U0CHAIR",
    "U0SEC",
    "U0DECK",
    "U123",
    "U0PAUL",
    "U0STRANGER",
    "U0ADMIN",
    "U0ANNA",
)
FEED_TOKEN = "feed-prod-0123456789"

T = TypeVar("T")


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    # Like gunicorn's backlog: tests send up to 50 requests at once (socketserver's default is 5).
    request_queue_size = 128


def seed(engine: Engine) -> dict[str, int]:
    """The workspace, two committees and the people of the tests; returns committee ids by key."""
    with Session(engine, expire_on_commit=False) as session:
        session.add(WorkspaceSettings(timezone="Europe/Paris", locale="fr", holidays="FR", admins=[ADMIN]))
        prod = Committee(
            key="production",
            name="Comité de production",
            kind="production",
            channel=PROD,
            cadence="weekly",
            first=datetime(2027, 1, 5, 10, 0),
            duration=60,
            timezone="Europe/Paris",
            locale="fr",
            chair=CHAIR,
            secretary=SECRETARY,
            deck_owner=DECK,
            feed_token=FEED_TOKEN,
        )
        qual = Committee(
            key="qualite",
            name="Comité qualité",
            kind="qualite",
            channel=QUAL,
            cadence="monthly",
            first=datetime(2027, 1, 7, 14, 0),
            duration=90,
            timezone="Europe/Paris",
            locale="fr",
            chair=ADMIN,
            secretary=SECRETARY,
            deck_owner=DECK,
            feed_token="feed-qual-0123456789",
        )
        session.add_all([prod, qual])
        session.flush()
        session.add_all(
            [
                CommitteeMember(committee_id=prod.id, user_id=MARIE),
                CommitteeMember(committee_id=prod.id, user_id=PAUL),
            ]
        )
        session.commit()
        return {"production": prod.id, "qualite": qual.id}  # type: ignore[dict-item]


def add_people(fake: FakeSlack) -> None:
    for user in (CHAIR, SECRETARY, DECK, MARIE, PAUL, STRANGER):
        fake.add_user(user, tz="Europe/Paris", locale="fr-FR")
    fake.add_user(ADMIN, tz="Europe/Paris", locale="fr-FR", is_admin=True)
    fake.add_user(ANNA, tz="America/New_York", locale="en-US")


@dataclass
class SlackApp:
    """The running app and what a test needs to talk to it and look at the result."""

    url: str
    fake: FakeSlack
    engine: Engine
    database: tuple[str, str | None]
    committees: dict[str, int]
    sender: SlackSender = field(init=False)
    _triggers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.sender = SlackSender(self.url)

    # -- requests --------------------------------------------------------------------------

    def command(
        self, text: str, *, user: str = CHAIR, channel: str = PROD, command: str = "/action"
    ) -> Response:
        """``/action <text>`` as Slack sends it, with a response URL on the fake."""
        return self.sender.command(
            command,
            text,
            user=user,
            channel=channel,
            trigger_id=self.trigger(),
            response_url=self.fake.response_url(channel, user),
        )

    def trigger(self) -> str:
        return f"trig-{next(self._triggers)}"

    def click(
        self,
        block: dict[str, Any],
        element: dict[str, Any],
        *,
        user: str,
        channel: str | None = PROD,
        option: int | None = None,
        home: bool = False,
    ) -> Response:
        """Press a button (or pick option ``option`` of a select) as ``user``."""
        action: dict[str, Any] = {
            "action_id": element["action_id"],
            "block_id": block.get("block_id", ""),
            "type": element["type"],
            "action_ts": "1800000000.1",
        }
        if option is not None:
            action["selected_option"] = element["options"][option]
        else:
            action["value"] = element.get("value", "")
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
            "api_app_id": "A0APP",
            "team": {"id": "T0TEAM", "domain": "fake"},
            "trigger_id": self.trigger(),
            "actions": [action],
        }
        if home:
            payload["container"] = {"type": "view", "view_id": f"VH{user}"}
            payload["view"] = {"id": f"VH{user}", "type": "home", "blocks": []}
        else:
            assert channel is not None
            payload["container"] = {
                "type": "message",
                "channel_id": channel,
                "message_ts": "1800000000.000001",
                "is_ephemeral": True,
            }
            payload["channel"] = {"id": channel, "name": "x"}
            payload["response_url"] = self.fake.response_url(channel, user)
        return self.sender.interaction(payload)

    def submit(self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str) -> Response:
        """Submit a modal the app opened, with ``values`` as ``{block_id: element value}``."""
        payload = {
            "type": "view_submission",
            "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
            "api_app_id": "A0APP",
            "team": {"id": "T0TEAM", "domain": "fake"},
            "trigger_id": self.trigger(),
            "view": {
                "id": view["id"],
                "type": "modal",
                "callback_id": view["callback_id"],
                "private_metadata": view.get("private_metadata", ""),
                "blocks": view["blocks"],
                "state": {"values": {block: {"value": value} for block, value in values.items()}},
                "hash": view.get("hash", "h"),
            },
        }
        return self.sender.interaction(payload)

    def shortcut(
        self, *, text: str, user: str = CHAIR, channel: str = PROD, ts: str = "1800000000.000042"
    ) -> Response:
        payload = {
            "type": "message_action",
            "callback_id": "create_action_item",
            "user": {"id": user, "name": user.lower()},
            "team": {"id": "T0TEAM", "domain": "fake"},
            "channel": {"id": channel, "name": "x"},
            "message": {"type": "message", "user": MARIE, "text": text, "ts": ts},
            "message_ts": ts,
            "trigger_id": self.trigger(),
            "response_url": self.fake.response_url(channel, user),
        }
        return self.sender.interaction(payload)

    def home_opened(self, user: str) -> Response:
        return self.sender.event(
            {
                "type": "app_home_opened",
                "user": user,
                "channel": "D0" + user,
                "tab": "home",
                "event_ts": "1800000000.1",
            }
        )

    # -- what happened ---------------------------------------------------------------------

    def wait(self, probe: Callable[[], T], *, timeout: float = 5.0, what: str = "") -> T:
        """Poll ``probe`` until it returns something truthy (the app works after its ack)."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or probe}")
            time.sleep(0.01)

    def reply(self, user: str = CHAIR, *, after: int = 0) -> Message:
        """The next ephemeral answer ``user`` gets (the ``after``-th and later)."""
        return self.wait(
            lambda: [m for m in self.fake.ephemerals(user) if not m.deleted][after:],
            what=f"a reply to {user}",
        )[0]

    def reply_text(self, user: str = CHAIR, *, after: int = 0) -> str:
        message = self.reply(user, after=after)
        return message.text + "\n" + blocks_text(message.blocks)

    def modal(self, *, after: int = 0) -> dict[str, Any]:
        """The next modal the app opened."""
        return self.wait(lambda: list(self.fake.views.values())[after:], what="a modal")[0]

    def home(self, user: str) -> dict[str, Any]:
        return self.wait(lambda: self.fake.home.get(user), what=f"the App Home of {user}")

    def actions(self) -> list[ActionItem]:
        with Session(self.engine) as session:
            return list(session.exec(select(ActionItem).order_by(ActionItem.id)))

    def action(self, action_id: int) -> ActionItem:
        with Session(self.engine) as session:
            found = session.get(ActionItem, action_id)
            assert found is not None
            return found

    def history(self, action_id: int) -> list[ActionChange]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(ActionChange).where(ActionChange.action_id == action_id).order_by(ActionChange.id)
                )
            )

    def user(self, user_id: str) -> SlackUser | None:
        with Session(self.engine) as session:
            return session.get(SlackUser, user_id)

    def make_action(
        self,
        *,
        title: str = "Relancer le plan",
        owner: str = MARIE,
        creator: str = CHAIR,
        due: date = date(2027, 3, 19),
        committee: str = "production",
        status: str = "open",
    ) -> int:
        """An item written straight to the database (the arrangement of a test)."""
        with Session(self.engine, expire_on_commit=False) as session:
            item = ActionItem(
                title=title,
                owner=owner,
                creator=creator,
                due=due,
                priority="medium",
                status=status,
                committee_id=self.committees[committee],
                created_at=NOW,
                updated_at=NOW,
            )
            session.add(item)
            session.commit()
            return item.id  # type: ignore[return-value]


def find_element(blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The (block, element) of the first interactive element with ``action_id``."""
    for block in blocks:
        for element in block.get("elements", []) + ([block["accessory"]] if "accessory" in block else []):
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block, element
    raise AssertionError(f"no element {action_id} in {blocks}")


def app_settings(fake: FakeSlack, database: tuple[str, str | None]) -> Settings:
    return Settings(
        database_url=database[0],
        bot_token="xoxb-test",
        signing_secret=SIGNING_SECRET,
        app_token=None,
        slack_api_url=fake.api_url,
        port=0,
    )


__all__ = [
    "ADMIN",
    "ANNA",
    "CHAIR",
    "DECK",
    "FEED_TOKEN",
    "MARIE",
    "NOW",
    "PAUL",
    "PROD",
    "QUAL",
    "SECRETARY",
    "STRANGER",
    "SlackApp",
    "add_people",
    "app_settings",
    "command_body",
    "find_element",
    "interaction_body",
    "post",
    "seed",
    "sign",
]
