"""Alembic per service (design.md §5): each service keeps ``services/<name>/migrations`` and an
``alembic.ini``; these helpers run and check them from code (start-up jobs, tests)."""

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import MetaData

from shared.platform.db import make_engine


def alembic_config(service_dir: Path, url: str) -> Config:
    config = Config(str(service_dir / "alembic.ini"))
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service_dir: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(service_dir, url), revision)


def differences(url: str, metadata: MetaData) -> list:
    """What autogenerate would change: empty when the migrations and the models agree."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
