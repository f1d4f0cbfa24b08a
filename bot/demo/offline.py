"""An offline Slack Web API client for ``committee-bot demo``: nothing leaves the process.

``OfflineSlack`` is a real ``slack_sdk.WebClient`` (so the dispatcher and the flows use it exactly as
they use the network client) whose ``api_call`` answers the way Slack does instead of making a
request: ``ok``, a ``ts`` taken from the simulated clock, the ``channel`` (a DM to a user lands in a
``D…`` conversation, as on Slack), errors in the body as ``SlackApiError``. Every call is recorded, and
every message posted is kept with its later edits and deletion, so the demo can print what users would
have seen and when.

It only knows the methods the bot uses (chat.*, conversations.open/history/info, users.info,
auth.test, views.publish); any other method answers ``unknown_method``, like Slack does for a typo.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web.file_upload_v2_result import FileUploadV2Result
from slack_sdk.web.slack_response import SlackResponse

OFFLINE_API_URL = "https://offline.slack.invalid/api/"
OFFLINE_TOKEN = "xoxb-offline-demo"


@dataclass
class Call:
    """One API call: method, its arguments, the simulated time it was made at, and the answer."""

    method: str
    params: dict[str, Any]
    at: datetime
    response: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))


@dataclass
class Message:
    """A message as Slack keeps it; ``channel`` is the conversation (``D…`` for a DM), ``to`` the
    channel or user id the bot addressed."""

    channel: str
    to: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    posted_at: datetime
    thread_ts: str | None = None
    edited_at: datetime | None = None
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, oldest first


class OfflineSlack(WebClient):
    """A ``WebClient`` that answers like Slack without any network.

    ``clock`` gives the simulated time (aware): message ``ts`` values are its epoch seconds plus a
    counter, so they sort and read like Slack's. ``users`` maps user ids to ``users.info`` profiles
    (``name``, ``real_name``, ``tz``, ``locale``…); unknown users answer ``user_not_found``.
    ``listener``, if given, is called with every ``Call`` once answered.
    """

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        users: Mapping[str, Mapping[str, Any]] | None = None,
        team_id: str = "T0DEMO",
        bot_user: str = "U0BOT",
        listener: Callable[[Call], None] | None = None,
    ) -> None:
        # No retry handlers: nothing can fail in transit, and the dispatcher keeps this client as it is.
        super().__init__(token=OFFLINE_TOKEN, base_url=OFFLINE_API_URL, retry_handlers=[])
        self.clock = clock
        self.team_id = team_id
        self.bot_user = bot_user
        self.listener = listener
        self.users: dict[str, dict[str, Any]] = {
            uid: _profile(uid, dict(info), team_id) for uid, info in (users or {}).items()
        }
        self.calls: list[Call] = []
        self.messages: list[Message] = []
        # Files of the external upload flow, by id: filename, content, and where they were shared.
        self.files: dict[str, dict[str, Any]] = {}
        self._sequence = 0

    # -- the one entry point every WebClient method goes through -------------------------------

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict | None = None,
        data: dict | None = None,
        params: dict | None = None,
        json: dict | None = None,
        headers: dict | None = None,
        auth: dict | None = None,
    ) -> SlackResponse:
        arguments: dict[str, Any] = {}
        for part in (params, data, json):
            if part:
                arguments.update(part)
        now = self.clock()
        handler = getattr(self, "_api_" + api_method.replace(".", "_"), None)
        body = handler(arguments, now) if handler else {"ok": False, "error": "unknown_method"}
        call = Call(api_method, arguments, now, body)
        self.calls.append(call)
        if self.listener is not None:
            self.listener(call)
        response = SlackResponse(
            client=self,
            http_verb=http_verb,
            api_url=self.base_url + api_method,
            req_args={"params": params, "data": data, "json": json, "headers": headers or {}},
            data=body,
            headers={},
            status_code=200,
        )
        return response.validate()  # raises SlackApiError on ok: false, as WebClient does

    # -- inspection ----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def visible(self, conversation: str | None = None) -> list[Message]:
        """Messages not deleted, oldest first (optionally of one conversation, ``C…``, ``D…`` or ``U…``)."""
        return [
            m
            for m in self.messages
            if not m.deleted and (conversation is None or conversation in (m.channel, m.to))
        ]

    def find(self, channel: str | None, ts: str | None) -> Message | None:
        for message in self.messages:
            if (
                message.ts == ts
                and not message.deleted
                and (channel is None or channel in (message.channel, message.to))
            ):
                return message
        return None

    @staticmethod
    def dm_id(user_id: str) -> str:
        """The DM conversation id of a user (stable: ``U06ABC`` → ``D06ABC``)."""
        return "D" + user_id[1:]

    def user_of_dm(self, channel: str) -> str | None:
        """The user a ``D…`` conversation is with, or None for any other id."""
        if channel.startswith("D"):
            return "U" + channel[1:]
        return None

    # -- answers -------------------------------------------------------------------------------

    def _next_ts(self, now: datetime) -> str:
        self._sequence += 1
        return f"{int(now.astimezone(UTC).timestamp())}.{self._sequence:06d}"

    def _conversation(self, channel: str | None) -> tuple[str | None, str | None]:
        """(conversation id, error): users get their DM, deactivated users ``user_disabled``."""
        if not channel:
            return None, "channel_not_found"
        if channel[:1] in ("U", "W"):
            user = self.users.get(channel)
            if user is not None and user.get("deleted"):
                return None, "user_disabled"
            return self.dm_id(channel), None
        return channel, None

    def _api_auth_test(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://offline.slack.invalid/",
            "team": "Demo",
            "user": "committee-bot",
            "team_id": self.team_id,
            "user_id": self.bot_user,
            "bot_id": "B0BOT",
        }

    def _api_api_test(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        return {"ok": True, "args": args}

    def _api_chat_postMessage(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        to = str(args.get("channel") or "")
        conversation, error = self._conversation(to)
        if error:
            return {"ok": False, "error": error}
        blocks = _blocks(args.get("blocks"))
        if not args.get("text") and not blocks:
            return {"ok": False, "error": "no_text"}
        if len(blocks) > 50:
            return {"ok": False, "error": "invalid_blocks", "errors": ["must provide no more than 50 items"]}
        assert conversation is not None
        message = Message(
            channel=conversation,
            to=to,
            ts=self._next_ts(now),
            text=str(args.get("text") or ""),
            blocks=blocks,
            metadata=_json_field(args.get("metadata")),
            posted_at=now,
            thread_ts=args.get("thread_ts"),
        )
        self.messages.append(message)
        return {"ok": True, "channel": conversation, "ts": message.ts, "message": self._as_slack(message)}

    def _api_chat_postEphemeral(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        _, error = self._conversation(args.get("channel"))
        if error:
            return {"ok": False, "error": error}
        return {"ok": True, "message_ts": self._next_ts(now)}

    def _api_chat_update(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        message = self.find(args.get("channel"), args.get("ts"))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.edits.append(
            {"text": message.text, "blocks": message.blocks, "at": message.edited_at or message.posted_at}
        )
        if "text" in args:
            message.text = str(args["text"] or "")
        if "blocks" in args:
            message.blocks = _blocks(args["blocks"])
        if "metadata" in args:
            message.metadata = _json_field(args["metadata"])
        message.edited_at = now
        return {
            "ok": True,
            "channel": message.channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._as_slack(message),
        }

    def _api_chat_delete(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        message = self.find(args.get("channel"), args.get("ts"))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.deleted = True
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _api_chat_getPermalink(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        channel, ts = str(args.get("channel") or ""), str(args.get("message_ts") or "")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://offline.slack.invalid/archives/{channel}/p{ts.replace('.', '')}",
        }

    def _api_conversations_open(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        conversation, error = self._conversation(users[0])
        if error:
            return {"ok": False, "error": error}
        return {"ok": True, "channel": {"id": conversation}}

    def _api_conversations_info(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        return {"ok": True, "channel": {"id": channel, "is_archived": False, "is_member": True}}

    def _api_conversations_history(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        conversation, _ = self._conversation(args.get("channel"))
        oldest = float(args.get("oldest") or 0)
        found = [m for m in self.visible(conversation) if float(m.ts) >= oldest]
        found.sort(key=lambda m: float(m.ts), reverse=True)
        limit = int(args.get("limit") or 100)
        return {
            "ok": True,
            "messages": [self._as_slack(m) for m in found[:limit]],
            "has_more": len(found) > limit,
        }

    def _upload_file(self, *, url: str, data: bytes, **_: Any) -> Any:
        """The upload POST of ``files_upload_v2``, kept in memory instead of sent over the network."""
        file_id = url.rsplit("/", 1)[-1]
        if file_id in self.files:
            self.files[file_id]["content"] = data
        return FileUploadV2Result(status=200 if file_id in self.files else 404, body="OK")

    def _api_files_getUploadURLExternal(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        self._sequence += 1
        file_id = f"F{self._sequence:08d}"
        self.files[file_id] = {"id": file_id, "name": args.get("filename"), "content": None}
        return {"ok": True, "file_id": file_id, "upload_url": f"{OFFLINE_API_URL}upload/{file_id}"}

    def _api_files_completeUploadExternal(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        entries = _json_field(args.get("files")) or []
        shared = []
        for entry in entries:
            upload = self.files.get(str(entry.get("id")))
            if upload is None or upload["content"] is None:
                return {"ok": False, "error": "file_not_found"}
            upload.update(
                title=entry.get("title"), channel=args.get("channel_id"), thread_ts=args.get("thread_ts")
            )
            shared.append({"id": upload["id"], "name": upload["name"], "title": upload["title"]})
        return {"ok": True, "files": shared}

    def _api_conversations_replies(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        channel, ts = args.get("channel"), args.get("ts")
        files = [
            {"id": f["id"], "name": f["name"]}
            for f in self.files.values()
            if f.get("channel") == channel and f.get("thread_ts") == ts
        ]
        return {"ok": True, "messages": [{"ts": ts, "files": files}] if files else [], "has_more": False}

    def _api_users_info(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _api_views_publish(self, args: dict[str, Any], now: datetime) -> dict[str, Any]:
        view = _json_field(args.get("view")) or {}
        return {"ok": True, "view": {**view, "id": f"VH{args.get('user_id', '')}"}}

    def _as_slack(self, message: Message) -> dict[str, Any]:
        result: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user,
            "bot_id": "B0BOT",
            "text": message.text,
            "ts": message.ts,
            "blocks": message.blocks,
        }
        if message.metadata:
            result["metadata"] = message.metadata
        if message.edited_at:
            result["edited"] = {"user": self.bot_user, "ts": f"{int(message.edited_at.timestamp())}.000000"}
        return result


def _profile(user_id: str, info: dict[str, Any], team_id: str) -> dict[str, Any]:
    """A ``users.info`` user object from a few fields."""
    name = str(info.get("name") or user_id.lower())
    real_name = str(info.get("real_name") or name)
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "real_name": real_name,
        "deleted": bool(info.get("deleted", False)),
        "is_admin": bool(info.get("is_admin", False)),
        "is_bot": False,
        "tz": info.get("tz", "Europe/Paris"),
        "locale": info.get("locale", "fr-FR"),
        "profile": {"display_name": name, "real_name": real_name},
    }


def _json_field(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return jsonlib.loads(value)
        except jsonlib.JSONDecodeError:
            return None
    return value


def _blocks(value: Any) -> list[dict[str, Any]]:
    blocks = _json_field(value) or []
    return (
        [b.to_dict() if hasattr(b, "to_dict") else dict(b) for b in blocks]
        if isinstance(blocks, Iterable)
        else []
    )


__all__ = ["Call", "Message", "OfflineSlack", "SlackApiError"]
