"""personal data accesses (W4, B1, issue 17: staff see personal data masked; each opening of a full value is recorded)

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('personal_data_accesses',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('filing_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('accessed_by', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('accessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['filing_id'], ['filings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_personal_data_accesses_filing_id'), 'personal_data_accesses', ['filing_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_personal_data_accesses_filing_id'), table_name='personal_data_accesses')
    op.drop_table('personal_data_accesses')
