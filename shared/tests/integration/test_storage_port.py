"""Pure parts of the storage port: object references, the W4 retention date, config parsing.

No server is involved (these are ``unit`` tests living beside the storage integration tests they support).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.platform.storage import (
    EVIDENCE_RETENTION_YEARS,
    MAX_PRESIGN,
    MinioObjectStore,
    ObjectRef,
    StorageConfigError,
    evidence_retain_until,
)

pytestmark = [pytest.mark.unit, pytest.mark.clock]

SHA = "a" * 64
CONFIG = {"S3_ENDPOINT": "minio:9000", "S3_ACCESS_KEY": "access", "S3_SECRET_KEY": "secret"}


def test_object_ref_round_trips_through_a_dict() -> None:
    ref = ObjectRef("evidence", "f/1.jpg", SHA, "image/jpeg", 12, "v-1")
    assert ObjectRef.from_dict(ref.to_dict()) == ref
    assert ref.to_dict() == {
        "bucket": "evidence", "key": "f/1.jpg", "sha256": SHA, "content_type": "image/jpeg", "size": 12,
        "version_id": "v-1",
    }


def test_object_ref_reader_ignores_unknown_fields_and_defaults_version() -> None:
    data = {"bucket": "b", "key": "k", "sha256": SHA, "content_type": "text/plain", "size": 0, "new": 1}
    assert ObjectRef.from_dict(data).version_id is None


@pytest.mark.parametrize(
    "change",
    [{"sha256": "xyz"}, {"sha256": "A" * 64}, {"size": -1}, {"size": "12"}, {"size": True}],
)
def test_object_ref_rejects_malformed_fields(change: dict[str, object]) -> None:
    data = {"bucket": "b", "key": "k", "sha256": SHA, "content_type": "text/plain", "size": 1} | change
    with pytest.raises(ValueError):
        ObjectRef.from_dict(data)


def test_object_ref_names_missing_fields() -> None:
    with pytest.raises(ValueError, match="sha256"):
        ObjectRef.from_dict({"bucket": "b", "key": "k", "content_type": "text/plain", "size": 1})


@pytest.mark.req("W4")
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 3, 15, 9, 30, tzinfo=UTC), datetime(2031, 3, 15, 9, 30, tzinfo=UTC)),
        # 29 February has no 5-year anniversary: roll forward so the period is never short.
        (datetime(2028, 2, 29, 12, 0, tzinfo=UTC), datetime(2033, 3, 1, 12, 0, tzinfo=UTC)),
        # Asia/Shanghai local time converts to UTC.
        (datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=8))),
         datetime(2030, 12, 31, 16, 30, tzinfo=UTC)),
    ],
)
def test_evidence_is_retained_for_five_calendar_years(now: datetime, expected: datetime) -> None:
    assert EVIDENCE_RETENTION_YEARS == 5
    until = evidence_retain_until(now)
    assert until == expected
    assert until.tzinfo == UTC


def test_evidence_retention_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        evidence_retain_until(datetime(2026, 1, 1))


def test_presign_cap_is_300_seconds() -> None:
    assert timedelta(seconds=300) == MAX_PRESIGN


@pytest.mark.parametrize("missing", ["S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY"])
def test_from_config_names_a_missing_setting(missing: str) -> None:
    config = {k: v for k, v in CONFIG.items() if k != missing}
    with pytest.raises(StorageConfigError, match=missing):
        MinioObjectStore.from_config(config)
    with pytest.raises(StorageConfigError, match=missing):
        MinioObjectStore.from_config(CONFIG | {missing: "  "})


@pytest.mark.parametrize(
    ("setting", "value"),
    [("S3_SECURE", "maybe"), ("S3_ENDPOINT", "http://minio:9000"), ("S3_TIMEOUT_SECONDS", "0"),
     ("S3_TIMEOUT_SECONDS", "soon")],
)
def test_from_config_names_a_malformed_setting(setting: str, value: str) -> None:
    with pytest.raises(StorageConfigError, match=setting):
        MinioObjectStore.from_config(CONFIG | {setting: value})


@pytest.mark.parametrize(("value", "scheme"), [("false", "http"), (False, "http"), ("true", "https"),
                                               (None, "https")])
def test_from_config_reads_s3_secure(value: object, scheme: str) -> None:
    config = CONFIG if value is None else CONFIG | {"S3_SECURE": value}
    store = MinioObjectStore.from_config(config)
    url = store.presigned_get("bucket", "key", timedelta(seconds=60))
    assert url.startswith(f"{scheme}://minio:9000/bucket/key?")
    assert "X-Amz-Expires=60" in url
    assert "us-east-1" in url
