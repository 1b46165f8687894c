"""Who may do what on verification (issue 8 policy, W4: the file is confidential): a bearer token on every
route, on-site steps for verifiers and supervisors of the filing's provider only, the file readable by a
reviewer of the sponsor's province (B1) and an auditor, never written by them."""
import pytest

from shared.testing.faces import backdrop_photo

pytestmark = pytest.mark.service


@pytest.mark.req("W4")
def test_on_site_steps_need_a_verifier_of_the_filings_provider(open_window, staff, as_role):
    filing_id = open_window()
    assert staff.as_(None).get(f"/filings/{filing_id}").status_code == 401
    assert as_role("sponsor").post(f"/filings/{filing_id}/photo", data=backdrop_photo()).status_code == 403
    assert as_role("auditor").post(f"/filings/{filing_id}/decision").status_code == 403
    other = as_role("onsite_verifier", "v-9", provider="provider-other")
    assert other.get(f"/filings/{filing_id}").status_code in (403, 404)
    assert staff.get("/openapi.json").status_code == 200


@pytest.mark.req("W4")
def test_the_file_is_read_by_its_provinces_reviewer_and_auditors_only(open_window, staff, as_role):
    filing_id = open_window()
    ref = staff.get(f"/filings/{filing_id}").json()["sponsor_ref"]
    assert as_role("reviewer", "r-1", province="京").get(f"/archive/{ref}").status_code == 200
    assert as_role("reviewer", "r-2", province="粤").get(f"/archive/{ref}").status_code == 404
    assert as_role("auditor", "a-1").get(f"/archive/{ref}").status_code == 200
    accesses = as_role("auditor", "a-1").get(f"/archive/{ref}/accesses").json()["items"]
    assert [(a["action"], a["viewer"]) for a in accesses] == [
        ("list", "reviewer:r-1"), ("list", "auditor:a-1"), ("audit", "auditor:a-1")]
