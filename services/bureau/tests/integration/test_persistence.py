"""The bureau's models and its Alembic migrations agree on PostgreSQL (design.md §5)."""
import pytest

from bureau.models import Base
from shared.platform.migrations import differences

pytestmark = pytest.mark.integration


def test_migrations_match_the_models(database_factory):
    assert differences(database_factory("bureau"), Base.metadata) == []
