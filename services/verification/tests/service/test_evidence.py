"""W4 on the local S3 server (moto; MinIO enforces the same): the kept photo is locked in COMPLIANCE mode for
5 years: its version cannot be deleted, and a put to its key leaves the locked version as it was."""
import pytest

from shared.platform.storage import MinioObjectStore, ObjectLocked
from shared.testing.faces import backdrop_photo

pytestmark = [pytest.mark.service, pytest.mark.clock]


@pytest.mark.req("W4")
@pytest.mark.req("P4")
def test_a_locked_photo_cannot_be_deleted_or_overwritten(open_window, staff, s3_server):
    filing_id = open_window()
    photo = backdrop_photo(faces=(31,))
    case = staff.post(f"/filings/{filing_id}/photo", data=photo)
    assert case.status_code == 200, case.text
    archive = staff.get(f"/archive/{case.json()['sponsor_ref']}").json()
    original = next(e for e in archive["evidence"] if e["kind"] == "photo_original")
    store = MinioObjectStore.from_config(s3_server)
    assert store.retention(original["bucket"], original["key"], original["version_id"]).year >= 2031
    with pytest.raises(ObjectLocked):
        store.delete(original["bucket"], original["key"], original["version_id"])
    store.put(original["bucket"], original["key"], b"forged", "image/jpeg")
    assert store.get(original["bucket"], original["key"], original["version_id"]) == photo
    stamped = next(e for e in archive["evidence"] if e["kind"] == "photo")
    assert stamped["sha256"] != original["sha256"]  # the time-stamped copy beside the original
