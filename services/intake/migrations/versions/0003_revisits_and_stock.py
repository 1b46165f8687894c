"""revisits of approved sponsors (W5) and the stock re-verification plan (W6)

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('revisits',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('filing_id', sa.String(length=36), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['filing_id'], ['filings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_revisits_filing_id'), 'revisits', ['filing_id'], unique=False)
    op.create_index(op.f('ix_revisits_provider_id'), 'revisits', ['provider_id'], unique=False)
    op.create_index('ix_revisits_state_due', 'revisits', ['state', 'due_at'], unique=False)
    op.create_table('stock_imports',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('request_key', sa.String(length=250), nullable=True, comment='actor:Idempotency-Key'),
    sa.Column('source', sa.String(length=250), nullable=False),
    sa.Column('started_by', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('imported', sa.Integer(), nullable=False),
    sa.Column('already_imported', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('rejections', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_key')
    )
    op.create_index(op.f('ix_stock_imports_provider_id'), 'stock_imports', ['provider_id'], unique=False)
    op.create_table('stock_reverifications',
    sa.Column('filing_number', sa.String(length=40), nullable=False),
    sa.Column('filing_id', sa.String(length=36), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.String(length=36), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['filing_id'], ['filings.id'], ),
    sa.ForeignKeyConstraint(['import_id'], ['stock_imports.id'], ),
    sa.PrimaryKeyConstraint('filing_number'),
    sa.UniqueConstraint('filing_id')
    )
    op.create_index(op.f('ix_stock_reverifications_import_id'), 'stock_reverifications', ['import_id'],
                    unique=False)
    op.create_index('ix_stock_reverifications_progress', 'stock_reverifications',
                    ['provider_id', 'state', 'deadline'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_stock_reverifications_progress', table_name='stock_reverifications')
    op.drop_index(op.f('ix_stock_reverifications_import_id'), table_name='stock_reverifications')
    op.drop_table('stock_reverifications')
    op.drop_index(op.f('ix_stock_imports_provider_id'), table_name='stock_imports')
    op.drop_table('stock_imports')
    op.drop_index('ix_revisits_state_due', table_name='revisits')
    op.drop_index(op.f('ix_revisits_provider_id'), table_name='revisits')
    op.drop_index(op.f('ix_revisits_filing_id'), table_name='revisits')
    op.drop_table('revisits')
