"""approved sites (P8: connect a site only once its filing is approved)

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('approved_sites',
    sa.Column('domain', sa.String(length=253), nullable=False, comment='ASCII (punycode) form'),
    sa.Column('filing_id', sa.String(length=36), nullable=False),
    sa.Column('website_number', sa.String(length=48), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['filing_id'], ['filings.id'], ),
    sa.PrimaryKeyConstraint('domain')
    )
    op.create_index(op.f('ix_approved_sites_filing_id'), 'approved_sites', ['filing_id'], unique=False)
    op.create_table('approved_sites_revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('approved_sites_revision')
    op.drop_index(op.f('ix_approved_sites_filing_id'), table_name='approved_sites')
    op.drop_table('approved_sites')
