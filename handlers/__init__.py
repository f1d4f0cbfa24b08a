"""Thin Slack listeners, one module per surface, each with one ``register(app)``.

Nothing registers at import time: ``bot.app.create_app`` calls ``register_listeners(app)``.
"""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    actions,
    admin,
    commands,
    committee,
    errors,
    events,
    meeting_actions,
    meeting_views,
    shortcuts,
    views,
)

SURFACES = (
    commands,
    committee,
    actions,
    meeting_actions,
    views,
    meeting_views,
    shortcuts,
    events,
    admin,
    errors,
)


def register_listeners(app: App) -> None:
    """Register every listener of every surface on ``app``."""
    for surface in SURFACES:
        surface.register(app)
