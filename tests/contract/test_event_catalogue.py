"""``docs/events.md`` is the generated catalogue of every event (issue 10: docs stay true)."""
import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]


def test_the_event_catalogue_is_current():
    spec = importlib.util.spec_from_file_location("event_catalogue", REPO / "tools" / "event_catalogue.py")
    catalogue = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(catalogue)
    assert catalogue.CATALOGUE.read_text(encoding="utf-8") == catalogue.render(), (
        "docs/events.md is stale: run python tools/event_catalogue.py"
    )
