"""unknown messages are due for reconciliation

Messages left ``unknown`` before notify's delivery rule (issue 17 point 8b) had no next time; the reconciler takes
an ``unknown`` message whose ``next_attempt_at`` is due, so each of them is asked about once the service runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 02:00:00
"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from shared.platform.db import UtcDateTime

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

messages = sa.table("messages", sa.column("state", sa.String), sa.column("next_attempt_at", UtcDateTime()))


def upgrade() -> None:
    op.execute(
        messages.update()
        .where(messages.c.state == "unknown", messages.c.next_attempt_at.is_(None))
        .values(next_attempt_at=datetime.now(UTC))
    )


def downgrade() -> None:
    op.execute(messages.update().where(messages.c.state == "unknown").values(next_attempt_at=None))
