"""What intake's route declarations promise beyond every service's (tests/contract/test_entrypoint_declarations.py):
the POSTs answered without a stored answer, and the routes open to anyone (issue 8, issue 17)."""
import pytest

from intake.service import IntakeService
from shared.platform.entrypoints import openapi_document, routes

pytestmark = pytest.mark.unit

DECLARED = {r.name: r for r in routes(IntakeService)}


def test_sign_in_and_the_opening_of_a_personal_value_are_never_answered_from_a_store():
    """A stored answer would keep a token or a personal value in the clear."""
    unkeyed = {name for name, r in DECLARED.items() if r.method == "POST" and not r.idempotent}
    assert unkeyed == {"request_sign_in_code", "sign_in_sponsor", "open_personal_value"}


def test_sign_in_is_open_to_anyone_and_filings_are_not():
    assert {name for name, r in DECLARED.items() if r.access.public} >= {"request_sign_in_code", "sign_in_sponsor"}
    assert not DECLARED["create_filing"].access.public and not DECLARED["submit"].access.public


def test_the_document_names_the_uploads_media_types():
    paths = openapi_document(IntakeService, IntakeService.description)["paths"]
    assert set(paths["/filings/{filing_id}/documents"]["post"]["requestBody"]["content"]) == {
        "application/octet-stream"}
    assert set(paths["/stock/imports"]["post"]["requestBody"]["content"]) == {"text/csv"}
    assert {p["name"] for p in paths["/guide"]["get"]["parameters"] if p["in"] == "query"} == {"kind", "unit_type"}
