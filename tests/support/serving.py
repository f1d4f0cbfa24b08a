"""Helpers for tests that run ``committee-bot serve`` as a real process, and count what a request wrote."""

from __future__ import annotations

import os
import socket

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from tests.conftest import database_env
from tests.support.fakeslack import FakeSlack
from tests.support.slackhttp import SIGNING_SECRET


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_env(fake: FakeSlack, database: tuple[str, str | None]) -> dict[str, str]:
    return {
        **os.environ,
        **database_env(database),
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake.api_url,
        "HOST": "127.0.0.1",
    }


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in every table of the schema (seen_request included), in one round trip."""
    tables = SQLModel.metadata.sorted_tables
    counts = [sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in tables]
    with engine.connect() as connection:
        row = connection.execute(sa.select(*counts)).one()
    return {table.name: count for table, count in zip(tables, row, strict=True)}
