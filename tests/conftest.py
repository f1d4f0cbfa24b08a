"""Shared fixtures: a migrated database on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

Every storage test takes the ``engine`` fixture and so runs once per back end. PostgreSQL runs get a
schema of their own, dropped at the end, since the server keeps state between runs. ``slack_app`` is
the Bolt app on a real HTTP server with the fake Slack behind it (tests/support/slackapp.py).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import make_server

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine

from bot.cli.main import cli
from bot.run.http_server import create_server
from storage.db import make_engine, upgrade
from tests.support.config_examples import SPEC_EXAMPLE
from tests.support.fakeslack import FakeSlack
from tests.support.slackapp import (
    NOW,
    QuietHandler,
    SlackApp,
    ThreadingWSGIServer,
    add_people,
    app_settings,
    seed,
)

PG_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_report_header(config: pytest.Config) -> str:
    return f"database back ends: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session")
def pg_admin_engine() -> Iterator[Engine]:
    """An engine on the PostgreSQL server itself; fails (never skips) when it is unreachable."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    engine = make_engine(PG_URL)
    with engine.connect() as connection:
        connection.execute(sa.text("select 1"))
    yield engine
    engine.dispose()


def new_database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> tuple[str, str | None]:
    """A fresh, empty database: (url, postgres schema or None)."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "test.db"
        return f"sqlite:///{path}", None
    admin = request.getfixturevalue("pg_admin_engine")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'create schema "{schema}"'))
    request.addfinalizer(lambda: _drop_schema(admin, schema))
    return PG_URL, schema  # type: ignore[return-value]


def _drop_schema(admin: Engine, schema: str) -> None:
    with admin.begin() as connection:
        connection.execute(sa.text(f'drop schema if exists "{schema}" cascade'))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> tuple[str, str | None]:
    """(url, schema) of a fresh database, not migrated."""
    return new_database_url(backend, tmp_path_factory, request)


@pytest.fixture
def engine(database: tuple[str, str | None]) -> Iterator[Engine]:
    """A migrated engine on a fresh database, for each back end."""
    url, schema = database
    engine = make_engine(url, schema=schema)
    upgrade(engine)
    yield engine
    engine.dispose()


def database_env(database: tuple[str, str | None]) -> dict[str, str]:
    """Environment for a subprocess (the CLI, a server) that must use this test database."""
    url, schema = database
    env = {"DATABASE_URL": url}
    if schema:
        env["DATABASE_SCHEMA"] = schema
    return env


@pytest.fixture
def slack_app(engine: Engine, database: tuple[str, str | None]) -> Iterator[SlackApp]:
    """The app on a real HTTP server (threaded WSGI), FakeSlack behind it, a fixed clock."""
    with FakeSlack() as fake:
        add_people(fake)
        committees = seed(engine)
        wsgi = create_server(app_settings(fake, database), engine, clock=lambda: NOW)
        server = make_server(
            "127.0.0.1", 0, wsgi, server_class=ThreadingWSGIServer, handler_class=QuietHandler
        )
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield SlackApp(
                url=f"http://127.0.0.1:{server.server_address[1]}",
                fake=fake,
                engine=engine,
                database=database,
                committees=committees,
            )
        finally:
            server.shutdown()
            server.server_close()
            wsgi.close()


@pytest.fixture
def run(database, engine):
    """Run ``committee-bot ARGS`` on the test database (already migrated by ``engine``)."""
    env = database_env(database)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=env, prog_name="committee-bot")

    return invoke


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "committees.yaml"
    path.write_text(SPEC_EXAMPLE, encoding="utf-8")
    return path
