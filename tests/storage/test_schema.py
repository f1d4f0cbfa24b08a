from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (the import registers the tables in SQLModel.metadata)
from storage.db import SchemaOutOfDate, check_schema, make_engine, upgrade


def test_migrations_match_the_models(engine) -> None:
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert diff == []


def test_out_of_date_schema_is_refused_with_the_command_to_run(database) -> None:
    url, schema = database
    fresh = make_engine(url, schema=schema)
    with pytest.raises(SchemaOutOfDate, match="committee-bot db upgrade"):
        check_schema(fresh)
    upgrade(fresh)
    check_schema(fresh)
    fresh.dispose()
