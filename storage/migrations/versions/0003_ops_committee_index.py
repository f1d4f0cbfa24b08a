"""index notification.committee_id (planning reads each committee's pending rows)

Without it the first plan of N committees scanned the notification table N times: quadratic.

Revision ID: 0003_ops_committee_index
Revises: 0002_actions_postponed_from
Create Date: 2026-12-03 09:00:00
"""
from alembic import op


revision = '0003_ops_committee_index'
down_revision = '0002_actions_postponed_from'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_notification_committee', 'notification', ['committee_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notification_committee', table_name='notification')
