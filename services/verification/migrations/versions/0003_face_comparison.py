"""face comparison (X8: consent, the model's outcome, staff's decision; no face encodings)

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
    op.add_column('cases', sa.Column('face', sa.JSON(), nullable=True,
                                     comment='X8: consent, outcome, distance, threshold, decision'))


def downgrade() -> None:
    op.drop_column('cases', 'face')
