"""verification's Alembic migrations create exactly the tables its models describe (design.md §5)."""
import pytest

from shared.platform.migrations import differences
from verification.models import Base

pytestmark = pytest.mark.integration


def test_migrations_match_the_models(database_factory):
    assert differences(database_factory("verification"), Base.metadata) == []
