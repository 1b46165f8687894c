"""calendar years (X4: the sponsor is reminded 3 working days before the on-site window closes; an administrator
loads a year's State Council schedule as in precheck and the bureau; issue 22)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

from shared.platform.calendar import calendar_years_table

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    calendar_years_table(sa.MetaData()).create(op.get_bind())  # the table precheck and the bureau keep


def downgrade() -> None:
    op.drop_table('calendar_years')
