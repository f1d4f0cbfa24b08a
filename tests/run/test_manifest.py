"""manifest.yml creates the app the code expects: same commands, shortcut, events and scopes."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.slack import ids

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_declares_the_commands_with_escaping() -> None:
    commands = {c["command"]: c for c in MANIFEST["features"]["slash_commands"]}
    assert set(commands) == {ids.CMD_ACTION, ids.CMD_COMMITTEE}
    assert all(c["should_escape"] is True for c in commands.values())  # mentions arrive as <@U…>


def test_manifest_declares_the_shortcut_events_and_modes() -> None:
    [shortcut] = MANIFEST["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", ids.SHORTCUT_CREATE_ACTION)
    assert MANIFEST["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_manifest_asks_for_the_scopes_the_bot_uses() -> None:
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {
        "commands",
        "chat:write",
        "chat:write.public",
        "im:write",
        "users:read",
        "channels:read",
        "groups:read",
        "channels:history",
    } <= scopes


def test_procfile_runs_migrations_web_and_worker() -> None:
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert lines == {
        "release": "committee-bot db upgrade",
        "web": "committee-bot serve --http --no-scheduler",
        "worker": "committee-bot scheduler",
    }
