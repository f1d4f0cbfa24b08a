"""Engine and session factory for SQLite and PostgreSQL, and the schema version check."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_DATABASE_URL = "sqlite:///committee-bot.db"


class SchemaOutOfDate(RuntimeError):
    """The database is not at the latest migration; ``committee-bot db upgrade`` fixes it."""


def database_url() -> str:
    """The ``DATABASE_URL`` from the environment, or a SQLite file in the working directory."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def make_engine(url: str | None = None, *, schema: str | None = None, echo: bool = False) -> Engine:
    """An engine for ``url``.

    ``schema`` (or ``DATABASE_SCHEMA``) pins PostgreSQL's search_path: tests use one schema per run.
    """
    url = url or database_url()
    schema = schema or os.environ.get("DATABASE_SCHEMA")
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that
        # "BEGIN IMMEDIATE" (the single-writer lock of the dispatcher) works.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(url, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    mode = connection.info.pop("sqlite_begin", "BEGIN")
    connection.exec_driver_sql(mode)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commits on success, rolls back on error."""
    with _committed(Session(engine, expire_on_commit=False)) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A unit of work that writes; on SQLite it takes the write lock up front (``BEGIN IMMEDIATE``).

    A deferred SQLite transaction that reads then writes fails at once (SQLITE_BUSY) when another
    process wrote in between; taking the lock first makes it wait its turn instead.
    """
    with engine.connect() as connection, transaction(connection) as session:
        yield session


@contextmanager
def transaction(connection: Connection) -> Iterator[Session]:
    """``write_session`` on a connection the caller holds (a tick keeps one for all its rows)."""
    if connection.dialect.name == "sqlite":
        connection.info["sqlite_begin"] = "BEGIN IMMEDIATE"
    with _committed(Session(bind=connection, expire_on_commit=False)) as session:
        yield session


@contextmanager
def _committed(session: Session) -> Iterator[Session]:
    """Use ``session``, commit on success, roll back on error, close it in any case."""
    with session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (what ``committee-bot db upgrade`` runs)."""
    command.upgrade(alembic_config(engine), revision)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()  # type: ignore[arg-type]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def check_schema(engine: Engine) -> None:
    """Raise ``SchemaOutOfDate`` unless the database is at the latest migration."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'no version'}, this release needs {head}: "
            "run `committee-bot db upgrade`"
        )
