"""Object storage port and its MinIO/S3 adapter (design.md §1, §5).

Binaries (photos, scans, forms, agreements) never travel on the bus: a service stores them here and events
carry an :class:`ObjectRef` (bucket, key, sha256, content type, size, version id).

Evidence (W4: keep verification evidence for at least 5 years, confidential) goes to buckets created with
``ensure_bucket(..., object_lock=True)`` and is written with ``retain_until=evidence_retain_until(now)``,
which sets S3 Object Lock in COMPLIANCE mode: nobody, root included, can delete or shorten that version
before the date.
Object keys must not contain personal data (design.md §5): they appear in errors and logs.

Presigned links live at most :data:`MAX_PRESIGN` (300 s). Recording who fetched what and when is the caller's
job (the service that hands out the link knows the person); this module only bounds the link's life.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Protocol, runtime_checkable

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import MinioException, S3Error
from minio.helpers import check_bucket_name, check_object_name, genheaders
from minio.retention import Retention
from minio.time import from_iso8601utc
from nameko.extensions import DependencyProvider

from shared.platform.config import flag

log = logging.getLogger(__name__)

MAX_PRESIGN: Final = timedelta(seconds=300)
"""Longest life of a presigned link (design.md §5)."""

EVIDENCE_RETENTION_YEARS: Final = 5
"""W4: verification evidence is kept for at least 5 calendar years."""

# A single PUT carries the whole object so that Content-MD5 and the lock headers travel on one request; S3's
# single-PUT limit is 5 GiB, far above any scan or photo this system accepts.
MAX_OBJECT_SIZE: Final = 5 * 1024**3

DEFAULT_CONNECT_TIMEOUT: Final = 5.0
DEFAULT_READ_TIMEOUT: Final = 30.0
DEFAULT_RETRIES: Final = 2
DEFAULT_REGION: Final = "us-east-1"

_SHA256_META: Final = "x-amz-meta-sha256"
_RETAIN_UNTIL_HEADER: Final = "x-amz-object-lock-retain-until-date"
_NOT_FOUND_CODES: Final = frozenset({"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "NoSuchObject"})


class StorageError(Exception):
    """The object store failed or refused a request (after bounded retries); the message names bucket/key."""


class ObjectNotFound(StorageError):
    """The bucket, key or version does not exist (or the key's latest version is a delete marker)."""


class ObjectLocked(StorageError):
    """The server refused to delete or overwrite a version because it is under retention (W4)."""


class StorageConfigError(StorageError, ValueError):
    """A required S3_* setting is missing or malformed; raised at start-up and names the setting."""


@dataclass(frozen=True)
class ObjectRef:
    """What events carry instead of bytes (design.md §1): enough to fetch the exact version and check it.

    ``sha256`` is the lower-case hex SHA-256 of the bytes; ``version_id`` is None on unversioned buckets.
    """

    bucket: str
    key: str
    sha256: str
    content_type: str
    size: int
    version_id: str | None

    def __post_init__(self) -> None:
        if len(self.sha256) != 64 or any(c not in "0123456789abcdef" for c in self.sha256):
            raise ValueError("sha256 must be 64 lower-case hex characters")
        if self.size < 0:
            raise ValueError("size must not be negative")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with every field (``version_id`` may be None)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ObjectRef:
        """Inverse of :meth:`to_dict`; ignores unknown fields (design.md §3: readers ignore unknown fields).

        Raises ValueError when a required field is missing or malformed.
        """
        missing = [f for f in ("bucket", "key", "sha256", "content_type", "size") if f not in data]
        if missing:
            raise ValueError(f"object reference lacks {', '.join(missing)}")
        size = data["size"]
        if isinstance(size, bool) or not isinstance(size, int):
            raise ValueError("object reference size must be an integer")
        return cls(
            bucket=str(data["bucket"]),
            key=str(data["key"]),
            sha256=str(data["sha256"]),
            content_type=str(data["content_type"]),
            size=size,
            version_id=data.get("version_id"),
        )


@runtime_checkable
class ObjectStore(Protocol):
    """The storage port every service depends on; :class:`MinioObjectStore` is the production backend and
    ``shared.testing.storage_conformance.ObjectStoreConformance`` is the contract any backend must pass."""

    def ensure_bucket(self, bucket: str, *, object_lock: bool = False) -> None:
        """Create the bucket if missing (idempotent). ``object_lock=True`` creates it with Object Lock, which
        also enables versioning; StorageError if the bucket already exists without Object Lock."""
        ...

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str,
        *,
        retain_until: datetime | None = None,
    ) -> ObjectRef:
        """Store ``data`` as a new version; with ``retain_until`` (aware, future) the version is locked in
        COMPLIANCE mode until then (W4). Returns the reference of the version written."""
        ...

    def get(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        """The bytes of the latest (or given) version; ObjectNotFound if absent."""
        ...

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectRef:
        """The reference of the latest (or given) version without its bytes; ObjectNotFound if absent."""
        ...

    def delete(self, bucket: str, key: str, version_id: str | None = None) -> None:
        """Delete a version, or (without ``version_id`` on a versioned bucket) add a delete marker that hides
        the key but keeps every version. ObjectLocked if the version is under retention."""
        ...

    def retention(self, bucket: str, key: str, version_id: str | None = None) -> datetime | None:
        """The version's retain-until date (aware, UTC), or None when it is not locked."""
        ...

    def presigned_get(
        self, bucket: str, key: str, expires: timedelta, version_id: str | None = None
    ) -> str:
        """A URL that downloads the object without credentials for ``expires`` (at most MAX_PRESIGN)."""
        ...


def evidence_retain_until(now: datetime) -> datetime:
    """The retain-until date for evidence written at ``now`` (W4: at least 5 years).

    Adds 5 calendar years to the (timezone-aware) date; a 29 February start rolls forward to 1 March, so the
    period is never shorter than 5 years. The result is in UTC.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    year = now.year + EVIDENCE_RETENTION_YEARS
    if now.month == 2 and now.day == 29 and not calendar.isleap(year):
        later = now.replace(year=year, month=3, day=1)
    else:
        later = now.replace(year=year)
    return later.astimezone(UTC)


def check_put(
    bucket: str, key: str, data: bytes, content_type: str, retain_until: datetime | None
) -> datetime | None:
    """Refuse, with ValueError, the arguments every :meth:`ObjectStore.put` backend refuses: an object over
    MAX_OBJECT_SIZE, no content type, an invalid bucket or key name, a ``retain_until`` that is naive or not in
    the future. Returns ``retain_until`` in UTC (None when the put is not locked)."""
    if len(data) > MAX_OBJECT_SIZE:
        raise ValueError(f"object larger than {MAX_OBJECT_SIZE} bytes")
    if not content_type:
        raise ValueError("content_type is required")
    check_bucket_name(bucket)
    check_object_name(key)
    if retain_until is None:
        return None
    if retain_until.tzinfo is None or retain_until.utcoffset() is None:
        raise ValueError("retain_until must be timezone-aware")
    if retain_until <= datetime.now(UTC):
        raise ValueError("retain_until must be in the future")
    return retain_until.astimezone(UTC)


def presign_life(expires: timedelta) -> timedelta:
    """The life every :meth:`ObjectStore.presigned_get` backend gives a link asked to live ``expires``: whole
    seconds, at least 1 s. TypeError unless a timedelta; ValueError unless positive and at most MAX_PRESIGN
    (design.md §5)."""
    if not isinstance(expires, timedelta):
        raise TypeError("expires must be a timedelta")
    if expires <= timedelta(0) or expires > MAX_PRESIGN:
        raise ValueError(f"presigned links live between 1 s and {int(MAX_PRESIGN.total_seconds())} s")
    # S3 counts expiry in whole seconds; rounding up could exceed the cap, so round down (at least 1 s).
    return timedelta(seconds=max(1, int(expires.total_seconds())))


def http_client(
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
    read_timeout: float = DEFAULT_READ_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
) -> urllib3.PoolManager:
    """The urllib3 pool given to Minio: every call is bounded by timeouts and a small retry with backoff
    (design.md §4). minio-py's own default waits up to 5 minutes per read and retries 5 times."""
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=[500, 502, 503, 504],
        ),
    )


