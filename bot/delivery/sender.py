"""Posting one notification to Slack, and reading what Slack answered (SPEC §9).

Every message carries its idempotency key in Slack message ``metadata``, so that after a crash
between "posted" and "marked sent" the dispatcher finds the message (``find_posted``) instead of
posting it again. Errors are sorted into what the dispatcher does next (``SendStatus``): wait and
retry, give up on this row, or stop the tick (the token itself is refused).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

METADATA_EVENT = "committee_bot_notification"

# The row cannot be delivered as it stands: record it, tell the chair, never retry.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_disabled",
        "account_inactive",
        "user_not_found",
        "cannot_dm_bot",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "ekm_access_denied",
        "team_access_not_granted",
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "too_many_attachments",
        "duplicate_channel_not_found",
        "message_limit_exceeded",
        "channel_is_archived",
    }
)
# Slack's own transient failures (sometimes with HTTP 200): retry with backoff.
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
# The token or the app is refused: every row would fail the same way, so the tick stops and
# the rows stay pending until an operator fixes the installation.
FATAL_ERRORS = frozenset(
    {
        "not_authed",
        "invalid_auth",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "org_login_required",
        "not_allowed_token_type",
        "team_not_found",
        "app_missing_action_url",
    }
)


class SendStatus(StrEnum):
    sent = "sent"
    rate_limited = "rate_limited"  # HTTP 429: wait Retry-After
    transient = "transient"  # 5xx, network: retry with backoff; the message may have been posted
    permanent = "permanent"  # record as failed, tell the chair
    fatal = "fatal"  # the installation is broken: stop the tick, keep the rows


@dataclass(frozen=True)
class Result:
    status: SendStatus
    channel: str | None = None
    ts: str | None = None
    error: str | None = None
    retry_after: float = 0.0


def without_retries(client: WebClient) -> WebClient:
    """The same client with no automatic retries.

    The SDK's connection-error retry re-sends a request whose answer was lost, which for
    chat.postMessage can post twice; the dispatcher retries itself, after a metadata look-up.
    A client that has none already (the demo's offline client) is returned as it is.
    """
    if not client.retry_handlers:
        return client
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        retry_handlers=[],
    )


def metadata(key: str) -> dict[str, Any]:
    """The Slack message metadata that carries a notification's idempotency key."""
    return {"event_type": METADATA_EVENT, "event_payload": {"key": key}}


def post(
    client: WebClient,
    *,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]],
    key: str,
    thread_ts: str | None = None,
) -> Result:
    """chat.postMessage to ``channel`` (a channel id, or a user id for a DM) with ``key`` in metadata
    (in the thread of ``thread_ts`` when given)."""
    try:
        answer = client.chat_postMessage(
            channel=channel,
            text=text,
            blocks=blocks or None,
            thread_ts=thread_ts,
            metadata=metadata(key),
            unfurl_links=False,
            unfurl_media=False,
        )
    except Exception as error:
        return classify(error)
    return Result(SendStatus.sent, channel=answer.get("channel") or channel, ts=answer.get("ts"))


def update(
    client: WebClient, *, channel: str, ts: str, text: str, blocks: list[dict[str, Any]], key: str
) -> Result:
    """chat.update of a message the bot posted (keeps its metadata)."""
    try:
        answer = client.chat_update(
            channel=channel, ts=ts, text=text, blocks=blocks or [], metadata=metadata(key)
        )
    except Exception as error:
        return classify(error)
    return Result(SendStatus.sent, channel=answer.get("channel") or channel, ts=answer.get("ts") or ts)


def find_posted(
    client: WebClient, *, channel: str, key: str, pages: int = 5, page_size: int = 200
) -> Result | None:
    """The message already posted with ``key`` in its metadata, looked up in ``channel``'s recent history.

    Returns a ``sent`` Result when found, None when not found, or a failed Result when the look-up
    itself failed (the caller must then not post: it cannot know). A DM (user id) is looked up in
    the bot's IM with that user. Scans the newest ``pages`` × ``page_size`` messages.
    """
    try:
        history_channel = channel
        if channel.startswith(("U", "W")):
            history_channel = client.conversations_open(users=channel)["channel"]["id"]
        cursor = None
        for _ in range(pages):
            answer = client.conversations_history(
                channel=history_channel, limit=page_size, cursor=cursor, include_all_metadata=True
            )
            for message in answer.get("messages") or []:
                payload = (message.get("metadata") or {}).get("event_payload") or {}
                if (message.get("metadata") or {}).get("event_type") == METADATA_EVENT and payload.get(
                    "key"
                ) == key:
                    return Result(SendStatus.sent, channel=history_channel, ts=message["ts"])
            cursor = (answer.get("response_metadata") or {}).get("next_cursor")
            if not answer.get("has_more") or not cursor:
                break
    except Exception as error:
        return classify(error)
    return None


def classify(error: Exception) -> Result:
    """What a failed Web API call means for the dispatcher."""
    if isinstance(error, SlackApiError):
        response = error.response
        status = getattr(response, "status_code", 200)
        code = (response.get("error") if hasattr(response, "get") else None) or "unknown_error"
        if status == 429 or code == "ratelimited":
            return Result(SendStatus.rate_limited, error="ratelimited", retry_after=_retry_after(response))
        if status >= 500 or code in TRANSIENT_ERRORS:
            return Result(SendStatus.transient, error=f"{code} (HTTP {status})")
        if code in FATAL_ERRORS:
            return Result(SendStatus.fatal, error=code)
        # Any other ok:false is Slack refusing this message for good (bad channel, user, content).
        return Result(SendStatus.permanent, error=code)
    # Network errors, timeouts, unreadable answers: the request may or may not have landed.
    log.warning("Slack call failed: %r", error)
    return Result(SendStatus.transient, error=f"{type(error).__name__}: {error}"[:200])


def _retry_after(response: Any) -> float:
    headers = getattr(response, "headers", {}) or {}
    for name, raw in headers.items():
        if name.lower() == "retry-after":
            value = raw[0] if isinstance(raw, list) else raw
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                break
    return 1.0
