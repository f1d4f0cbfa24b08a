"""Fixtures of the outbox tests: the fake Slack, its client, and the stand-in notice builders."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.notices import registry as notices
from tests.support.fakeslack import FakeSlack
from tests.support.outbox import REAL_BUILD, fallback_build


@pytest.fixture(autouse=True)
def stand_in_notices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notices, "build", fallback_build)


@pytest.fixture
def real_notices(stand_in_notices: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notices, "build", REAL_BUILD)


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token="xoxb-test", base_url=fake.api_url)
