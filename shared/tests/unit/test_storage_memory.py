"""InMemoryObjectStore (shared/testing/fakes.py) against the object storage port's conformance suite (issue 18).

The fake serves presigned links itself, so unlike moto it refuses expired links and, below, forged ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from shared.platform.storage import MAX_PRESIGN, ObjectStore
from shared.testing.fakes import InMemoryObjectStore
from shared.testing.storage_conformance import PHOTO, ObjectStoreConformance

pytestmark = pytest.mark.unit


class TestInMemoryObjectStore(ObjectStoreConformance):
    """The port's contract for the in-memory fake, presign expiry included."""


@pytest.fixture
def object_store() -> Iterator[InMemoryObjectStore]:
    """A fresh store per test; its link server (if a test started one) stops afterwards."""
    store = InMemoryObjectStore()
    yield store
    store.close()


def test_the_fake_is_an_object_store(object_store: InMemoryObjectStore) -> None:
    assert isinstance(object_store, ObjectStore)


def test_a_forged_presigned_link_is_refused(object_store: InMemoryObjectStore, bucket_name: str) -> None:
    object_store.ensure_bucket(bucket_name)
    object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
    object_store.put(bucket_name, "other", b"someone else's", "image/jpeg")
    url = object_store.presigned_get(bucket_name, "k", MAX_PRESIGN)
    assert requests.get(url, timeout=10).content == PHOTO
    assert requests.get(url.replace("/k?", "/other?"), timeout=10).status_code == 403
    assert requests.get(url.replace("signature=", "signature=0"), timeout=10).status_code == 403
    assert requests.get(url.split("?")[0], timeout=10).status_code == 403


def test_a_link_to_a_deleted_object_is_not_found(object_store: InMemoryObjectStore, bucket_name: str) -> None:
    object_store.ensure_bucket(bucket_name)
    object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
    url = object_store.presigned_get(bucket_name, "k", timedelta(seconds=60))
    object_store.delete(bucket_name, "k")
    assert requests.get(url, timeout=10).status_code == 404
