"""In-memory stand-ins for the ports a use case takes (issue 18), so that business rules are tested in the unit
tier, in milliseconds. Each fake keeps the port's contract where a use case could notice: the recording outbox
checks every event against its contract as the real outbox does; repositories of a service subclass
:class:`FakeUnitOfWork` in that service's tests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from minio.helpers import check_bucket_name

from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.errors import ValidationFailed
from shared.kernel.errors import InvalidValue
from shared.kernel.workdays import WorkingCalendar, YearSchedule, parse_schedule
from shared.platform.storage import (
    ObjectLocked,
    ObjectNotFound,
    ObjectRef,
    StorageError,
    check_put,
    presign_life,
)


class RecordingOutbox:
    """Keeps every emitted envelope, in order, after checking it against its contract
    (``EventRegistry.validate_outgoing``, as :func:`shared.platform.outbox.enqueue` does)."""

    def __init__(self, source: str):
        self.source = source
        self.envelopes: list[dict] = []

    def emit(self, event_type: str, data: dict, correlation_id: str, **meta) -> dict:
        envelope = make_envelope(event_type, self.source, data, correlation_id, **meta)
        EVENTS.validate_outgoing(envelope)
        self.envelopes.append(envelope)
        return envelope

    def of_type(self, event_type: str) -> list[dict]:
        """The data of every emitted ``event_type``, in order."""
        return [e["data"] for e in self.envelopes if e["meta"]["type"] == event_type]

    @property
    def types(self) -> list[str]:
        return [e["meta"]["type"] for e in self.envelopes]


class FakeUnitOfWork:
    """A unit of work without a database: a :class:`RecordingOutbox`, and commits counted. Events emitted in a
    unit of work that rolls back are dropped, as the real outbox's rows are."""

    def __init__(self, source: str):
        self.outbox = RecordingOutbox(source)
        self.commits = 0
        self._committed_events = 0

    def emit(self, event_type: str, data: dict, correlation_id: str, **meta) -> dict:
        return self.outbox.emit(event_type, data, correlation_id, **meta)

    def flush(self) -> None:
        """Nothing is pending in memory."""

    def commit(self) -> None:
        self.commits += 1
        self._committed_events = len(self.outbox.envelopes)

    def rollback(self) -> None:
        del self.outbox.envelopes[self._committed_events:]


class FakeCalendar:
    """:class:`shared.platform.calendar.LoadedCalendar` in memory: the shipped schedules and the years loaded in
    the test (``loaded``, by year)."""

    def __init__(self):
        self.loaded: dict[int, object] = {}

    def working(self) -> WorkingCalendar:
        calendar = WorkingCalendar.shipped()
        for year in sorted(self.loaded):
            calendar = calendar.with_schedule(parse_schedule(self.loaded[year]))
        return calendar

    def store(self, schedule: object, actor: str, now: datetime) -> YearSchedule:
        try:
            parsed = parse_schedule(schedule)
        except InvalidValue as exc:
            raise ValidationFailed.about("schedule", exc.code, exc.message, exc.rule) from None
        self.loaded[parsed.year] = schedule
        return parsed


@dataclass
class _Version:
    version_id: str | None
    ref: ObjectRef | None  # None: a delete marker
    data: bytes = b""
    retain_until: datetime | None = None


@dataclass
class _Bucket:
    locked: bool
    keys: dict[str, list[_Version]] = field(default_factory=dict)  # oldest version first