def _as_seconds(name: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise StorageConfigError(f"{name} must be a number of seconds, got {value!r}") from None
    if seconds <= 0:
        raise StorageConfigError(f"{name} must be positive, got {value!r}")
    return seconds


def _required(config: Mapping[str, Any], name: str) -> str:
    value = config.get(name)
    if value is None or str(value).strip() == "":
        raise StorageConfigError(f"{name} is not set: object storage needs it (design.md §5)")
    return str(value).strip()


class MinioObjectStore:
    """:class:`ObjectStore` over a ``minio.Minio`` client, for MinIO or any S3 endpoint.

    Puts always go out as one PUT with a Content-MD5 header: S3 and MinIO demand it for Object Lock puts, and
    minio-py only adds it over HTTPS (over HTTP it signs the payload's SHA-256 instead). The object's SHA-256
    is stored as user metadata (``x-amz-meta-sha256``) so :meth:`stat` can answer without reading the bytes
    and :meth:`get` can verify what it returns.
    """

    def __init__(self, client: Minio) -> None:
        self._client = client

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> MinioObjectStore:
        """Build the store from nameko config.

        Required: ``S3_ENDPOINT`` ("host:port"), ``S3_ACCESS_KEY``, ``S3_SECRET_KEY``. Optional: ``S3_SECURE``
        (bool or "true"/"false", default true), ``S3_REGION`` (default us-east-1; setting it also spares a
        bucket-location lookup per bucket), ``S3_TIMEOUT_SECONDS`` (read timeout, default 30).
        Raises StorageConfigError naming the first missing or malformed setting.
        """
        endpoint = _required(config, "S3_ENDPOINT")
        access_key = _required(config, "S3_ACCESS_KEY")
        secret_key = _required(config, "S3_SECRET_KEY")
        if "://" in endpoint or "/" in endpoint:
            raise StorageConfigError(
                f"S3_ENDPOINT must be host:port without scheme or path, got {endpoint!r}"
            )
        secure = flag("S3_SECURE", config.get("S3_SECURE", True), StorageConfigError)
        region = str(config.get("S3_REGION") or DEFAULT_REGION)
        read_timeout = _as_seconds(
            "S3_TIMEOUT_SECONDS", config.get("S3_TIMEOUT_SECONDS", DEFAULT_READ_TIMEOUT)
        )
        client = Minio(
            endpoint,
            access_key=access_key,
            secret_key=secret_key,
            secure=secure,
            region=region,
            http_client=http_client(
                connect_timeout=min(DEFAULT_CONNECT_TIMEOUT, read_timeout), read_timeout=read_timeout
            ),
        )
        return cls(client)

    @property
    def client(self) -> Minio:
        """The underlying client, for operations outside the port (tests, admin scripts)."""
        return self._client

    def ensure_bucket(self, bucket: str, *, object_lock: bool = False) -> None:
        """See :meth:`ObjectStore.ensure_bucket`. Safe to call from several services at start-up at once."""
        with _translated(bucket):
            if not self._client.bucket_exists(bucket):
                try:
                    self._client.make_bucket(bucket, object_lock=object_lock)
                    return
                except S3Error as exc:
                    # Another process created it between our check and our create; fall through and verify.
                    if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise
            if object_lock and not self._has_object_lock(bucket):
                raise StorageError(
                    f"bucket {bucket} exists without Object Lock;"
                    " evidence (W4) needs a bucket created with it"
                )

    def _has_object_lock(self, bucket: str) -> bool:
        try:
            self._client.get_object_lock_config(bucket)
        except S3Error as exc:
            if exc.code == "ObjectLockConfigurationNotFoundError":
                return False
            raise
        return True

    def put(
        self,
        bucket: str,
        key: str,
        data: bytes,
        content_type: str,
        *,
        retain_until: datetime | None = None,
    ) -> ObjectRef:
        """See :meth:`ObjectStore.put`. ``retain_until`` must be timezone-aware and in the future; a locked
        put into a bucket without Object Lock is refused (StorageError), never silently stored unlocked."""
        data = bytes(data)
        retain_until = check_put(bucket, key, data, content_type, retain_until)
        retention = None if retain_until is None else Retention(COMPLIANCE, retain_until)
        digest = hashlib.sha256(data).hexdigest()
        headers = genheaders({_SHA256_META: digest}, None, None, retention, False)
        headers["Content-Type"] = content_type
        headers["Content-MD5"] = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        with _translated(bucket, key, missing_bucket_is_not_found=False):
            # Minio.put_object has no way to pass Content-MD5 (it would become x-amz-meta-content-md5) and
            # splits objects over 5 MiB into multipart uploads; _put_object is the single signed PUT beneath
            # it (pinned minio==7.2.20; the conformance suite breaks if a release changes it).
            result = self._client._put_object(bucket, key, data, headers)
        return ObjectRef(
            bucket=bucket,
            key=key,
            sha256=digest,
            content_type=content_type,
            size=len(data),
            version_id=_version(result.version_id),
        )

    def get(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        """See :meth:`ObjectStore.get`. Raises StorageError if the bytes do not match the SHA-256 recorded at
        put time (integrity of evidence, W4)."""
        with _translated(bucket, key):
            response = self._client.get_object(bucket, key, version_id=version_id)
            try:
                data = response.read()
                recorded = response.headers.get(_SHA256_META)
            finally:
                response.close()
                response.release_conn()
        if recorded and hashlib.sha256(data).hexdigest() != recorded:
            raise StorageError(
                f"integrity check failed for {bucket}/{key}: bytes do not match the recorded sha256"
            )
        return data

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectRef:
        """See :meth:`ObjectStore.stat`. Objects written by other tools lack the recorded SHA-256: those are
        read once and hashed."""
        with _translated(bucket, key):
            info = self._client.stat_object(bucket, key, version_id=version_id)
        digest = info.metadata.get(_SHA256_META) if info.metadata else None
        if not digest:
            digest = hashlib.sha256(self.get(bucket, key, version_id)).hexdigest()
        return ObjectRef(
            bucket=bucket,
            key=key,
            sha256=digest,
            content_type=info.content_type or "application/octet-stream",
            size=int(info.size or 0),
            version_id=_version(info.version_id),
        )

    def delete(self, bucket: str, key: str, version_id: str | None = None) -> None:
        """See :meth:`ObjectStore.delete`. Deleting a key or version that does not exist is not an error
        (S3 semantics); a missing bucket raises ObjectNotFound."""
        try:
            with _translated(bucket, key):
                self._client.remove_object(bucket, key, version_id=version_id)
        except StorageError as exc:
            cause = exc.__cause__
            if isinstance(cause, S3Error) and cause.code == "AccessDenied" and version_id is not None:
                # S3 and MinIO both answer a refused WORM delete with a bare AccessDenied; the retention date
                # tells it apart from a missing permission.
                try:
                    until = self.retention(bucket, key, version_id)
                except StorageError:
                    raise exc from cause
                if until is not None and until > datetime.now(UTC):
                    raise ObjectLocked(
                        f"{bucket}/{key} version {version_id} is retained until {until.isoformat()} (W4)"
                    ) from cause
            raise

    def retention(self, bucket: str, key: str, version_id: str | None = None) -> datetime | None:
        """See :meth:`ObjectStore.retention`.

        Read from the object-lock headers of a HEAD request rather than GetObjectRetention: both MinIO and S3
        return them on HEAD, and moto 5.2.5 has no GetObjectRetention (it answers ``?retention`` with the
        object's bytes).
        """
        with _translated(bucket, key):
            info = self._client.stat_object(bucket, key, version_id=version_id)
        raw = info.metadata.get(_RETAIN_UNTIL_HEADER) if info.metadata else None
        return from_iso8601utc(raw) if raw else None

    def presigned_get(
        self, bucket: str, key: str, expires: timedelta, version_id: str | None = None
    ) -> str:
        """See :meth:`ObjectStore.presigned_get`. ValueError for expiries that are not positive or exceed
        MAX_PRESIGN (design.md §5). Signing is local: no request reaches the server."""
        expires = presign_life(expires)
        with _translated(bucket, key):
            return self._client.presigned_get_object(bucket, key, expires=expires, version_id=version_id)


def _version(version_id: str | None) -> str | None:
    # Unversioned buckets report no version or the literal "null" depending on the server.
    return None if not version_id or version_id == "null" else version_id


@contextmanager
def _translated(
    bucket: str, key: str | None = None, *, missing_bucket_is_not_found: bool = True
) -> Iterator[None]:
    """Turn minio/urllib3 errors into the port's errors; the original stays as ``__cause__``."""
    where = f"{bucket}/{key}" if key is not None else bucket
    try:
        yield
    except S3Error as exc:
        if exc.code in _NOT_FOUND_CODES and (missing_bucket_is_not_found or exc.code != "NoSuchBucket"):
            raise ObjectNotFound(f"{where} not found ({exc.code})") from exc
        raise StorageError(f"{where}: {exc.code}: {exc.message}") from exc
    except (MinioException, urllib3.exceptions.HTTPError) as exc:
        raise StorageError(f"{where}: object store unavailable: {type(exc).__name__}") from exc


class ObjectStorage(DependencyProvider):
    """nameko dependency giving entrypoints an :class:`ObjectStore` built from the container's config.

    Settings are read once in ``setup()`` (design.md §5), so a missing S3_ENDPOINT / S3_ACCESS_KEY /
    S3_SECRET_KEY stops the service at start-up with StorageConfigError naming the setting. The client is
    shared by all workers (minio-py is thread-safe; its urllib3 pool is bounded).
    """

    store: ObjectStore

    def setup(self) -> None:
        self.store = MinioObjectStore.from_config(self.container.config)

    def get_dependency(self, worker_ctx: Any) -> ObjectStore:
        return self.store
