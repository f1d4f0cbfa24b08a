"""Shared fixtures: a migrated database on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.

Every storage test takes the ``engine`` fixture and so runs once per back end. PostgreSQL runs get a
schema of their own, dropped at the end, since the server keeps state between runs.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from storage.db import make_engine, upgrade

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
