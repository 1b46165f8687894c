"""the verification department and its quality records (W1); cases for stock re-verification (W6)

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
    op.create_table('staff',
    sa.Column('staff_id', sa.String(length=120), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False, comment='sealed under verification.staff.name'),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('supervisor_id', sa.String(length=120), nullable=True, comment='the supervisor responsible'),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('staff_id')
    )
    op.create_index(op.f('ix_staff_provider_id'), 'staff', ['provider_id'], unique=False)
    op.create_table('quality_records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('staff_id', sa.String(length=120), nullable=True),
    sa.Column('actor', sa.String(length=120), nullable=True),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('filing_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_quality_records_at'), 'quality_records', ['at'], unique=False)
    op.create_index(op.f('ix_quality_records_filing_id'), 'quality_records', ['filing_id'], unique=False)
    op.create_index(op.f('ix_quality_records_staff_id'), 'quality_records', ['staff_id'], unique=False)
    op.add_column('cases', sa.Column('purpose', sa.String(length=16), server_default='filing', nullable=False,
                                     comment='filing (P3) or stock (W6: re-verification of an approved filing)'))


def downgrade() -> None:
    op.drop_column('cases', 'purpose')
    op.drop_index(op.f('ix_quality_records_staff_id'), table_name='quality_records')
    op.drop_index(op.f('ix_quality_records_filing_id'), table_name='quality_records')
    op.drop_index(op.f('ix_quality_records_at'), table_name='quality_records')
    op.drop_table('quality_records')
    op.drop_index(op.f('ix_staff_provider_id'), table_name='staff')
    op.drop_table('staff')
