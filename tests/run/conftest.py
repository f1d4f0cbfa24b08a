"""Fixtures of the serving tests: ``served``, the real ``committee-bot serve --http`` process."""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from tests.support.fakeslack import FakeSlack
from tests.support.paths import COMMITTEE_BOT, ROOT
from tests.support.serving import free_port, serve_env
from tests.support.slackapp import add_people, seed
from tests.support.slackhttp import get


@pytest.fixture
def served(engine: Engine, database: tuple[str, str | None]) -> Iterator[tuple[str, FakeSlack, Engine]]:
    """``committee-bot serve --http --port N`` (scheduler included) on a migrated, seeded database."""
    with FakeSlack() as fake:
        add_people(fake)
        seed(engine)
        port = free_port()
        process = subprocess.Popen(
            [COMMITTEE_BOT, "serve", "--http", "--port", str(port)],
            cwd=ROOT,
            env=serve_env(fake, database),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if get(url + "/healthz", timeout=1).status == 200:
                        break
                except OSError:
                    pass
                assert process.poll() is None, process.stdout.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.1)
            yield url, fake, engine
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
