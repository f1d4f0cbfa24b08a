"""The shape of a Slack request's envelope, checked before Bolt or a listener reads it.

Bolt's matchers and our listeners index into the body (``body["actions"][0]["action_id"]``,
``body["view"]["type"]``…). A verified body with another shape (Slack never sends one, but a leaked
secret or a bug might) would raise in there and end as a 500. ``malformed`` names the first field
with the wrong type, so the request is refused with 400 before anything runs.

Only the envelope is checked here; what a listener then reads out of values and private metadata is
type-checked where it is read (``bot.payloads.load``).
"""

from __future__ import annotations

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
}


def malformed(body: dict[str, Any]) -> str | None:
    """The first thing wrong with this envelope, or None when its shape is Slack's."""
    for name, kind in _COMMON_OPTIONAL.items():
        if name in body and not isinstance(body[name], kind):
            return f"{name} has the wrong type"
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
            isinstance(block, dict) and all(isinstance(element, dict) for element in block.values())
            for block in values.values()
        ):
            return "view.state.values has the wrong shape"
    return None


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