class InMemoryObjectStore:
    """The :class:`~shared.platform.storage.ObjectStore` port in memory; passes ``ObjectStoreConformance``.

    Keeps the contract a use case can notice (design.md §5, W4): buckets created with ``object_lock=True`` are
    versioned, a put there returns a new version id, and a version with a future ``retain_until`` cannot be
    deleted (ObjectLocked); a delete without version adds a delete marker. Unlocked buckets hold one unversioned
    object per key (``version_id`` None). Missing buckets, keys and versions are ObjectNotFound, except that a
    put into a missing bucket is a plain StorageError; argument errors are ValueError, as in the adapter.

    ``presigned_get`` links point at a small HTTP server on 127.0.0.1, started on the first link and stopped by
    :meth:`close`. A link carries its expiry and an HMAC of (bucket, key, version, expiry) under a key private
    to the store: an expired or forged link answers 403, a missing object 404. It proves link handling, not S3's
    SigV4 signing; only MinioObjectStore's suite against a real server proves that.
    """

    def __init__(self) -> None:
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._secret = secrets.token_bytes(32)
        self._server: ThreadingHTTPServer | None = None

    def ensure_bucket(self, bucket: str, *, object_lock: bool = False) -> None:
        check_bucket_name(bucket)
        with self._lock:
            existing = self._buckets.setdefault(bucket, _Bucket(locked=object_lock))
        if object_lock and not existing.locked:
            raise StorageError(
                f"bucket {bucket} exists without Object Lock; evidence (W4) needs a bucket created with it"
            )

    def put(
        self, bucket: str, key: str, data: bytes, content_type: str, *, retain_until: datetime | None = None
    ) -> ObjectRef:
        data = bytes(data)
        retain_until = check_put(bucket, key, data, content_type, retain_until)
        if retain_until is not None:  # S3 keeps the date to the millisecond
            retain_until = retain_until.replace(microsecond=retain_until.microsecond // 1000 * 1000)
        with self._lock:
            store = self._buckets.get(bucket)
            if store is None:
                raise StorageError(f"{bucket}/{key}: NoSuchBucket")
            if retain_until is not None and not store.locked:
                raise StorageError(f"{bucket}/{key}: InvalidRequest: bucket has no Object Lock")
            version_id = uuid.uuid4().hex if store.locked else None
            ref = ObjectRef(bucket, key, hashlib.sha256(data).hexdigest(), content_type, len(data), version_id)
            version = _Version(version_id, ref, data, retain_until)
            if store.locked:
                store.keys.setdefault(key, []).append(version)
            else:
                store.keys[key] = [version]
        return ref

    def get(self, bucket: str, key: str, version_id: str | None = None) -> bytes:
        return self._find(bucket, key, version_id).data

    def stat(self, bucket: str, key: str, version_id: str | None = None) -> ObjectRef:
        ref = self._find(bucket, key, version_id).ref
        assert ref is not None  # _find never returns a delete marker
        return ref

    def retention(self, bucket: str, key: str, version_id: str | None = None) -> datetime | None:
        return self._find(bucket, key, version_id).retain_until

    def delete(self, bucket: str, key: str, version_id: str | None = None) -> None:
        with self._lock:
            versions = self._bucket(bucket, key).keys.setdefault(key, [])
            if version_id is None:
                if self._buckets[bucket].locked:
                    versions.append(_Version(uuid.uuid4().hex, None))
                else:
                    versions.clear()
                return
            for version in versions:
                if version.version_id == version_id:
                    until = version.retain_until
                    if until is not None and until > datetime.now(UTC):
                        raise ObjectLocked(
                            f"{bucket}/{key} version {version_id} is retained until {until.isoformat()} (W4)"
                        )
                    versions.remove(version)
                    return

    def presigned_get(self, bucket: str, key: str, expires: timedelta, version_id: str | None = None) -> str:
        until = int(time.time() + presign_life(expires).total_seconds())
        query = {"expires": str(until), "signature": self._sign(bucket, key, version_id, until)}
        if version_id is not None:
            query["versionId"] = version_id
        host, port = self._serving().server_address[:2]
        return f"http://{host}:{port}/{quote(bucket)}/{quote(key)}?{urlencode(query)}"

    def close(self) -> None:
        """Stop the link server, if one was started; links handed out stop answering."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def _bucket(self, bucket: str, key: str) -> _Bucket:
        store = self._buckets.get(bucket)
        if store is None:
            raise ObjectNotFound(f"{bucket}/{key} not found (NoSuchBucket)")
        return store

    def _find(self, bucket: str, key: str, version_id: str | None) -> _Version:
        with self._lock:
            versions = self._bucket(bucket, key).keys.get(key) or []
            found = versions[-1:] if version_id is None else [v for v in versions if v.version_id == version_id]
        if not found or found[0].ref is None:
            raise ObjectNotFound(f"{bucket}/{key} not found (version {version_id or 'latest'})")
        return found[0]

    def _sign(self, bucket: str, key: str, version_id: str | None, until: int) -> str:
        message = "\n".join((bucket, key, version_id or "", str(until))).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def _serving(self) -> ThreadingHTTPServer:
        with self._lock:
            if self._server is None:
                self._server = ThreadingHTTPServer(("127.0.0.1", 0), _link_handler(self))
                threading.Thread(
                    target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
                ).start()
            return self._server

    def _answer(self, path: str) -> tuple[int, str, bytes]:
        """(status, content type, body) for a GET of a presigned link."""
        url = urlsplit(path)
        bucket, _, key = unquote(url.path).lstrip("/").partition("/")
        query = parse_qs(url.query)
        version_id = query.get("versionId", [None])[0]
        try:
            until = int(query["expires"][0])
            signature = query["signature"][0]
        except (KeyError, ValueError):
            return 403, "text/plain", b"unsigned link"
        if not hmac.compare_digest(signature, self._sign(bucket, key, version_id, until)):
            return 403, "text/plain", b"bad signature"
        if time.time() > until:
            return 403, "text/plain", b"link expired"
        try:
            version = self._find(bucket, key, version_id)
        except ObjectNotFound:
            return 404, "text/plain", b"not found"
        assert version.ref is not None
        return 200, version.ref.content_type, version.data


def _link_handler(store: InMemoryObjectStore) -> type[BaseHTTPRequestHandler]:
    class LinkHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            status, content_type, body = store._answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's signature
            """Quiet: test output is not the place for access logs."""

    return LinkHandler
