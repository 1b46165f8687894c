"""the MIIT SMS check on a review (X2; issue 22)

Reviews received before carry no check (``miit_state`` null) and are reviewed as before.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('reviews', sa.Column('miit_state', sa.String(length=16), nullable=True))
    op.add_column('reviews', sa.Column('miit_code', sa.String(length=64), nullable=True))
    op.add_column('reviews', sa.Column('miit_expires_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('reviews', sa.Column('miit_tries', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('reviews', sa.Column('miit_resends', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('reviews', sa.Column('miit_reminded_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_reviews_miit_state'), 'reviews', ['miit_state'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reviews_miit_state'), table_name='reviews')
    for column in ('miit_reminded_at', 'miit_resends', 'miit_tries', 'miit_expires_at', 'miit_code', 'miit_state'):
        op.drop_column('reviews', column)
