"""Issue 19, in a real browser through the portal's pages only (the scenarios in ``scenarios.py``): a unit files
from nothing (a field error in Chinese met and fixed, scans, the clause, the codes) and follows its status to the
on-site invitation; a pre-verification failure and the resubmission; an individual on a phone-sized window; after
the number, its footer, a revisit answered, a change and the cancellation, and the 404 page. Every
page visited is checked with axe-core (no serious or critical violation)."""
import pytest
import requests

from shared.testing.system import PORTAL

pytestmark = pytest.mark.system


@pytest.mark.req("P1")
@pytest.mark.req("P2")
@pytest.mark.req("W2")
@pytest.mark.req("W3")
@pytest.mark.req("X6")
def test_a_unit_files_from_nothing_and_follows_its_status_to_the_on_site_invitation(browse):
    browse("unit_from_nothing")


@pytest.mark.req("P2")
@pytest.mark.req("X6")
def test_a_pre_verification_failure_is_corrected_and_resubmitted(browse):
    browse("precheck_failure")


@pytest.mark.req("P1")
@pytest.mark.req("X6")
def test_an_individual_files_on_a_phone_sized_window(browse):
    browse("individual_on_a_phone")


@pytest.mark.req("P8")
@pytest.mark.req("W5")
@pytest.mark.req("X6")
def test_after_the_number_the_footer_is_shown_a_revisit_answered_a_change_submitted_and_the_filing_cancelled(browse):
    browse("after_approval")


@pytest.mark.req("X6")
@pytest.mark.req("P2")
@pytest.mark.req("P6")
@pytest.mark.req("P8")
@pytest.mark.req("B1")
@pytest.mark.req("C2")
def test_staff_work_the_precheck_queue_the_counter_and_the_review_in_their_consoles(browse):
    """Issue 20: the consoles each role is shown, the pre-verification fail with a field reason, the counter's
    checks and decision and sealed form, the bureau's review with its recorded evidence opening and the
    approval; a reviewer of another province sees none of the filing; the filing center's quarterly accuracy and
    filing rate as a table and charts in Chinese (``staff_scenarios.py``)."""
    browse("staff_consoles")


def test_the_portal_sends_its_security_headers_and_refuses_a_form_without_its_token(system):
    base = system.url(PORTAL)
    answer = requests.get(f"{base}/guide", timeout=10)
    csp = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in answer.text and " style=" not in answer.text  # nothing inline for the CSP to allow
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie  # the default is production's
    refused = requests.post(f"{base}/sign-in/code", data={"mobile": "13800138000"}, timeout=10)
    assert refused.status_code == 403 and "页面已过期" in refused.text


@pytest.mark.req("P3")
@pytest.mark.req("P4")
@pytest.mark.req("P5")
@pytest.mark.req("P6")
@pytest.mark.req("P7")
@pytest.mark.req("X6")
@pytest.mark.req("X8")
@pytest.mark.req("R1.8")
@pytest.mark.req("W1")
@pytest.mark.req("W5")
def test_the_counter_takes_the_photo_records_the_originals_and_decides_and_the_sponsor_sees_the_number(browse):
    """Issue 20, through the counter's pages only (``counter_scenarios.py``): today's windows with the deadline in
    Beijing time and an appointment; a photo refused with each check's reason, then the photo from the counter's
    camera (Chromium's fake camera playing a real photograph); the face comparison after consent, confirmed; the
    copies, the originals against the authorities, the on-site correction; the domain's owner; the access
    information (a foreign IP refused); the agreement signed on the pad; the decision, the sealed form shown and
    downloaded; the reviewer's approval and the number on the sponsor's status page. Before, the draft's access
    information entered by the verifier (R1.8); after, the approved site's hosting change (W5), and the department
    registered and its quality report read, on the page and as CSV (W1)."""
    browse("counter")
