"""MinioObjectStore (minio-py 7.2.20) against moto 5.2.5's S3 server on loopback (design.md §5, §8).

Which backend each test proves:

- The conformance suite proves the adapter's contract against moto. What moto 5.2.5 really enforces, and so
  what these tests prove about the server side too:
  * a locked put without Content-MD5 (or x-amz-sdk-checksum-algorithm) is refused
    (MissingUploadObjectWithObjectLockHeaders) -> our locked puts succeeding proves the header is sent;
  * a locked put into a bucket without Object Lock is refused (InvalidRequest);
  * deleting a version whose COMPLIANCE date is in the future is refused (AccessDenied);
  * a delete without version id on a versioned bucket adds a delete marker; older versions stay readable;
  * a bucket created with Object Lock is versioned; a bucket without it has no lock configuration.
- What moto 5.2.5 does NOT enforce (pinned below by ``test_moto_*`` characterisation tests, so an upgrade that
  changes them is noticed), and only real MinIO/S3 would prove:
  * presigned URLs are served after expiry and with a tampered signature (no SigV4 check without moto auth);
  * COMPLIANCE retention can be shortened with PutObjectRetention (MinIO/S3 refuse);
  * a wrong Content-MD5 value is accepted (MinIO/S3 answer BadDigest);
  * GetObjectRetention is missing: ``GET ?retention`` returns the object's bytes, so minio-py's
    ``get_object_retention`` fails to parse it. The adapter reads the lock headers of HEAD instead, which
    MinIO and S3 also return.
  Conversely MinIO (unlike AWS and moto) may accept a locked put without Content-MD5 (minio/minio#16480), so
  the request-capture test below is what proves the header on every backend.
"""

from __future__ import annotations

import base64
import hashlib
import io
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import Mock

import pytest
import requests
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from shared.platform.storage import (
    MinioObjectStore,
    ObjectStorage,
    StorageConfigError,
    StorageError,
    evidence_retain_until,
    http_client,
)
from shared.testing.storage_conformance import PHOTO, ObjectStoreConformance

pytestmark = pytest.mark.integration


class TestMinioObjectStoreOnMoto(ObjectStoreConformance):
    """The port's contract for MinioObjectStore; the server is moto (see the module docstring)."""

    enforces_presign_expiry = False


def _raw_client(config: dict[str, Any], pool: urllib3.PoolManager | None = None) -> Minio:
    return Minio(
        config["S3_ENDPOINT"],
        access_key=config["S3_ACCESS_KEY"],
        secret_key=config["S3_SECRET_KEY"],
        secure=False,
        region=config["S3_REGION"],
        http_client=pool or http_client(),
    )


class RecordingPool(urllib3.PoolManager):
    """A PoolManager that remembers each request's method, URL and headers as sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    def urlopen(self, method: str, url: str, redirect: bool = True, **kw: Any) -> Any:
        self.sent.append((method, url, dict(kw.get("headers") or {})))
        return super().urlopen(method, url, redirect=redirect, **kw)


# --- Content-MD5 on locked puts (W4) ------------------------------------------------------------------------


@pytest.mark.req("W4")
def test_locked_put_sends_content_md5_of_the_bytes(s3_server: dict[str, Any], bucket_name: str) -> None:
    pool = RecordingPool(timeout=urllib3.Timeout(connect=5, read=30))
    store = MinioObjectStore(_raw_client(s3_server, pool))
    store.ensure_bucket(bucket_name, object_lock=True)
    store.put(bucket_name, "evidence/photo.jpg", PHOTO, "image/jpeg",
              retain_until=evidence_retain_until(datetime.now(UTC)))

    puts = [headers for method, url, headers in pool.sent if method == "PUT" and "photo.jpg" in url]
    assert len(puts) == 1
    headers = {k.lower(): v for k, v in puts[0].items()}
    assert headers["content-md5"] == base64.b64encode(hashlib.md5(PHOTO).digest()).decode()
    assert headers["x-amz-object-lock-mode"] == "COMPLIANCE"
    assert "x-amz-object-lock-retain-until-date" in headers


@pytest.mark.req("W4")
def test_moto_refuses_a_locked_put_without_content_md5(
    object_store: MinioObjectStore, s3_server: dict[str, Any], bucket_name: str
) -> None:
    """Control for the conformance suite: plain minio-py over HTTP omits the header and moto refuses, so the
    adapter's locked puts passing there means it sends the header."""
    object_store.ensure_bucket(bucket_name, object_lock=True)
    until = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(S3Error) as refused:
        _raw_client(s3_server).put_object(
            bucket_name, "k", io.BytesIO(PHOTO), len(PHOTO), retention=Retention(COMPLIANCE, until)
        )
    assert refused.value.code == "MissingUploadObjectWithObjectLockHeaders"
    ref = object_store.put(bucket_name, "k", PHOTO, "image/jpeg", retain_until=until)
    assert object_store.retention(bucket_name, "k", ref.version_id) is not None


# --- adapter behaviour beyond the port ----------------------------------------------------------------------


