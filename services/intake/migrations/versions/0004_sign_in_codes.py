"""sign-in codes (P1, issue 8: sponsors sign in with their mobile and a one-time SMS code)

Revision ID: 0004
Revises: 0002

0003 is taken by the revisits and stock import (issue 9), developed in parallel: when both are merged, this
revision follows 0003 (set ``down_revision = '0003'``).
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sign_in_codes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('mobile_hmac', sa.String(length=64), nullable=False),
    sa.Column('client_hmac', sa.String(length=64), nullable=False),
    sa.Column('code_digest', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_sign_in_codes_mobile_hmac'), 'sign_in_codes', ['mobile_hmac'], unique=False)
    op.create_index(op.f('ix_sign_in_codes_client_hmac'), 'sign_in_codes', ['client_hmac'], unique=False)
    op.create_index(op.f('ix_sign_in_codes_created_at'), 'sign_in_codes', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_sign_in_codes_created_at'), table_name='sign_in_codes')
    op.drop_index(op.f('ix_sign_in_codes_client_hmac'), table_name='sign_in_codes')
    op.drop_index(op.f('ix_sign_in_codes_mobile_hmac'), table_name='sign_in_codes')
    op.drop_table('sign_in_codes')
