"""Thin Slack listeners, one module per surface, each with one ``register(app)``.

Nothing registers at import time: ``bot.run.app.create_app`` calls ``register_listeners(app)``.
"""

from __future__ import annotations

from slack_bolt import App

from handlers import action_command as commands
from handlers import admin, errors, events, shortcuts
from handlers import committee_command as committee
from handlers import item_buttons as actions
from handlers import item_modals as views
from handlers import meeting_buttons as meeting_actions
from handlers import meeting_modals as meeting_views

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
