"""calendar years (X4: the sponsor is reminded 3 working days before the on-site window closes; an administrator
loads a year's State Council schedule as in precheck and the bureau; issue 22)

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
    op.create_table('calendar_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('schedule', sa.JSON(), nullable=False),
    sa.Column('loaded_by', sa.String(length=120), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )


def downgrade() -> None:
    op.drop_table('calendar_years')
