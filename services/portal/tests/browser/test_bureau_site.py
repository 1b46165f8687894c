"""Issue 20, the provincial bureau's pages in a real browser through the portal's pages only (the scenarios in
``bureau_scenarios.py``): a bureau return with field reasons, the re-verification on the counter's pages with a
verifier signed in (the first verification too) and the approval, the number on the sponsor's status page; the
MIIT SMS check page and the public query without a login; inspections and penalties. Every page visited is checked
with axe-core (no serious or critical violation)."""
import pytest

pytestmark = pytest.mark.system
READS_SCANS = False  # no scenario here uses what OCR reads of the scans (X7); the sponsor site's module keeps it on


@pytest.mark.req("B1")
@pytest.mark.req("P8")
@pytest.mark.req("X2")
@pytest.mark.req("X6")
def test_a_bureau_return_with_field_reasons_is_verified_again_and_approved_and_the_sponsor_sees_the_number(browse):
    """The counter's pages verify the filing; the MIIT check on its public page (a wrong code: the tries left); the
    queue by deadline in Beijing time; the return naming two fields; the sponsor's status with the reasons; on the
    counter's pages the bureau's reasons, a new photo, the address corrected, the agreement signed anew; the second
    submission approved; the number on the sponsor's status page; another province's reviewer sees nothing."""
    browse("bureau_return")


@pytest.mark.req("B2")
@pytest.mark.req("A1")
@pytest.mark.req("X9")
@pytest.mark.req("X6")
def test_the_public_query_inspections_and_penalties_work_in_the_bureaus_pages(browse):
    """The public query by number, domain and name, nothing found, a malformed number and the limit a minute; an
    inspection planned, sampled, recorded and scored; a penalty issued, tracked and closed."""
    browse("bureau_oversight")


@pytest.mark.req("X6")
@pytest.mark.req("W4")
def test_a_reviewer_signs_in_through_the_organisations_identity_provider_and_sees_the_review_console(browse):
    """The OpenID Connect code flow with PKCE against a test OpenID provider on loopback whose key the deployment
    trusts: the reviewer lands on the review console and sees no other; the IdP's refusal is a page naming it
    (``staff_scenarios.staff_sign_in_through_the_idp``)."""
    browse("staff_sign_in_through_the_idp")
