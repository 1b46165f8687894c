"""check_run_counts per run; stock_sites carry their filing's approval time

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 00:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('check_run_counts',
    sa.Column('run_id', sa.String(length=36), nullable=False),
    sa.Column('province', sa.String(length=4), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('flagged', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['check_runs.id'], ),
    sa.PrimaryKeyConstraint('run_id', 'province', 'provider_id', 'month')
    )
    op.add_column('stock_sites', sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True,
                                           comment="the filing's, so the rate needs no join"))
    op.execute("UPDATE stock_sites SET approved_at = stock.approved_at FROM stock WHERE stock.pk = stock_sites.stock_pk")
    op.alter_column('stock_sites', 'approved_at', nullable=False)
    op.drop_index('ix_stock_sites_provider_domain', table_name='stock_sites')
    op.create_index('ix_stock_sites_provider_domain', 'stock_sites', ['provider_id', 'domain', 'approved_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_stock_sites_provider_domain', table_name='stock_sites')
    op.create_index('ix_stock_sites_provider_domain', 'stock_sites', ['provider_id', 'domain'], unique=False)
    op.drop_column('stock_sites', 'approved_at')
    op.drop_table('check_run_counts')
