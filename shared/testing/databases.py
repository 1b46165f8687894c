"""Per-test PostgreSQL databases, migrated with the service's own Alembic scripts (design.md §7).

``TEST_PG_URL`` names the server's maintenance database (default: the local trust-auth server).
"""
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.platform.migrations import upgrade

ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
REPO = Path(__file__).resolve().parents[2]


def migrated_database(admin, service: str) -> str:
    """Create a fresh database for ``services/<service>`` on ``admin``'s server, migrate it to head, and answer
    its URL."""
    name = f"test_{service}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(REPO / "services" / service, url)
    return url


@pytest.fixture
def database_factory():
    """``make(service) -> url``: a fresh database for ``services/<service>`` at its migration head;
    every database made is dropped afterwards."""
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make(service: str) -> str:
        url = migrated_database(admin, service)
        made.append(url.rsplit("/", 1)[1])
        return url

    yield make
    with admin.connect() as connection:
        for name in made:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
