"""Issue 8: every precheck route x every kind of caller, over real HTTP (401 unauthenticated, expired or
tampered; 403 a role or provider that may not; 404 a filing out of scope, exactly like an unknown one)."""
import uuid

import pytest

from precheck.service import PrecheckService
from shared.platform.entrypoints import routes
from shared.testing.http import allowed_callers, assert_answered_in_the_callers_language, identities

pytestmark = pytest.mark.service

REFUSED = {"none": 401, "expired": 401, "tampered": 401}
HIDDEN = {"other_sponsor", "other_province_reviewer"}

# route, path, body, success status, out of scope (404); who may call it comes from the route's declaration
# (everyone else 403). A fresh case waits for its contacts: a wrong code (422), claim and decision (409, not in
# review) and an empty calendar (400) prove the call got past authorisation into the use case.
ROUTES = [
    ("get_case_http", "/filings/{id}", None, 200, HIDDEN),
    ("confirm_contact", "/filings/{id}/contacts/sms/confirmation", {"code": "000000"}, 422, {"other_sponsor"}),
    ("resend_code", "/filings/{id}/contacts/sms/resend", None, 200, {"other_sponsor"}),
    ("queue_http", "/queue", None, 200, set()),
    ("claim_http", "/queue/{id}/claim", None, 409, set()),
    ("decide_http", "/queue/{id}/decision", {"decision": "pass", "reasons": []}, 409, set()),
    ("load_calendar_year", "/calendar/years", {}, 400, set()),
    ("rulebook", "/rulebook", None, 200, set()),
]
DECLARED = {r.name: r for r in routes(PrecheckService)}


def _expected(caller: str, success: int, allowed: set, hidden: set) -> int:
    if caller in REFUSED:
        return REFUSED[caller]
    if caller in hidden:
        return 404
    return success if caller in allowed else 403


def test_the_table_covers_every_route_of_the_service():
    assert set(DECLARED) == {r[0] for r in ROUTES}


@pytest.mark.req("W4")
def test_every_route_by_every_caller(api, submit, precheck_tap):
    filing_id = submit()
    precheck_tap.wait_for(2)
    tokens = identities("provider-test")
    failures = []
    for name, path, body, success, hidden in ROUTES:
        method = DECLARED[name].method
        allowed = allowed_callers(DECLARED[name].access, method)
        for caller in tokens:
            expected = _expected(caller, success, allowed, hidden)
            client = api.as_(tokens[caller])
            url = path.format(id=filing_id)
            response = client.get(url) if method == "GET" else client.post(url, json=body)
            if response.status_code != expected:
                failures.append(f"{name} by {caller}: {response.status_code} != {expected} {response.text[:120]}")
            if expected == 404 and client.get(f"/filings/{uuid.uuid4()}").json() != response.json():
                failures.append(f"{name} by {caller}: a hidden filing answers differently from an unknown one")
    assert failures == []


def test_rpc_with_a_caller_identity_is_checked_like_http(precheck_config, submit, precheck_tap):
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.contracts.errors import Forbidden, NotFound, Unauthorized

    filing_id = submit()
    precheck_tap.wait_for(2)
    tokens = identities("provider-test")

    def call(caller: str | None):
        context = {"authorization": f"Bearer {tokens[caller]}"} if caller else None
        with ClusterRpcProxy({"AMQP_URI": precheck_config["AMQP_URI"]}, context_data=context, timeout=10) as rpc:
            return rpc.precheck.get_case(filing_id)

    assert call(None)["filing_id"] == filing_id  # another service of the deployment
    assert call("supervisor")["filing_id"] == filing_id
    with pytest.raises(NotFound):
        call("other_province_reviewer")
    with pytest.raises(Forbidden):
        call("sponsor")
    with pytest.raises(Forbidden):
        call("other_provider_verifier")
    with pytest.raises(Unauthorized):
        call("expired")
    with pytest.raises(Unauthorized):
        call("tampered")


@pytest.mark.req("X6")
def test_a_field_error_is_answered_in_chinese_by_default_and_in_english_when_asked(staff):
    assert_answered_in_the_callers_language(
        lambda headers: staff.post(f"/queue/{uuid.uuid4()}/decision", json={"decision": "maybe"}, headers=headers),
        "decision", "choice")
