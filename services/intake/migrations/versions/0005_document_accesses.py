"""document accesses (W4, B1: every opening of a scan is recorded, issue 8)

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
    op.create_table('document_accesses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('scan_id', sa.String(length=36), nullable=False),
    sa.Column('filing_id', sa.String(length=36), nullable=False),
    sa.Column('accessed_by', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('accessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['filing_id'], ['filings.id'], ),
    sa.ForeignKeyConstraint(['scan_id'], ['document_scans.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_document_accesses_filing_id'), 'document_accesses', ['filing_id'], unique=False)
    op.create_index(op.f('ix_document_accesses_scan_id'), 'document_accesses', ['scan_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_document_accesses_scan_id'), table_name='document_accesses')
    op.drop_index(op.f('ix_document_accesses_filing_id'), table_name='document_accesses')
    op.drop_table('document_accesses')
