"""committee.chased_from: the instant a committee was first imported (SPEC §4, first install)

Nothing is sent about a meeting that ended before it, and the first digest is the first due after
it. Existing committees are chased from their creation.

Revision ID: 0005_invariant_chased_from
Revises: 0004_meetings_minutes_versions
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005_invariant_chased_from"
down_revision = '0004_meetings_minutes_versions'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("committee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chased_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.execute("update committee set chased_from = created_at")


def downgrade() -> None:
    with op.batch_alter_table("committee", schema=None) as batch_op:
        batch_op.drop_column("chased_from")
