"""The fingerprints of verified Slack requests already handled (``bot.replays``).

``remember`` inserts with ``ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL alike), so two processes
receiving the same request at once agree on which one handles it: the one whose insert wrote a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from storage.models import SeenRequest

TABLE = SeenRequest.__table__  # type: ignore[attr-defined]
MAX_ANSWER = 16000


def remember(engine: Engine, *, keys: Sequence[str], now: datetime) -> list[str]:
    """Record ``keys`` as seen at ``now``; returns those already recorded before (empty: a new request)."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    seen: list[str] = []
    with engine.begin() as connection:
        for key in keys:
            written = connection.execute(
                insert(TABLE)
                .values(key=key, seen_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(TABLE.c.key)
            ).first()
            if written is None:  # (rowcount is not reliable for this on every driver)
                seen.append(key)
    return seen


def seen_before(engine: Engine, *, keys: Sequence[str]) -> bool:
    """Whether one of ``keys`` is recorded (a read only)."""
    with engine.connect() as connection:
        return (
            connection.execute(sa.select(TABLE.c.key).where(TABLE.c.key.in_(list(keys))).limit(1)).first()
            is not None
        )


def record_answer(
    engine: Engine, *, keys: Sequence[str], status: int, content_type: str | None, answer: str
) -> None:
    """Keep the answer given to the request of ``keys`` (a longer one than MAX_ANSWER is not kept)."""
    if len(answer) > MAX_ANSWER:
        return
    with engine.begin() as connection:
        connection.execute(
            sa.update(TABLE)
            .where(TABLE.c.key.in_(list(keys)))
            .values(status=status, content_type=(content_type or "")[:100] or None, answer=answer)
        )


def answer_of(engine: Engine, *, keys: Sequence[str]) -> tuple[int, str | None, str] | None:
    """(status, content type, body) kept for one of ``keys``, or None (not kept, or still running)."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(TABLE.c.status, TABLE.c.content_type, TABLE.c.answer)
            .where(TABLE.c.key.in_(list(keys)), TABLE.c.status.is_not(None))
            .limit(1)
        ).first()
    return None if row is None else (row.status, row.content_type, row.answer or "")


def forget_before(engine: Engine, *, before: datetime) -> int:
    """Delete the fingerprints seen before ``before``; returns how many."""
    with engine.begin() as connection:
        return connection.execute(sa.delete(TABLE).where(TABLE.c.seen_at < before)).rowcount
