"""exchange with the other company (issue 11): workspace closure days, Slack users' name and team

Revision ID: 0006_exchange
Revises: 0005_invariant_chased_from
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006_exchange'
down_revision = '0005_invariant_chased_from'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace_settings') as batch:
        batch.add_column(sa.Column('closures', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('slack_user') as batch:
        batch.add_column(sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column('team_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('slack_user') as batch:
        batch.drop_column('team_id')
        batch.drop_column('name')
    with op.batch_alter_table('workspace_settings') as batch:
        batch.drop_column('closures')
