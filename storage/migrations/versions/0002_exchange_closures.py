"""workspace closure days (issue 11)

Revision ID: 0002_exchange_closures
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_exchange_closures'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('workspace_settings') as batch:
        batch.add_column(sa.Column('closures', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('workspace_settings') as batch:
        batch.drop_column('closures')
