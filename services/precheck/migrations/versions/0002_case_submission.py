"""a case keeps the submission it received

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 04:40:00

precheck_passed.v2 carries the submission passed (issue 18), so precheck keeps each case's submission, personal
fields sealed under ``precheck.submission``. Cases received before have none: their pass is published as v1 only.
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("submission", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("cases", "submission")
