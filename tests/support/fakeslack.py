"""A local fake of the Slack Web API, over real HTTP, for the test suite.

Point ``SLACK_API_URL`` (or ``WebClient(base_url=...)``) at ``FakeSlack.api_url``. It records every
call, answers like Slack does (``ok``, ``ts``, ``channel``, errors in the body, HTTP 429 with
``Retry-After``, HTTP 5xx) and keeps the messages it was asked to post, update or delete, so tests
assert on what a user would see.

Failures are scripted per method (``fail``, ``rate_limit``, ``server_error``) or at random
(``chaos``). A scripted failure is decided *before* anything is recorded, as Slack would reject the
call, unless ``after_effect=True``: then the message is posted and the answer still fails, the
window a crash-safe sender must close with message metadata.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

# Methods that change what users see; chaos only hits these (reads stay reliable).
MUTATING = {
    "chat.postMessage",
    "chat.update",
    "chat.delete",
    "chat.postEphemeral",
    "views.publish",
    "views.open",
    "views.update",
    "views.push",
}
# Errors Slack answers with HTTP 200 and ok=false.


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class Failure:
    method: str
    kind: str  # "error", "ratelimited", "server"
    error: str = ""
    times: int = 1
    retry_after: int = 1
    status: int = 500
    channel: str | None = None
    after_effect: bool = False


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    metadata: dict[str, Any] | None
    thread_ts: str | None = None
    user: str | None = None  # for ephemerals: who sees it
    ephemeral: bool = False
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # ids of files shared with this message


@dataclass
class UploadedFile:
    """A file of the external upload flow: reserved, then its bytes, then shared (or not)."""

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    comment: str | None = None

    @property
    def shared(self) -> bool:
        return self.channel is not None


class FakeSlack:
    """The fake Web API; use as a context manager or call ``start()``/``stop()``."""

    def __init__(self, *, team_id: str = "T0TEAM", bot_user: str = "U0BOT") -> None:
        self.team_id = team_id
        self.bot_user = bot_user
        self.calls: list[Call] = []
        self.messages_: list[Message] = []
        self.views: dict[str, dict[str, Any]] = {}  # view id -> view (modals)
        self.home: dict[str, dict[str, Any]] = {}  # user id -> published App Home view
        self.users: dict[str, dict[str, Any]] = {}
        self.archived: set[str] = set()
        self.missing: set[str] = set()
        self.not_in: set[str] = set()
        self.files: dict[str, UploadedFile] = {}
        # Slack Connect: channels shared with another organisation, and old ids of private channels
        # that became shared (the old id answers channel_not_found, as Slack does).
        self.shared_channels: dict[str, list[str]] = {}
        self.renamed: dict[str, str] = {}
        self._failures: list[Failure] = []
        self._chaos: tuple[float, random.Random, tuple[str, ...]] | None = None
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # Socket Mode: the app-level token apps.connections.open accepts, and the URL it answers.
        self.app_token = "xapp-test"
        self.socket_url = "ws://127.0.0.1:9/link/?ticket=none"
        self.delays: dict[str, float] = {}
        self.refused: set[str] = set()  # bot tokens Slack answers invalid_auth to

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                fake._handle(self)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def api_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def response_url(self, channel: str, user: str) -> str:
        """A ``response_url`` for a command or interaction of ``user`` in ``channel``: what the app
        posts there shows up as an ephemeral message (or edits/deletes the original)."""
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/response/{channel}/{user}"

    # -- scripting ---------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "Europe/Paris",
        locale: str = "fr-FR",
        deleted: bool = False,
        is_admin: bool = False,
        name: str | None = None,
        email: str | None = None,
    ) -> None:
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name or user_id.lower(),
            "real_name": name or user_id,
            "deleted": deleted,
            "is_admin": is_admin,
            "is_bot": False,
            "tz": tz,
            "tz_offset": 0,
            "locale": locale,
            "profile": {
                "display_name": name or user_id,
                "real_name": name or user_id,
                **({"email": email} if email else {}),
            },
        }

    def add_external_user(self, user_id: str, *, team_id: str = "T0OTHER", name: str | None = None) -> None:
        """A member of another organisation met through a shared channel (Slack Connect): Slack
        knows them as a stranger, with no time zone and no locale in ``users.info``."""
        self.users[user_id] = {
            "id": user_id,
            "team_id": team_id,
            "name": (name or user_id).lower(),
            "deleted": False,
            "is_admin": False,
            "is_bot": False,
            "is_stranger": True,
            "profile": {"display_name": name or user_id, "team": team_id},
        }

    def share_channel(self, channel: str, *, with_team: str = "T0OTHER", old_id: str | None = None) -> None:
        """``channel`` is shared with ``with_team``; ``old_id`` was its id while it was private
        (from now on that id answers ``channel_not_found``)."""
        self.shared_channels[channel] = [self.team_id, with_team]
        if old_id is not None:
            self.renamed[old_id] = channel
            self.missing.add(old_id)

    def uploaded(self, channel: str | None = None) -> list[UploadedFile]:
        """Files shared in a conversation (all shared files when ``channel`` is None)."""
        with self._lock:
            return [f for f in self.files.values() if f.shared and (channel is None or f.channel == channel)]

    def deactivate(self, user_id: str) -> None:
        self.users.setdefault(user_id, {"id": user_id})["deleted"] = True

    def archive(self, channel: str) -> None:
        self.archived.add(channel)

    def fail(
        self,
        method: str,
        error: str,
        *,
        times: int = 1,
        channel: str | None = None,
        after_effect: bool = False,
    ) -> None:
        """The next ``times`` calls of ``method`` (to ``channel``, if given) answer ``ok: false``."""
        self._failures.append(
            Failure(method, "error", error=error, times=times, channel=channel, after_effect=after_effect)
        )

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """The next ``times`` calls answer HTTP 429 with ``Retry-After``."""
        self._failures.append(Failure(method, "ratelimited", times=times, retry_after=retry_after))

    def server_error(
        self, method: str, *, status: int = 500, times: int = 1, after_effect: bool = False
    ) -> None:
        """The next ``times`` calls answer HTTP ``status`` (5xx)."""
        self._failures.append(
            Failure(method, "server", times=times, status=status, after_effect=after_effect)
        )

    def chaos(
        self, rate: float, *, seed: int = 0, methods: tuple[str, ...] = ("chat.postMessage", "chat.update")
    ) -> None:
        """Answer a share ``rate`` of calls to ``methods`` with 429 (Retry-After: 0) or 500, at random."""
        self._chaos = (rate, random.Random(seed), methods)

    def slow(self, method: str, seconds: float) -> None:
        """Answer every call of ``method`` (``response_url`` included) after ``seconds``."""
        self.delays[method] = seconds

    def calm(self) -> None:
        self._failures.clear()
        self._chaos = None

    # -- inspection --------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def messages(self, channel: str | None = None, *, include_ephemeral: bool = False) -> list[Message]:
        """Messages still visible, oldest first (a DM to U123 is listed under channel "U123")."""
        with self._lock:
            return [
                m
                for m in self.messages_
                if not m.deleted
                and (channel is None or m.channel == channel)
                and (include_ephemeral or not m.ephemeral)
            ]

    def ephemerals(self, user: str | None = None) -> list[Message]:
        with self._lock:
            return [m for m in self.messages_ if m.ephemeral and (user is None or m.user == user)]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.messages_.clear()
            self.views.clear()
            self.home.clear()
            self.files.clear()
        self.calm()

    # -- the API -----------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        method = request.path.rsplit("/", 1)[-1].split("?")[0]
        length = int(request.headers.get("Content-Length") or 0)
        if request.path.startswith("/upload/"):  # the upload URL of files.getUploadURLExternal
            self._receive_upload(request, method, request.rfile.read(length) if length else b"")
            return
        raw = request.rfile.read(length).decode() if length else ""
        params = _parse_params(request.headers.get("Content-Type", ""), raw)
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth else params.get("token")
        if request.path.startswith("/response/"):  # a response URL needs no token
            _, _, channel, user = request.path.split("?")[0].split("/")[:4]
            method, token = "response_url", "response_url"
            params = {**params, "channel": channel, "user": user}

        if method in self.delays:
            time.sleep(self.delays[method])
        status, headers, body = self._answer(method, params, token)
        with self._lock:
            self.calls.append(Call(method, params, token, status, body))
        payload = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json; charset=utf-8")
        request.send_header("Content-Length", str(len(payload)))
        for name, value in headers.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(payload)

    def _answer(
        self, method: str, params: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        if method != "api.test" and not token:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if method == "apps.connections.open" and token != self.app_token:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        if (
            method != "apps.connections.open"
            and token
            and token.startswith("xoxb-")
            and token in self.refused
        ):
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        failure = self._take_failure(method, params)
        if failure and not failure.after_effect:
            return _failure_answer(failure)
        with self._lock:
            body = self._dispatch(method, params)
        if failure:
            return _failure_answer(failure)
        return 200, {}, body

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        with self._lock:
            for failure in self._failures:
                if (
                    failure.method == method
                    and failure.times > 0
                    and (failure.channel is None or failure.channel == params.get("channel"))
                ):
                    failure.times -= 1
                    return failure
            if self._chaos:
                rate, rng, methods = self._chaos
                if method in methods and rng.random() < rate:
                    if rng.random() < 0.5:
                        return Failure(method, "ratelimited", retry_after=0)
                    return Failure(method, "server", status=500)
        return None

    def _dispatch(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(params)

    def _next_ts(self) -> str:
        return f"1800000000.{next(self._ts):06d}"

    def _channel_error(self, channel: str | None) -> str | None:
        if not channel:
            return "channel_not_found"
        if channel in self.missing:
            return "channel_not_found"
        if channel in self.archived:
            return "is_archived"
        if channel in self.not_in:
            return "not_in_channel"
        user = self.users.get(channel)
        if user and user.get("deleted"):
            return "user_disabled"
        return None

    def _api_response_url(self, params: dict[str, Any]) -> dict[str, Any]:
        """A post to a response URL: a new ephemeral (or in-channel) message, or an edit or
        deletion of the most recent ephemeral this user saw in this channel."""
        channel, user = params["channel"], params["user"]
        blocks = _json_field(params.get("blocks")) or []
        if params.get("delete_original") or params.get("replace_original"):
            previous = [
                m
                for m in self.messages_
                if m.ephemeral and m.channel == channel and m.user == user and not m.deleted
            ]
            if not previous:
                return {"ok": False, "error": "message_not_found"}
            original = previous[-1]
            if params.get("delete_original"):
                original.deleted = True
            else:
                original.edits.append({"text": original.text, "blocks": original.blocks})
                original.text, original.blocks = params.get("text", ""), blocks
            return {"ok": True}
        ephemeral = params.get("response_type", "ephemeral") != "in_channel"
        message = Message(
            str(channel),
            self._next_ts(),
            params.get("text", ""),
            blocks,
            None,
            user=user if ephemeral else None,
            ephemeral=ephemeral,
        )
        self.messages_.append(message)
        return {"ok": True}

    def _receive_upload(self, request: BaseHTTPRequestHandler, file_id: str, data: bytes) -> None:
        with self._lock:
            upload = self.files.get(file_id)
            if upload is not None:
                upload.content = data
            self.calls.append(Call("upload", {"file_id": file_id, "bytes": len(data)}, None))
        status = 200 if upload is not None else 404
        body = f"OK - {len(data)}".encode() if upload is not None else b"not found"
        request.send_response(status)
        request.send_header("Content-Type", "text/plain")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        filename, length = params.get("filename"), params.get("length")
        if not filename or not str(length or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        assert self._server is not None
        file_id = f"F{next(self._ids):08d}"
        self.files[file_id] = UploadedFile(file_id, filename, int(str(length)))
        url = f"http://127.0.0.1:{self._server.server_address[1]}/upload/{file_id}"
        return {"ok": True, "upload_url": url, "file_id": file_id}

    def _api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = _json_field(params.get("files")) or []
        channel, thread_ts = params.get("channel_id"), params.get("thread_ts")
        if not entries:
            return {"ok": False, "error": "invalid_arguments"}
        uploads = []
        for entry in entries:
            upload = self.files.get(entry.get("id", ""))
            if upload is None or upload.content is None or len(upload.content) != upload.length:
                return {"ok": False, "error": "file_not_found"}
            uploads.append((upload, entry))
        if channel:
            error = self._channel_error(channel)
            if error:
                return {"ok": False, "error": error}
            if thread_ts and self._find(channel, thread_ts) is None:
                return {"ok": False, "error": "invalid_thread_ts"}
        for upload, entry in uploads:
            upload.title = entry.get("title") or upload.filename
            upload.channel, upload.thread_ts = channel, thread_ts
            upload.comment = params.get("initial_comment")
        if channel:  # the file appears as a message (in the thread when thread_ts is given)
            message = Message(
                channel, self._next_ts(), params.get("initial_comment") or "", [], None, thread_ts
            )
            message.files = [upload.id for upload, _ in uploads]
            self.messages_.append(message)
        return {
            "ok": True,
            "files": [
                {"id": upload.id, "title": upload.title, "name": upload.filename} for upload, _ in uploads
            ],
        }

    def _api_conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("ts")
        error = self._channel_error(channel)
        if error:
            return {"ok": False, "error": error}
        found = [
            m
            for m in self.messages_
            if m.channel == channel and not m.deleted and (ts in (m.ts, m.thread_ts))
        ]
        messages = []
        for message in found:
            shown = _as_slack_message(message, self.bot_user)
            if message.files:
                shown["files"] = [
                    {"id": f, "name": self.files[f].filename, "title": self.files[f].title}
                    for f in message.files
                ]
            messages.append(shown)
        return {"ok": True, "messages": messages, "has_more": False}

    def _api_users_lookupByEmail(self, params: dict[str, Any]) -> dict[str, Any]:
        address = str(params.get("email", "")).lower()
        for user in self.users.values():
            if str((user.get("profile") or {}).get("email", "")).lower() == address and address:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake",
            "user": "bot",
            "team_id": self.team_id,
            "user_id": self.bot_user,
            "bot_id": "B0BOT",
        }

    def _api_apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": self.socket_url}

    def _api_api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": params}

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        error = self._channel_error(channel)
        if error:
            return {"ok": False, "error": error}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        blocks = _json_field(params.get("blocks")) or []
        if len(blocks) > 50:
            return {"ok": False, "error": "invalid_blocks", "errors": ["must provide no more than 50 items"]}
        message = Message(
            str(channel),
            self._next_ts(),
            params.get("text", ""),
            blocks,
            _json_field(params.get("metadata")),
            params.get("thread_ts"),
        )
        self.messages_.append(message)
        return {
            "ok": True,
            "channel": channel,
            "ts": message.ts,
            "message": _as_slack_message(message, self.bot_user),
        }

    def _api_chat_postEphemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, user = params.get("channel"), params.get("user")
        error = self._channel_error(channel)
        if error:
            return {"ok": False, "error": error}
        message = Message(
            str(channel),
            self._next_ts(),
            params.get("text", ""),
            _json_field(params.get("blocks")) or [],
            None,
            user=user,
            ephemeral=True,
        )
        self.messages_.append(message)
        return {"ok": True, "message_ts": message.ts}

    def _api_chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params.get("channel"), params.get("ts"))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        error = self._channel_error(message.channel)
        if error:
            return {"ok": False, "error": error}
        message.edits.append({"text": message.text, "blocks": message.blocks})
        if "text" in params:
            message.text = params["text"]
        if "blocks" in params:
            message.blocks = _json_field(params["blocks"]) or []
        if "metadata" in params:
            message.metadata = _json_field(params["metadata"])
        return {"ok": True, "channel": message.channel, "ts": message.ts, "text": message.text}

    def _api_chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._find(params.get("channel"), params.get("ts"))
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        message.deleted = True
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _api_chat_getPermalink(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "channel": params.get("channel"),
            "permalink": f"https://fake.slack.test/archives/{params.get('channel')}/p{str(params.get('message_ts', '')).replace('.', '')}",
        }

    def _api_conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        found = [m for m in self.messages_ if m.channel == channel and not m.deleted and not m.ephemeral]
        oldest = float(params.get("oldest") or 0)
        found = [m for m in found if float(m.ts) >= oldest]
        found.sort(key=lambda m: float(m.ts), reverse=True)
        limit = int(params.get("limit") or 100)
        return {
            "ok": True,
            "messages": [_as_slack_message(m, self.bot_user) for m in found[:limit]],
            "has_more": len(found) > limit,
        }

    def _api_conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        users = str(params.get("users", "")).split(",")
        return {"ok": True, "channel": {"id": users[0]}}

    def _api_conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if channel in self.missing:
            return {"ok": False, "error": "channel_not_found"}
        teams = self.shared_channels.get(str(channel))
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "is_archived": channel in self.archived,
                "is_member": channel not in self.not_in,
                "is_ext_shared": teams is not None,
                "is_shared": teams is not None,
                "shared_team_ids": teams or [self.team_id],
                "context_team_id": self.team_id,
            },
        }

    def _api_users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(params.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _api_views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = _json_field(params.get("view")) or {}
        view_id = f"V{next(self._ids):08d}"
        view = {**view, "id": view_id, "hash": f"h{view_id}"}
        self.views[view_id] = view
        return {"ok": True, "view": view}

    _api_views_push = _api_views_open

    def _api_views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id = params.get("view_id")
        if view_id not in self.views:
            return {"ok": False, "error": "not_found"}
        view = {**(_json_field(params.get("view")) or {}), "id": view_id}
        self.views[view_id] = view
        return {"ok": True, "view": view}

    def _api_views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = params.get("user_id", "")
        view = _json_field(params.get("view")) or {}
        if view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        if len(view.get("blocks", [])) > 100:
            return {"ok": False, "error": "invalid_arguments"}
        self.home[user] = view
        return {"ok": True, "view": {**view, "id": f"VH{user}"}}

    def _find(self, channel: str | None, ts: str | None) -> Message | None:
        for message in self.messages_:
            if message.ts == ts and (message.channel == channel or channel is None) and not message.deleted:
                return message
        return None


def _failure_answer(failure: Failure) -> tuple[int, dict[str, str], dict[str, Any]]:
    if failure.kind == "ratelimited":
        return 429, {"Retry-After": str(failure.retry_after)}, {"ok": False, "error": "ratelimited"}
    if failure.kind == "server":
        return failure.status, {}, {"ok": False, "error": "fatal_error"}
    return 200, {}, {"ok": False, "error": failure.error}


def _parse_params(content_type: str, raw: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "application/json" in content_type:
        return json.loads(raw)
    return {key: values[-1] for key, values in parse_qs(raw, keep_blank_values=True).items()}


def _json_field(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def _as_slack_message(message: Message, bot_user: str) -> dict[str, Any]:
    result: dict[str, Any] = {
        "type": "message",
        "user": bot_user,
        "bot_id": "B0BOT",
        "text": message.text,
        "ts": message.ts,
        "blocks": message.blocks,
    }
    if message.metadata:
        result["metadata"] = message.metadata
    return result


@contextmanager
def running() -> Iterator[FakeSlack]:
    """A started fake, stopped at the end of the block."""
    fake = FakeSlack().start()
    try:
        yield fake
    finally:
        fake.stop()


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    """All the text of a list of blocks, one line a block (what a reader sees, roughly)."""
    lines: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
                lines.append(node["text"])
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(blocks)
    return "\n".join(lines)
