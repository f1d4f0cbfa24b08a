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
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_DATABASE_URL = "sqlite:///committee-bot.db"


# What hosting platforms set (postgres://, postgresql://) is read as PostgreSQL with psycopg 3, the
# driver this package installs.
POSTGRES_SCHEMES = ("postgres", "postgresql", "postgresql+psycopg")
PSYCOPG = "postgresql+psycopg"


class SchemaOutOfDate(RuntimeError):
    """The database is not at the latest migration; ``committee-bot db upgrade`` fixes it."""


class DatabaseUrlError(ValueError):
    """``DATABASE_URL`` is malformed (a configuration error); the message says how to write it."""


class DatabaseUnreachable(RuntimeError):
    """A well-formed ``DATABASE_URL`` whose server, database, role or directory cannot be used."""


def database_url() -> str:
    """The ``DATABASE_URL`` from the environment, or a SQLite file in the working directory."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def normalise_url(url: str) -> str:
    """``url`` as SQLAlchemy needs it: ``postgres://`` and ``postgresql://`` use the psycopg driver.

    Raises ``DatabaseUrlError`` for anything that is not a SQLite or PostgreSQL URL (a bare file
    name gets the ``sqlite:///NAME`` it probably meant).
    """
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        if text.startswith("sqlite:"):
            raise DatabaseUrlError(
                f'DATABASE_URL "{text}" is not a URL: write sqlite:///FILE (three slashes)'
            )
        raise DatabaseUrlError(
            f'DATABASE_URL "{text}" is not a URL: write sqlite:///{text} for a SQLite file, '
            "or postgresql://USER:PASSWORD@HOST:5432/DATABASE for PostgreSQL"
        )
    scheme = scheme.lower()
    if scheme in POSTGRES_SCHEMES:
        text = f"{PSYCOPG}://{rest}"
    elif scheme != "sqlite":
        raise DatabaseUrlError(
            f'DATABASE_URL has the scheme "{scheme}://", which committee-bot does not use: write '
            "sqlite:///FILE, or postgresql://USER:PASSWORD@HOST:5432/DATABASE "
            "(postgres:// and postgresql+psycopg:// work too)"
        )
    try:
        parsed = make_url(text)
    except ArgumentError:
        raise DatabaseUrlError(
            f"DATABASE_URL cannot be read as a URL: check its form ({scheme}://...)"
        ) from None
    if scheme != "sqlite" and not parsed.database:
        raise DatabaseUrlError(
            "DATABASE_URL names no database: end it with /DATABASE (postgresql://USER@HOST:5432/DATABASE)"
        )
    return text


def describe_unreachable(error: BaseException, url: str | None = None) -> str:
    """One line saying why the database could not be used and what to check (no traceback)."""
    shown = _shown_url(url or database_url())
    original = getattr(error, "orig", None) or error
    detail = " ".join(str(original).split())
    if shown.startswith("sqlite"):
        path = (make_url(normalise_url(url or database_url())).database or "").strip()
        folder = Path(path).expanduser().parent if path else Path(".")
        if path and not folder.is_dir():
            return f"cannot open the SQLite database {path}: the directory {folder} does not exist (create it, or fix DATABASE_URL)"
        return f"cannot open the SQLite database {path or '(memory)'}: {detail} (check DATABASE_URL and the file's permissions)"
    lowered = detail.lower()
    if ("role" in lowered and "does not exist" in lowered) or "password authentication failed" in lowered:
        hint = "check the user and password in DATABASE_URL"
    elif "database" in lowered and "does not exist" in lowered:
        hint = "create the database (createdb) or fix its name in DATABASE_URL"
    elif "permission denied" in lowered:
        hint = "grant this role the rights on the database, or use the role that owns it"
    else:
        hint = "check that the server is running and reachable, and DATABASE_URL"
    return f"cannot use the database {shown}: {detail[:300]} ({hint})"


def _shown_url(url: str) -> str:
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except (DatabaseUrlError, ArgumentError):
        return "(DATABASE_URL)"


def make_engine(url: str | None = None, *, schema: str | None = None, echo: bool = False) -> Engine:
    """An engine for ``url``.

    ``schema`` (or ``DATABASE_SCHEMA``) pins PostgreSQL's search_path: tests use one schema per run.
    """
    url = normalise_url(url or database_url())
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
