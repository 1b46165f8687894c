"""one number per sponsor, website accesses, public query counts (X1, X9; issue 21)

Numbers issued before keep their meaning: their websites' current provider becomes their first access; their
sponsor key is set when a change of theirs is next approved (the bureau cannot re-derive it from sealed data here).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':  # the demo's embedded database: its unique constraint has no name
        with op.batch_alter_table('filing_numbers', naming_convention=_SQLITE_NAMES) as batch:
            batch.drop_constraint('uq_filing_numbers_filing_id', type_='unique')
    else:
        op.drop_constraint('filing_numbers_filing_id_key', 'filing_numbers', type_='unique')
    op.add_column('filing_numbers', sa.Column('sponsor_key', sa.String(length=64), nullable=True))
    op.add_column('filing_numbers', sa.Column('name_key', sa.String(length=200), nullable=True))
    op.create_index(op.f('ix_filing_numbers_filing_id'), 'filing_numbers', ['filing_id'], unique=False)
    op.create_index(op.f('ix_filing_numbers_name_key'), 'filing_numbers', ['name_key'], unique=False)
    op.create_index('uq_filing_numbers_active_sponsor', 'filing_numbers', ['sponsor_key'], unique=True,
                    postgresql_where=sa.text('retired_at IS NULL'), sqlite_where=sa.text('retired_at IS NULL'))
    op.create_table('website_accesses',
    sa.Column('domain_ascii', sa.String(length=253), nullable=False),
    sa.Column('provider_id', sa.String(length=64), nullable=False),
    sa.Column('filing_id', sa.String(length=36), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['domain_ascii'], ['websites.domain_ascii'], ),
    sa.PrimaryKeyConstraint('domain_ascii', 'provider_id')
    )
    op.create_index(op.f('ix_website_accesses_filing_id'), 'website_accesses', ['filing_id'], unique=False)
    op.execute("INSERT INTO website_accesses (domain_ascii, provider_id, filing_id, since) "
               "SELECT w.domain_ascii, n.provider_id, n.filing_id, w.approved_at FROM websites w "
               "JOIN filing_numbers n ON n.number = w.filing_number WHERE w.retired_at IS NULL")
    op.create_table('public_query_counts',
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('client', 'window_start')
    )


def downgrade() -> None:
    op.drop_table('public_query_counts')
    op.drop_index(op.f('ix_website_accesses_filing_id'), table_name='website_accesses')
    op.drop_table('website_accesses')
    op.drop_index('uq_filing_numbers_active_sponsor', table_name='filing_numbers')
    op.drop_index(op.f('ix_filing_numbers_name_key'), table_name='filing_numbers')
    op.drop_index(op.f('ix_filing_numbers_filing_id'), table_name='filing_numbers')
    with op.batch_alter_table('filing_numbers') as batch:
        batch.drop_column('name_key')
        batch.drop_column('sponsor_key')
        batch.create_unique_constraint('filing_numbers_filing_id_key', ['filing_id'])
