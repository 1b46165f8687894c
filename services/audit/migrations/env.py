"""Alembic environment of the audit service: the URL is the service's ``DB_URL``."""

import os

from alembic import context

from audit.models import Base
from shared.platform.db import make_engine

url = context.config.get_main_option("sqlalchemy.url") or os.environ["DB_URL"]
engine = make_engine(url, pool_size=1)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
