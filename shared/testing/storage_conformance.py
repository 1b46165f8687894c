"""Conformance suite for the object storage port (``shared.platform.storage.ObjectStore``).

Every backend's test module subclasses :class:`ObjectStoreConformance` and provides two fixtures:
``object_store`` (the backend under test, cleaning up after itself) and ``bucket_name`` (a fresh, uncreated
bucket name). The suite states the contract services rely on; tests marked ``req("W4")`` prove evidence
retention: a version written with a retain-until date cannot be deleted or hidden for good before that date.

What a test proves depends on the server behind the backend: moto accepts some requests real MinIO refuses.
A subclass declares what its server does not enforce with the ``enforces_*`` flags; the tests that need the
enforcement are then skipped with the reason, never passed vacuously.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from shared.platform.storage import (
    MAX_PRESIGN,
    ObjectLocked,
    ObjectNotFound,
    ObjectRef,
    ObjectStore,
    StorageError,
    evidence_retain_until,
)

PHOTO = b"\xff\xd8\xff\xe0 not really a jpeg, but bytes that must come back unchanged \x00\x01\x02"


class ObjectStoreConformance:
    """Tests every ObjectStore backend must pass. Not collected by itself (no ``Test`` prefix)."""

    enforces_presign_expiry: bool = True
    """The server refuses a presigned URL after its expiry (MinIO, S3: yes; moto 5.2.5: no)."""

    # --- bytes and references -------------------------------------------------------------------------

    def test_round_trip_keeps_bytes_sha256_size_and_content_type(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name)
        ref = object_store.put(bucket_name, "filings/f-1/photo.jpg", PHOTO, "image/jpeg")
        assert ref.bucket == bucket_name
        assert ref.key == "filings/f-1/photo.jpg"
        assert ref.sha256 == hashlib.sha256(PHOTO).hexdigest()
        assert ref.size == len(PHOTO)
        assert ref.content_type == "image/jpeg"
        assert object_store.get(bucket_name, "filings/f-1/photo.jpg") == PHOTO

    def test_empty_object_round_trips(self, object_store: ObjectStore, bucket_name: str) -> None:
        object_store.ensure_bucket(bucket_name)
        ref = object_store.put(bucket_name, "empty.txt", b"", "text/plain")
        assert ref.size == 0
        assert ref.sha256 == hashlib.sha256(b"").hexdigest()
        assert object_store.get(bucket_name, "empty.txt") == b""

    def test_stat_returns_the_reference_put_returned(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name)
        ref = object_store.put(bucket_name, "scan.pdf", PHOTO, "application/pdf")
        assert object_store.stat(bucket_name, "scan.pdf") == ref

    def test_reference_survives_an_event_round_trip(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        ref = object_store.put(bucket_name, "form.pdf", PHOTO, "application/pdf")
        carried = ObjectRef.from_dict(ref.to_dict())
        assert object_store.get(carried.bucket, carried.key, carried.version_id) == PHOTO

    def test_object_over_the_multipart_threshold_is_stored_whole(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        # minio-py switches to multipart above 5 MiB; scans of forms easily exceed that.
        data = bytes(range(256)) * (6 * 1024 * 4)
        object_store.ensure_bucket(bucket_name, object_lock=True)
        until = evidence_retain_until(datetime.now(UTC))
        ref = object_store.put(bucket_name, "big-scan.pdf", data, "application/pdf", retain_until=until)
        assert ref.size == len(data)
        assert object_store.get(bucket_name, "big-scan.pdf", ref.version_id) == data

    # --- missing things -------------------------------------------------------------------------------

    def test_missing_key_is_object_not_found(self, object_store: ObjectStore, bucket_name: str) -> None:
        object_store.ensure_bucket(bucket_name)
        with pytest.raises(ObjectNotFound):
            object_store.get(bucket_name, "nope")
        with pytest.raises(ObjectNotFound):
            object_store.stat(bucket_name, "nope")
        with pytest.raises(ObjectNotFound):
            object_store.retention(bucket_name, "nope")

    def test_missing_bucket_is_object_not_found(self, object_store: ObjectStore, bucket_name: str) -> None:
        with pytest.raises(ObjectNotFound):
            object_store.get(bucket_name, "nope")
        with pytest.raises(ObjectNotFound):
            object_store.stat(bucket_name, "nope")

    def test_missing_version_is_object_not_found(self, object_store: ObjectStore, bucket_name: str) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
        with pytest.raises(ObjectNotFound):
            object_store.get(bucket_name, "k", version_id=str(uuid.uuid4()))

    def test_put_into_missing_bucket_fails(self, object_store: ObjectStore, bucket_name: str) -> None:
        with pytest.raises(StorageError):
            object_store.put(bucket_name, "k", PHOTO, "image/jpeg")

    # --- buckets --------------------------------------------------------------------------------------

    def test_ensure_bucket_is_idempotent(self, object_store: ObjectStore, bucket_name: str) -> None:
        object_store.ensure_bucket(bucket_name)
        object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
        object_store.ensure_bucket(bucket_name)
        assert object_store.get(bucket_name, "k") == PHOTO

    def test_ensure_locked_bucket_is_idempotent(self, object_store: ObjectStore, bucket_name: str) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        object_store.ensure_bucket(bucket_name, object_lock=True)
        object_store.ensure_bucket(bucket_name)

    @pytest.mark.req("W4")
    def test_ensure_locked_bucket_refuses_an_existing_unlocked_one(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name)
        with pytest.raises(StorageError, match="Object Lock"):
            object_store.ensure_bucket(bucket_name, object_lock=True)

    def test_plain_delete_removes_the_object(self, object_store: ObjectStore, bucket_name: str) -> None:
        object_store.ensure_bucket(bucket_name)
        object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
        object_store.delete(bucket_name, "k")
        with pytest.raises(ObjectNotFound):
            object_store.get(bucket_name, "k")
        object_store.delete(bucket_name, "k")  # deleting what is gone is not an error

    # --- retention (W4) -------------------------------------------------------------------------------

    def test_unlocked_object_has_no_retention(self, object_store: ObjectStore, bucket_name: str) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        ref = object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
        assert object_store.retention(bucket_name, "k", ref.version_id) is None

    @pytest.mark.req("W4")
    def test_put_with_retention_returns_a_version_and_reports_the_date(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        until = evidence_retain_until(datetime.now(UTC))
        ref = object_store.put(bucket_name, "evidence/photo.jpg", PHOTO, "image/jpeg", retain_until=until)
        assert ref.version_id
        reported = object_store.retention(bucket_name, "evidence/photo.jpg", ref.version_id)
        assert reported is not None
        # S3 keeps the date to the millisecond.
        assert abs(reported - until) < timedelta(milliseconds=1)
        assert reported - datetime.now(UTC) > timedelta(days=5 * 365)

    @pytest.mark.req("W4")
    def test_deleting_a_locked_version_is_refused_and_its_bytes_survive(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        until = evidence_retain_until(datetime.now(UTC))
        ref = object_store.put(bucket_name, "evidence/photo.jpg", PHOTO, "image/jpeg", retain_until=until)
        with pytest.raises(ObjectLocked):
            object_store.delete(bucket_name, "evidence/photo.jpg", version_id=ref.version_id)
        assert object_store.get(bucket_name, "evidence/photo.jpg", ref.version_id) == PHOTO
        assert object_store.get(bucket_name, "evidence/photo.jpg") == PHOTO

    @pytest.mark.req("W4")
    def test_delete_without_version_only_hides_the_locked_version(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        until = evidence_retain_until(datetime.now(UTC))
        ref = object_store.put(bucket_name, "evidence/photo.jpg", PHOTO, "image/jpeg", retain_until=until)
        object_store.delete(bucket_name, "evidence/photo.jpg")
        with pytest.raises(ObjectNotFound):
            object_store.get(bucket_name, "evidence/photo.jpg")
        assert object_store.get(bucket_name, "evidence/photo.jpg", ref.version_id) == PHOTO
        assert object_store.stat(bucket_name, "evidence/photo.jpg", ref.version_id) == ref

    @pytest.mark.req("W4")
    def test_a_new_put_keeps_the_locked_version(self, object_store: ObjectStore, bucket_name: str) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        until = evidence_retain_until(datetime.now(UTC))
        first = object_store.put(bucket_name, "evidence/photo.jpg", PHOTO, "image/jpeg", retain_until=until)
        second = object_store.put(bucket_name, "evidence/photo.jpg", b"replacement", "image/jpeg")
        assert second.version_id != first.version_id
        assert object_store.get(bucket_name, "evidence/photo.jpg") == b"replacement"
        assert object_store.get(bucket_name, "evidence/photo.jpg", first.version_id) == PHOTO

    @pytest.mark.req("W4")
    def test_a_locked_put_into_an_unlocked_bucket_is_refused(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name)
        until = evidence_retain_until(datetime.now(UTC))
        with pytest.raises(StorageError):
            object_store.put(bucket_name, "evidence/photo.jpg", PHOTO, "image/jpeg", retain_until=until)
        with pytest.raises(ObjectNotFound):
            object_store.get(bucket_name, "evidence/photo.jpg")

    def test_retain_until_must_be_aware_and_in_the_future(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        with pytest.raises(ValueError, match="timezone-aware"):
            object_store.put(bucket_name, "k", PHOTO, "image/jpeg", retain_until=datetime(2040, 1, 1))
        with pytest.raises(ValueError, match="future"):
            object_store.put(
                bucket_name, "k", PHOTO, "image/jpeg", retain_until=datetime.now(UTC) - timedelta(seconds=1)
            )

    # --- presigned links ------------------------------------------------------------------------------

    def test_presigned_link_downloads_with_a_plain_http_client(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name, object_lock=True)
        ref = object_store.put(bucket_name, "evidence/photo.jpg", PHOTO, "image/jpeg")
        object_store.put(bucket_name, "evidence/photo.jpg", b"a later version", "image/jpeg")
        url = object_store.presigned_get(bucket_name, "evidence/photo.jpg", MAX_PRESIGN, ref.version_id)
        response = requests.get(url, timeout=10)
        assert response.status_code == 200
        assert response.content == PHOTO

    @pytest.mark.req("W4")
    def test_presigned_link_refuses_more_than_300_seconds(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        object_store.ensure_bucket(bucket_name)
        object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
        for expires in (MAX_PRESIGN + timedelta(seconds=1), timedelta(days=7), timedelta(0), timedelta(-1)):
            with pytest.raises(ValueError):
                object_store.presigned_get(bucket_name, "k", expires)

    @pytest.mark.req("W4")
    def test_presigned_link_stops_working_after_it_expires(
        self, object_store: ObjectStore, bucket_name: str
    ) -> None:
        if not self.enforces_presign_expiry:
            pytest.skip("this backend's server serves expired presigned URLs; only MinIO/S3 prove expiry")
        object_store.ensure_bucket(bucket_name)
        object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
        url = object_store.presigned_get(bucket_name, "k", timedelta(seconds=1))
        time.sleep(2.5)
        assert requests.get(url, timeout=10).status_code == 403
