"""pytest fixtures for the local S3 server (design.md §5, §7): moto's S3 on loopback, one per test session.

- ``s3_server`` (session): starts ``python -m moto.server`` as a subprocess on 127.0.0.1 and a free port
  and yields the ``S3_*`` settings :meth:`MinioObjectStore.from_config` reads. A subprocess, not moto's
  in-process ``ThreadedMotoServer``: eventlet's monkey patch turns threads into green threads, and a server
  sharing the test's hub would stall whenever a test blocks it.
- ``object_store`` (function): a :class:`MinioObjectStore` for that server. At teardown it removes every
  bucket the test created (all versions and delete markers first), so each test leaves the server as it
  found it. Versions under COMPLIANCE retention cannot be removed (that is the point, W4); their buckets
  stay until the session's server stops.
- ``bucket_name`` (function): a bucket name unique to the test, not yet created.

moto is lax where MinIO is strict (design.md §8): see ``shared/tests/integration/test_storage_minio.py`` for
exactly what moto 5.2.5 enforces.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minio.error import MinioException

from shared.platform.storage import MinioObjectStore, ObjectLocked, StorageError

__all__ = ["bucket_name", "object_store", "s3_server", "start_moto_server", "stop_server"]

S3_ACCESS_KEY = "testing"
S3_SECRET_KEY = "testing"
S3_REGION = "us-east-1"
STARTUP_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _is_moto(url: str) -> bool:
    """Whether moto's S3 server answers at ``url``: its bucket list, not just any HTTP server that took the port."""
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return b"ListAllMyBucketsResult" in answer.read()
    except (urllib.error.URLError, OSError):
        return False


def start_moto_server(log_path: Path, attempts: int = 3) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """Start moto's S3 server on a free loopback port; return the process and its ``S3_*`` settings.

    A port picked free can be taken by another process before moto binds it (test runs start in parallel): then
    moto exits and another port is tried, up to ``attempts`` times. Raises RuntimeError (with the server's log) if
    it exits each time or does not answer within STARTUP_TIMEOUT.
    """
    for _ in range(attempts):
        port = _free_port()
        log_file = log_path.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        log_file.close()
        if _serves(process, port):
            return process, {
                "S3_ENDPOINT": f"127.0.0.1:{port}",
                "S3_ACCESS_KEY": S3_ACCESS_KEY,
                "S3_SECRET_KEY": S3_SECRET_KEY,
                "S3_SECURE": "false",
                "S3_REGION": S3_REGION,
            }
    raise RuntimeError(f"moto S3 server exited {attempts} times on start:\n{log_path.read_text()}")


def _serves(process: subprocess.Popen[bytes], port: int) -> bool:
    """True once moto answers on ``port``; False when it exited first (the port was taken); RuntimeError when it
    neither answers nor exits within STARTUP_TIMEOUT."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not _is_moto(f"http://127.0.0.1:{port}/"):
        if process.poll() is not None:
            return False
        if time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(f"moto S3 server did not answer on port {port} within {STARTUP_TIMEOUT} s")
        time.sleep(0.1)
    return True


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server, killing it if it does not exit within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The ``S3_*`` settings of a moto S3 server running for the whole session."""
    process, config = start_moto_server(tmp_path_factory.mktemp("moto") / "moto-server.log")
    try:
        yield config
    finally:
        stop_server(process)


def _remove_bucket(store: MinioObjectStore, bucket: str) -> None:
    client = store.client
    locked = False
    for item in client.list_objects(bucket, recursive=True, include_version=True):
        try:
            store.delete(bucket, item.object_name, version_id=item.version_id)
        except ObjectLocked:
            locked = True
    if not locked:
        client.remove_bucket(bucket)


@pytest.fixture
def object_store(s3_server: dict[str, Any]) -> Iterator[MinioObjectStore]:
    """A store on the session's server; buckets the test creates are removed afterwards (bar locked ones)."""
    store = MinioObjectStore.from_config(s3_server)
    before = {b.name for b in store.client.list_buckets()}
    yield store
    for bucket in store.client.list_buckets():
        if bucket.name not in before:
            # Cleanup must not mask the test's own outcome; the server dies with the session anyway.
            with contextlib.suppress(StorageError, MinioException):
                _remove_bucket(store, bucket.name)


@pytest.fixture
def bucket_name(request: pytest.FixtureRequest) -> str:
    """A valid, unique bucket name that mentions the test (for reading server logs); not created."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40].strip("-")
    return f"t-{slug}-{uuid.uuid4().hex[:12]}"
