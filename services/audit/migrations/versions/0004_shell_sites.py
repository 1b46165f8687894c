"""X5: the approved-sites list as intake announces it, and shell-site findings

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 08:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('approved_sites',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('revision', sa.BigInteger(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('provider_id', 'domain')
    )
    op.create_table('shell_sites',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('import_id', sa.String(length=36), nullable=False),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rectify_by', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_reason', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_shell_sites_open', 'shell_sites', ['provider_id'], unique=False,
                    postgresql_where=sa.text('cleared_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_shell_sites_open', table_name='shell_sites', postgresql_where=sa.text('cleared_at IS NULL'))
    op.drop_table('shell_sites')
    op.drop_table('approved_sites')