@pytest.mark.req("W4")
def test_get_refuses_bytes_that_do_not_match_the_recorded_sha256(
    object_store: MinioObjectStore, s3_server: dict[str, Any], bucket_name: str
) -> None:
    object_store.ensure_bucket(bucket_name)
    _raw_client(s3_server).put_object(
        bucket_name, "k", io.BytesIO(b"swapped"), 7, metadata={"sha256": hashlib.sha256(PHOTO).hexdigest()}
    )
    with pytest.raises(StorageError, match="integrity"):
        object_store.get(bucket_name, "k")


def test_stat_hashes_objects_written_by_other_tools(
    object_store: MinioObjectStore, s3_server: dict[str, Any], bucket_name: str
) -> None:
    object_store.ensure_bucket(bucket_name)
    _raw_client(s3_server).put_object(
        bucket_name, "k", io.BytesIO(PHOTO), len(PHOTO), content_type="image/png"
    )
    ref = object_store.stat(bucket_name, "k")
    assert ref.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert ref.content_type == "image/png"
    assert ref.version_id is None


def test_an_unresponsive_server_fails_within_the_timeout() -> None:
    """design.md §4: every outbound call is bounded. The listener accepts connections but never answers."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        store = MinioObjectStore.from_config({
            "S3_ENDPOINT": f"127.0.0.1:{silent.getsockname()[1]}",
            "S3_ACCESS_KEY": "a",
            "S3_SECRET_KEY": "b",
            "S3_SECURE": False,
            "S3_TIMEOUT_SECONDS": "0.3",
        })
        started = time.monotonic()
        with pytest.raises(StorageError, match="unavailable"):
            store.get("some-bucket", "k")
        # 3 attempts (1 + 2 retries) of 0.3 s plus backoff; minio-py's own default read timeout is 5 minutes.
        assert time.monotonic() - started < 5


def test_object_storage_dependency_builds_the_store_from_container_config(
    s3_server: dict[str, Any], bucket_name: str
) -> None:
    container = Mock(config=dict(s3_server))  # extensions hold their container weakly
    provider = ObjectStorage().bind(container, "storage")
    provider.setup()
    store = provider.get_dependency(Mock())
    assert isinstance(store, MinioObjectStore)
    store.ensure_bucket(bucket_name)
    assert store.get(bucket_name, store.put(bucket_name, "k", PHOTO, "image/jpeg").key) == PHOTO
    store.delete(bucket_name, "k")
    store.client.remove_bucket(bucket_name)


@pytest.mark.parametrize("missing", ["S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY"])
def test_object_storage_dependency_fails_at_start_up_naming_the_missing_setting(missing: str) -> None:
    config = {"S3_ENDPOINT": "minio:9000", "S3_ACCESS_KEY": "a", "S3_SECRET_KEY": "b"}
    container = Mock(config={k: v for k, v in config.items() if k != missing})
    provider = ObjectStorage().bind(container, "storage")
    with pytest.raises(StorageConfigError, match=missing):
        provider.setup()


# --- moto 5.2.5 characterisation: what the local server does NOT enforce ------------------------------------


def test_moto_serves_expired_and_tampered_presigned_urls(
    object_store: MinioObjectStore, bucket_name: str
) -> None:
    object_store.ensure_bucket(bucket_name)
    object_store.put(bucket_name, "k", PHOTO, "image/jpeg")
    url = object_store.presigned_get(bucket_name, "k", timedelta(seconds=1))
    time.sleep(2.5)
    assert requests.get(url, timeout=10).status_code == 200
    tampered = url.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert requests.get(tampered, timeout=10).status_code == 200


def test_moto_lets_compliance_retention_be_shortened(
    object_store: MinioObjectStore, bucket_name: str
) -> None:
    object_store.ensure_bucket(bucket_name, object_lock=True)
    ref = object_store.put(bucket_name, "k", PHOTO, "image/jpeg",
                           retain_until=evidence_retain_until(datetime.now(UTC)))
    shorter = datetime.now(UTC) + timedelta(days=1)
    object_store.client.set_object_retention(
        bucket_name, "k", Retention(COMPLIANCE, shorter), version_id=ref.version_id
    )
    reported = object_store.retention(bucket_name, "k", ref.version_id)
    assert reported is not None and reported < datetime.now(UTC) + timedelta(days=2)


def test_moto_accepts_a_wrong_content_md5(s3_server: dict[str, Any], object_store: MinioObjectStore,
                                          bucket_name: str) -> None:
    object_store.ensure_bucket(bucket_name)
    wrong = base64.b64encode(hashlib.md5(b"other bytes").digest()).decode()
    _raw_client(s3_server)._put_object(bucket_name, "k", PHOTO, {"Content-MD5": wrong})
    assert object_store.get(bucket_name, "k") == PHOTO


def test_moto_lacks_get_object_retention(object_store: MinioObjectStore, bucket_name: str) -> None:
    object_store.ensure_bucket(bucket_name, object_lock=True)
    ref = object_store.put(bucket_name, "k", PHOTO, "image/jpeg",
                           retain_until=evidence_retain_until(datetime.now(UTC)))
    with pytest.raises(Exception):  # noqa: B017 - whatever minio-py raises parsing a JPEG as XML
        object_store.client.get_object_retention(bucket_name, "k", version_id=ref.version_id)
    assert object_store.retention(bucket_name, "k", ref.version_id) is not None
