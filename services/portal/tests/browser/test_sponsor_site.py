"""Issue 19, in a real browser through the portal's pages only (the scenarios in ``scenarios.py``): a unit files
from nothing (a field error in Chinese met and fixed, scans, the clause, the codes) and follows its status to the
on-site invitation; a pre-verification failure and the resubmission; an individual on a phone-sized window; after
the number, its footer, a revisit answered, a change and the cancellation, and the 404 page. Every
page visited is checked with axe-core (no serious or critical violation)."""
from datetime import UTC, datetime

import pytest
import requests

from shared.testing.approvals import publish_other_bureaus
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


@pytest.mark.req("C1")
@pytest.mark.req("C2")
@pytest.mark.req("C4")
@pytest.mark.req("P9")
@pytest.mark.req("X5")
@pytest.mark.req("X6")
def test_the_filing_centers_auditor_samples_checks_by_phone_verifies_the_trail_and_reads_the_reports(system, browse):
    """Issue 20: the auditor draws the month's sample and records a phone check, verifies the trail, reads the
    bulletin and statistics, finds a shell site, and reads the quarter's accuracy and filing rate per province x
    provider, provinces in the official order (``staff_scenarios.center_console``). Runs after the staff's
    scenario: the other bureaus' filings would change the quarterly table that scenario reads."""
    publish_other_bureaus(system.amqp_uri, datetime.now(UTC))  # this month's, like the filing approved here
    browse("center_console")


@pytest.mark.req("W5")
@pytest.mark.req("W6")
@pytest.mark.req("X6")
def test_the_providers_supervisor_follows_the_revisits_and_imports_the_stock_to_verify_again(browse):
    """Issue 20: the revisit opened after an approval, waiting for the sponsor; a stock CSV imported with its
    deadline, its bad row reported by line and field, and the re-verification progress against the plan
    (``staff_scenarios.provider_reports``)."""
    browse("provider_reports")


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
