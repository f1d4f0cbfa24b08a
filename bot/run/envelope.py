"""The shape of a Slack request's envelope, checked before Bolt or a listener reads it.

Bolt's matchers and our listeners index into the body (``body["actions"][0]["action_id"]``,
``body["view"]["type"]``…). A verified body with another shape (Slack never sends one, but a leaked
secret or a bug might) would raise in there and end as a 500. ``malformed`` names the first field
with the wrong type, so the request is refused with 400 before anything runs.

Only the envelope is checked here; what a listener then reads out of values and private metadata is
type-checked where it is read (``bot.slack.payloads.load``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

INTERACTIONS = (
    "block_actions",
    "block_suggestion",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
)

# field -> required type, for fields that may be absent; None means "absent or this type"
_COMMON_OPTIONAL: dict[str, type | tuple[type, ...]] = {
    "type": str,
    "token": str,
    "team_id": str,
    "api_app_id": str,
    "trigger_id": str,
    "response_url": str,
    "channel_id": str,
    "user_id": str,
    "enterprise_id": (str, type(None)),
    "is_enterprise_install": (str, bool),
    "team": (dict, type(None)),
    "enterprise": (dict, str, type(None)),
    "channel": dict,
    "container": dict,
    "message": dict,
    "response_urls": list,
    "authorizations": list,
    "event": dict,
    "view": dict,
    "actions": list,
    "user": dict,
}


def malformed(body: dict[str, Any]) -> str | None:
    """The first thing wrong with this envelope, or None when its shape is Slack's."""
    for name, expected in _COMMON_OPTIONAL.items():
        if name in body and not isinstance(body[name], expected):
            return f"{name} has the wrong type"
    if not all(isinstance(item, dict) for item in body.get("authorizations") or []):
        return "authorizations has the wrong shape"
    if "command" in body:
        return _command(body)
    kind = body.get("type")
    if kind in INTERACTIONS:
        return _interaction(body, kind)
    if kind == "event_callback":
        return _event(body)
    if kind == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "challenge is not a string"
    return None  # Bolt answers "unhandled" for anything else


def _command(body: dict[str, Any]) -> str | None:
    for name in ("command", "user_id"):
        if not isinstance(body.get(name), str) or not body[name]:
            return f"{name} is missing"
    if "text" in body and not isinstance(body["text"], str):
        return "text has the wrong type"
    return None


def _interaction(body: dict[str, Any], kind: str) -> str | None:
    user = body.get("user")
    if not isinstance(user, dict) or not isinstance(user.get("id"), str) or not user["id"]:
        return "user.id is missing"
    for name in ("channel", "container", "message"):
        if name in body and not _all_str(
            body[name], ("id", "channel_id", "type", "ts", "message_ts", "text")
        ):
            return f"{name} has a field of the wrong type"
    if kind in ("block_actions", "block_suggestion"):
        actions = body.get("actions")
        if kind == "block_actions":
            if not isinstance(actions, list) or not actions:
                return "actions is empty"
            for action in actions:
                if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                    return "an action has no action_id"
                if not _all_str(action, ("block_id", "type", "value", "action_ts")):
                    return "an action has a field of the wrong type"
                option = action.get("selected_option")
                if option is not None and not (isinstance(option, dict) and _all_str(option, ("value",))):
                    return "selected_option has the wrong shape"
        elif not isinstance(body.get("action_id"), str):
            return "action_id is missing"
    if "view" in body or kind in ("view_submission", "view_closed"):
        problem = _view(body.get("view"))
        if problem is not None:
            return problem
    if kind in ("shortcut", "message_action") and not isinstance(body.get("callback_id"), str):
        return "callback_id is missing"
    return None


def _view(view: Any) -> str | None:
    if not isinstance(view, dict):
        return "view is not an object"
    if not isinstance(view.get("type"), str):
        return "view.type is missing"
    if not _all_str(view, ("id", "callback_id", "private_metadata", "hash", "external_id", "root_view_id")):
        return "a view field has the wrong type"
    if "blocks" in view and not (
        isinstance(view["blocks"], list) and all(isinstance(block, dict) for block in view["blocks"])
    ):
        return "view.blocks has the wrong shape"
    state = view.get("state")
    if state is not None:
        values = state.get("values") if isinstance(state, dict) else None
        if not isinstance(values, dict) or not all(
            isinstance(block, dict) and all(_element(element) for element in block.values())
            for block in values.values()
        ):
            return "view.state.values has the wrong shape"
    return None


TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
MAX_RICH_TEXT_DEPTH = 8


def _element(element: Any) -> bool:
    """One input's state as Slack writes it: each value of the type its element gives."""
    if not isinstance(element, dict) or not _all_str(
        element, ("type", "value", "selected_user", "selected_channel", "selected_conversation")
    ):
        return False
    users = element.get("selected_users")
    if users is not None and not (isinstance(users, list) and all(isinstance(user, str) for user in users)):
        return False
    option = element.get("selected_option")
    if option is not None and not (isinstance(option, dict) and _all_str(option, ("value",))):
        return False
    day = element.get("selected_date")
    if day is not None and not (isinstance(day, str) and _is_date(day)):
        return False
    time = element.get("selected_time")
    if time is not None and not (isinstance(time, str) and TIME.fullmatch(time)):
        return False
    rich = element.get("rich_text_value")
    return rich is None or _rich_text(rich, MAX_RICH_TEXT_DEPTH)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _rich_text(node: Any, depth: int) -> bool:
    """A rich text tree: objects all the way down, ``elements`` lists, string leaves."""
    if depth == 0 or not isinstance(node, dict):
        return False
    if not _all_str(node, ("type", "text", "user_id", "url", "channel_id", "name")):
        return False
    if node.get("style") is not None and not isinstance(node["style"], dict):
        return False
    children = node.get("elements")
    if children is None:
        return True
    return isinstance(children, list) and all(_rich_text(child, depth - 1) for child in children)


def _event(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
        return "event.type is missing"
    if "event_id" in body and not isinstance(body["event_id"], str):
        return "event_id has the wrong type"
    if event["type"] == "app_home_opened" and not (
        isinstance(event.get("user"), str) and _all_str(event, ("channel", "tab", "event_ts"))
    ):
        return "an app_home_opened field has the wrong type"
    return None


def _all_str(data: Any, names: tuple[str, ...]) -> bool:
    """``data`` is an object and each of ``names`` it holds is a string (or null)."""
    return isinstance(data, dict) and all(
        data.get(name) is None or isinstance(data[name], str) for name in names
    )
