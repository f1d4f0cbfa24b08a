"""Helpers of the chaos tests: the CLI in a subprocess (real or stand-in notices), slow posts."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import database_env
from tests.support.fakeslack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]


COMMITTEE_BOT = Path(sys.executable).parent / "committee-bot"  # the console script, real notices


# The CLI with the tests' stand-in for notices.build, for hand-made rows (see tests/test_dispatch.py).
CLI_STAND_IN = "import sys; import tests.support.outbox as t; t.use_fallback_notices(); from bot.cli.main import main; sys.argv[0] = 'committee-bot'; main()"


def posts_of(fake: FakeSlack, keys) -> int:
    """chat.postMessage calls made for ``keys`` (successful or not)."""
    wanted = set(keys)
    return len(
        [
            c
            for c in fake.calls_to("chat.postMessage")
            if (c.params.get("metadata") or {}).get("event_payload", {}).get("key") in wanted
        ]
    )


def cli(database, fake: FakeSlack, *args: str, stand_in: bool = False) -> subprocess.Popen:
    """``committee-bot ARGS`` against the test database and the fake Slack (``stand_in``: with the
    tests' stand-in for notices.build, for hand-made rows)."""
    env = {
        **os.environ,
        **database_env(database),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-c", CLI_STAND_IN, *args] if stand_in else [str(COMMITTEE_BOT), *args]
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def slow_posts(fake: FakeSlack, seconds: float) -> None:
    """Make chat.postMessage answer late, after the message is posted: the crash window."""
    original = fake._dispatch

    def slow(method, params):
        body = original(method, params)
        if method == "chat.postMessage":
            time.sleep(seconds)
        return body

    fake._dispatch = slow  # type: ignore[method-assign]
