"""stock: partial index of the filings the bulk check takes one by one

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_stock_other_documents', 'stock', ['pk'], unique=False,
                    postgresql_where=sa.text("document_type <> 'resident_id' OR octet_length(id_sealed) <> 46"))


def downgrade() -> None:
    op.drop_index('ix_stock_other_documents', table_name='stock',
                  postgresql_where=sa.text("document_type <> 'resident_id' OR octet_length(id_sealed) <> 46"))
