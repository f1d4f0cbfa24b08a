"""Nothing acts on a Slack request before it is verified (SPEC §9).

``SlackGate`` is WSGI middleware in front of Bolt's adapter on ``POST /slack/events``. In this order:

1. The body is bounded before it is read: no ``Content-Length`` is 411, more than ``MAX_BODY_BYTES``
   is 413 (Slack's payloads are a few kilobytes; a modal's state stays well under this).
2. The signature is checked on the raw bytes: ``X-Slack-Request-Timestamp`` must be decimal digits
   within ``WINDOW_SECONDS`` of now, ``X-Slack-Signature`` must be ``v0=`` and 64 hex digits, and the
   HMAC-SHA256 of ``v0:{timestamp}:{body}`` under the signing secret must match it. Anything else
   (a malformed header included) is 401 with an empty body and one log line that names the reason,
   never the body. Nothing else runs: no Bolt middleware, no listener, no error handler.
3. A verified body Bolt could not parse (bad form encoding, bad JSON, not UTF-8, not an object) or whose
   envelope has the wrong shape (``bot.run.envelope``) is 400.
4. A verified request seen before (``bot.run.replays``) gets the first answer again and runs nothing.

Bolt then checks the signature a second time with its own ``RequestVerification`` middleware.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import BoltRequest
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest

from bot.run.envelope import malformed

StartResponse = Callable[..., Any]
WallClock = Callable[[], float]

MAX_BODY_BYTES = 1_000_000
WINDOW_SECONDS = 300
# Slack's signing secrets are 32 hex characters; a short one is a copy-paste accident, and guessable.
MIN_SECRET_LENGTH = 16
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")

log = logging.getLogger(__name__)


class WeakSecret(ValueError):
    """The signing secret is missing or too short to be Slack's."""


def check_signing_secret(secret: str | None) -> str:
    """``secret`` if it can be Slack's signing secret; raises WeakSecret (the message says what to do)."""
    if not secret:
        raise WeakSecret("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information page")
    if len(secret.strip()) < MIN_SECRET_LENGTH:
        raise WeakSecret(
            f"SLACK_SIGNING_SECRET is too short ({len(secret.strip())} characters; Slack's have 32): "
            "copy the Signing Secret from the app's Basic Information page"
        )
    return secret


def signature_of(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's ``v0=`` signature of ``body`` sent at ``timestamp`` (over the raw bytes)."""
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def refusal(secret: str, headers: dict[str, Any], body: bytes, *, now: float) -> str | None:
    """Why this request is not verified (a short reason for the log), or None when it is.

    ``headers`` is the WSGI environ (``HTTP_X_SLACK_…`` keys)."""
    timestamp = headers.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = headers.get("HTTP_X_SLACK_SIGNATURE")
    if timestamp is None or signature is None:
        return "no signature headers"
    if not TIMESTAMP.fullmatch(timestamp):
        return "malformed timestamp"
    if abs(now - int(timestamp)) > WINDOW_SECONDS:
        return "timestamp outside the 5-minute window"
    if not SIGNATURE.fullmatch(signature):
        return "malformed signature"
    if not hmac.compare_digest(signature_of(secret, timestamp, body), signature):
        return "signature mismatch"
    return None


class SlackGate:
    """WSGI middleware: verify, bound, parse and de-duplicate, then hand over to ``inner`` (Bolt)."""

    def __init__(
        self,
        inner: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
        *,
        signing_secret: str,
        replays: Any = None,
        wall_clock: WallClock = time.time,
    ) -> None:
        self.inner = inner
        self.secret = signing_secret
        self.replays = replays  # bot.run.replays.ReplayGuard, or None (no de-duplication)
        self.wall_clock = wall_clock

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = _content_length(environ)
        if length is None:
            return self.refuse(environ, start_response, "411 Length Required", "no valid Content-Length")
        if length > MAX_BODY_BYTES:
            return self.refuse(environ, start_response, "413 Content Too Large", f"body of {length} bytes")
        body = _read(environ, length)
        if body is None:
            return self.refuse(environ, start_response, "400 Bad Request", "body shorter than announced")
        reason = refusal(self.secret, environ, body, now=self.wall_clock())
        if reason is not None:
            return self.refuse(environ, start_response, "401 Unauthorized", reason)
        parsed = _parsed(body, environ)
        problem = "not a JSON object or form" if parsed is None else malformed(parsed)
        if problem is not None:
            return self.refuse(
                environ, start_response, "400 Bad Request", f"verified but malformed: {problem}"
            )
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        if self.replays is None:
            return self.inner(environ, start_response)
        return self.replays.answer(environ, parsed, start_response, self.inner)

    def refuse(
        self, environ: dict[str, Any], start_response: StartResponse, status: str, reason: str
    ) -> list[bytes]:
        """One log line (the reason, the size, the peer; never the body) and an empty answer."""
        log.warning(
            "refused a Slack request: %s (%s, %s bytes, from %s)",
            reason,
            status,
            environ.get("CONTENT_LENGTH") or "no",
            environ.get("REMOTE_ADDR", "?"),
        )
        start_response(status, [("Content-Length", "0")])
        return []


def _content_length(environ: dict[str, Any]) -> int | None:
    value = environ.get("CONTENT_LENGTH")
    if value is None or value == "":
        # a body-less POST; chunked bodies (no length) are refused, Slack never sends them
        return None if environ.get("HTTP_TRANSFER_ENCODING") else 0
    if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12):
        return None
    return int(value)


def _read(environ: dict[str, Any], length: int) -> bytes | None:
    """Exactly ``length`` bytes of the body, or None when the client sent fewer."""
    stream = environ.get("wsgi.input")
    if length == 0 or stream is None:
        return b"" if length == 0 else None
    chunks: list[bytes] = []
    left = length
    try:
        while left:
            chunk = stream.read(min(left, 65536))
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
    except (OSError, ValueError):  # the client went away, or the server's read deadline passed
        return None
    return b"".join(chunks)


def _parsed(body: bytes, environ: dict[str, Any]) -> dict[str, Any] | None:
    """The body as Bolt will parse it, or None when Bolt would fail on it (so it never sees it)."""
    try:
        request = BoltRequest(body=body.decode("utf-8"), headers=WsgiHttpRequest(environ).get_headers())
    except Exception:  # whatever Bolt raises on (bad JSON, bad form, odd shapes) it must not meet later
        return None
    return request.body if isinstance(request.body, dict) else None
