"""committee.schedule_from: when `config import` last changed a committee's schedule

A change of time, cadence, zone, duration, holidays or holiday policy applies from that instant on:
meetings that started before it stay as they took place (their minutes, chases and figures), and the
new series has no occurrence before it. Existing committees have none (their series is unchanged).

Revision ID: 0008_committee_schedule_from
Revises: 0007_sechttp_seen_requests
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008_committee_schedule_from"
down_revision = "0007_sechttp_seen_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("committee", schema=None) as batch_op:
        batch_op.add_column(sa.Column("schedule_from", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("committee", schema=None) as batch_op:
        batch_op.drop_column("schedule_from")
