"""The MIIT SMS check over the real RabbitMQ and PostgreSQL (X2): a filing received starts the check (the code
leaves sealed in ``miit_code_sent.v1``); the responsible person passes it at the public API without a login and
only then may the reviewer approve; five wrong tries return the filing; a fourth resend is refused. Expiry and the
reminder (the clock set) are in tests/unit/test_miit.py."""

import pytest
import requests

from shared.contracts.bureau import FILING_RETURNED, MIIT_CODE_SENT
from shared.testing.samples import RESIDENT_ID

pytestmark = pytest.mark.service

TAIL = RESIDENT_ID[-6:]


@pytest.fixture(scope="module")
def bureau_config(run_vhost, run_database, module_web_config, s3_server):
    """This module's bureau runs the MIIT check (``BUREAU_MIIT_CHECK``)."""
    return {**run_vhost, **module_web_config, **s3_server, "DB_URL": run_database("bureau"),
            "BUREAU_PROVINCE": "京", "EVENT_RETRY_DELAY": 0.05, "BUREAU_MIIT_CHECK": "true"}


def events_of(tap, event_type, filing_id, count=1):
    found = []
    for _ in range(50):
        found += [e["data"] for e in tap.wait_for(1) if e["meta"]["type"] == event_type
                  and e["data"]["filing_id"] == filing_id]
        if len(found) >= count:
            return found
    raise AssertionError(f"no {event_type} for {filing_id}")


def code_of(crypto, sent: dict) -> str:
    return crypto.exchange().decrypt(sent["code"], context="exchange.miit.code")


@pytest.mark.req("X2")
def test_the_check_passes_at_the_public_api_and_only_then_is_the_filing_approved(
        api, send_filing, wait_review, bureau_tap, base_url, crypto):
    filing_id = send_filing()
    [sent] = events_of(bureau_tap, MIIT_CODE_SENT, filing_id)
    assert wait_review(api, filing_id)["miit_check"] == "pending"
    assert api.get("/reviews").json()["items"] == []
    refused = api.post(f"/reviews/{filing_id}/approval")
    assert refused.status_code == 409 and refused.json()["error"]["errors"][0]["field"] == "miit_check"
    check = f"{base_url}/public/miit-checks/{filing_id}"
    wrong_tail = requests.post(check, json={"code": code_of(crypto, sent), "id_tail": "000000"}, timeout=10)
    unknown = requests.post(f"{base_url}/public/miit-checks/6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10",
                            json={"code": code_of(crypto, sent), "id_tail": TAIL}, timeout=10)
    assert wrong_tail.status_code == unknown.status_code == 422
    assert wrong_tail.json()["error"]["errors"] == unknown.json()["error"]["errors"]
    malformed = requests.post(check, json={"code": "12", "id_tail": TAIL}, timeout=10)
    assert malformed.status_code == 400 and malformed.json()["error"]["errors"][0]["field"] == "code"
    passed = requests.post(check, json={"code": code_of(crypto, sent), "id_tail": TAIL}, timeout=10)
    assert passed.status_code == 200 and passed.json() == {"miit_check": "passed"}
    assert [r["filing_id"] for r in api.get("/reviews").json()["items"]] == [filing_id]
    assert api.post(f"/reviews/{filing_id}/approval").status_code == 200


@pytest.mark.req("X2")
def test_five_wrong_tries_return_the_filing_and_a_fourth_resend_is_refused(
        api, send_filing, wait_review, bureau_tap, base_url, crypto):
    resent = send_filing()
    events_of(bureau_tap, MIIT_CODE_SENT, resent)
    for _ in range(3):
        answer = requests.post(f"{base_url}/public/miit-checks/{resent}/resend", json={"id_tail": TAIL}, timeout=10)
        assert answer.status_code == 202, answer.text
    fourth = requests.post(f"{base_url}/public/miit-checks/{resent}/resend", json={"id_tail": TAIL}, timeout=10)
    assert fourth.status_code == 409 and fourth.json()["error"]["errors"][0]["code"] == "too_many_resends"

    filing_id = send_filing()
    [sent] = events_of(bureau_tap, MIIT_CODE_SENT, filing_id)
    wrong = f"{(int(code_of(crypto, sent)) + 1) % 10 ** 6:06d}"
    answers = []
    for _ in range(5):
        answer = requests.post(f"{base_url}/public/miit-checks/{filing_id}", json={"code": wrong, "id_tail": TAIL},
                               timeout=10, headers={"Accept-Language": "zh-CN"})
        assert answer.status_code == 422
        answers.append(answer.json()["error"]["errors"][0])
    assert [a.get("params", {}).get("tries_left") for a in answers] == [4, 3, 2, 1, None]
    assert answers[0]["message"] == "验证码不正确，还可尝试4次。"
    assert answers[-1]["code"] == "miit_too_many_tries" and "已退回" in answers[-1]["message"]
    [returned] = events_of(bureau_tap, FILING_RETURNED, filing_id)
    assert returned["reasons"][0]["field"] == "miit_check" and returned["reasons"][0]["code"] == "too_many_tries"
    assert wait_review(api, filing_id, state="returned")["miit_check"] == "returned"
