"""The messages of ``bot.action_items.assignment``'s notifications, rendered at send time and again
when the item changes (a DM already posted keeps showing the item as it stands): the new owner's DM
with the item and its buttons, the previous owner's note, the item in its source message's thread.
Registered in ``bot.notices.registry.BUILDERS``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.action_items.assignment import gone
from bot.action_items.views import action_block, action_text
from bot.notices.context import Context
from bot.notices.message import OutgoingMessage
from bot.slack import blocks as bk
from storage import notifications as store
from storage.models import OPEN_ACTION_STATUSES, SlackUser


def assigned_message(ctx: Context) -> OutgoingMessage | None:
    """To the new owner: who gave them the item, the item, and its buttons.

    Before it is sent: not needed once the item is closed or has another owner. Once sent (an edit
    after a later change): the item as it stands, and who holds it now if not them."""
    action = ctx.action
    if action is None:
        return None
    mine = action.owner == ctx.notification.recipient
    if ctx.notification.state != store.SENT and (not mine or action.status not in OPEN_ACTION_STATUSES):
        return None
    actor = str(ctx.data.get("actor") or action.creator)
    p = ctx.parts(
        "notice_action_assigned",
        public_id=action.public_id,
        title=action.title,
        actor=actor,
        reassigned=bool(ctx.data.get("reassigned")),
        now_owner=None if mine else action.owner,
    )
    tz = _reader_tz(ctx)
    if mine:
        item = [block.to_dict() for block in action_block(action, locale=ctx.locale, tz=tz)]
    else:
        item = action_block_without_buttons(ctx, tz)
    return ctx.message(p["text"], [bk.section(p["body"]), *item])


def unassigned_message(ctx: Context) -> OutgoingMessage | None:
    """To the previous owner: a short note that the item went to someone else (no buttons).

    Not needed once the item came back to them before the note left."""
    action = ctx.action
    if action is None:
        return None
    if ctx.notification.state != store.SENT and (
        action.owner == ctx.notification.recipient or gone(ctx.session, ctx.notification.recipient)
    ):
        return None
    p = ctx.parts(
        "notice_action_unassigned",
        public_id=action.public_id,
        title=action.title,
        actor=str(ctx.data.get("actor") or ""),
        owner=str(ctx.data.get("owner") or action.owner),
    )
    return ctx.message(p["text"], [bk.section(p["body"])])


def in_thread_message(ctx: Context) -> OutgoingMessage | None:
    """In the source message's thread: the item, as it stands (edited when it changes), without
    buttons (a channel message: each reader acts on their own DM or App Home)."""
    action = ctx.action
    if action is None:
        return None
    p = ctx.parts(
        "notice_action_in_thread", public_id=action.public_id, title=action.title, owner=action.owner
    )
    blocks = [bk.section(p["body"]), *action_block_without_buttons(ctx, ctx.tz)]
    message = ctx.message(p["text"], blocks)
    return replace(message, thread_ts=str(ctx.data.get("thread_ts") or "") or None)


def action_block_without_buttons(ctx: Context, tz: str) -> list[dict[str, Any]]:
    assert ctx.action is not None
    return [bk.section(action_text(ctx.action, locale=ctx.locale, tz=tz))]


def _reader_tz(ctx: Context) -> str:
    user = ctx.session.get(SlackUser, ctx.notification.recipient)
    return user.tz if user is not None and user.tz else ctx.tz
