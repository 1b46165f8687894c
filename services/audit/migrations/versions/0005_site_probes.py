"""X5: approved domains probed through a resolver and HEAD; shell-site findings of the probe (issue 22)

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('site_probes',
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('addresses', sa.JSON(), nullable=False),
    sa.Column('probed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('failing_since', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('provider_id', 'domain')
    )
    op.alter_column('shell_sites', 'import_id', existing_type=sa.String(length=36), nullable=True)
    op.add_column('shell_sites', sa.Column('reason', sa.String(length=32), server_default='not_in_inventory',
                                           nullable=False))
    op.add_column('shell_sites', sa.Column('addresses', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('shell_sites', 'addresses')
    op.drop_column('shell_sites', 'reason')
    op.execute("DELETE FROM shell_sites WHERE import_id IS NULL")
    op.alter_column('shell_sites', 'import_id', existing_type=sa.String(length=36), nullable=False)
    op.drop_table('site_probes')
