"""typed values normalised once at the edge: stored values re-normalised and their lookups recomputed (issue 17)

A data migration: ``intake.normalise`` does the work (its docstring says why it needs the service's keys and how
to run it on its own as ``python -m intake.normalise``); here it runs in the migration's transaction with the keys
of the migration step's environment.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    from intake.normalise import run_in_migration

    run_in_migration(op.get_bind())


def downgrade() -> None:
    """Nothing to undo: the normal form of a typed value is a value the earlier code reads as typed."""
