"""expiry reminders of drafts (X4; issue 22)

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('filings', sa.Column('draft_reminders', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    op.drop_column('filings', 'draft_reminders')
