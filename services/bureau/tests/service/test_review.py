"""The bureau's review on the real RabbitMQ, PostgreSQL and local S3 (P8, B1, R2.1): receipt into the queue with
its deadline, approval with a filing number, return and re-send, province isolation."""
import re
import time
import uuid
from datetime import datetime

import pytest

from bureau.service import BureauService
from shared.contracts.bureau import FILING_APPROVED
from shared.kernel.filing_numbers import parse_filing_number
from shared.kernel.workdays import SHANGHAI, WorkingCalendar
from shared.testing.http import ApiClient, token

from ..conftest import reviewer

pytestmark = pytest.mark.service

NUMBER = re.compile(r"京ICP备(?P<year>[0-9]{4})[0-9]{6}号")


def of_type(events, event_type):
    return [e for e in events if e["meta"]["type"] == event_type]


@pytest.mark.req("P8")
@pytest.mark.req("B1")
def test_a_sent_filing_enters_the_queue_with_twenty_working_days_and_a_checked_seal(api, send_filing, wait_review):
    before = datetime.now(SHANGHAI)
    filing_id = send_filing()
    review = wait_review(api, filing_id)
    after = datetime.now(SHANGHAI)
    expected = {WorkingCalendar.shipped().add_working_days(t, 20).at for t in (before, after)}
    assert datetime.fromisoformat(review["deadline"]) in expected
    assert review["form_check"]["valid"] is True, review["form_check"]
    assert "DEVELOPMENT" in review["form_check"]["signer"]
    # reviewers see key information masked, never the sealed tokens or the plain values
    assert review["filing"]["responsible_person"]["document_number"] == "110105********002X"
    assert "13800138000" not in str(review) and "v1:" not in str(review)
    queue = api.get("/reviews").json()["items"]
    assert [r["filing_id"] for r in queue] == [filing_id]


@pytest.mark.req("P8")
def test_a_redelivered_or_resent_event_adds_no_second_review(api, send_filing, wait_review):
    event_id = str(uuid.uuid4())
    filing_id = send_filing(event_id=event_id)
    send_filing(filing_id=filing_id, event_id=event_id)  # redelivered
    send_filing(filing_id=filing_id)  # the same submission under another event id
    wait_review(api, filing_id)
    time.sleep(0.5)
    assert len(api.get("/reviews").json()["items"]) == 1
    # a newer submission supersedes; an older one arriving late does not come back
    later = send_filing(submission=3)
    wait_review(api, later, submission=3)
    send_filing(filing_id=later, submission=2)
    time.sleep(1.0)
    assert api.get(f"/reviews/{later}").json()["submission"] == 3


@pytest.mark.req("P8")
def test_approval_issues_a_well_formed_number_once(api, send_filing, bureau_tap, wait_review):
    filing_id = send_filing()
    wait_review(api, filing_id)
    first = api.post(f"/reviews/{filing_id}/approval", key="approve-1")
    assert first.status_code == 200, first.text
    number = first.json()["filing_number"]
    match = NUMBER.fullmatch(number)
    assert match and int(match["year"]) == datetime.now(SHANGHAI).year
    assert str(parse_filing_number(number)) == number
    replay = api.post(f"/reviews/{filing_id}/approval", key="approve-1")
    assert replay.status_code == 200 and replay.json() == first.json()
    again = api.post(f"/reviews/{filing_id}/approval", key="approve-2")
    assert again.status_code == 409 and number in again.text
    approved = of_type(bureau_tap.wait_for(1), FILING_APPROVED)
    time.sleep(1.0)
    approved += of_type(bureau_tap.drain(timeout=0.5), FILING_APPROVED)
    assert len(approved) == 1
    data = approved[0]["data"]
    assert data["filing_number"] == number
    assert data["website_numbers"] == {"www.example.com.cn": f"{number}-1", "xn--fsqu00a.xn--fiqs8s": f"{number}-1"}
    assert data["approved_by"] == "bureau:京:reviewer-1"
    assert "13800138000" not in str(approved[0])  # the mobile travels sealed with the exchange ring


@pytest.mark.req("R2.1")
@pytest.mark.req("P8")
def test_another_provinces_bureau_neither_receives_nor_can_fetch_the_filing(
        api, send_filing, container_factory, bureau_config, database_factory, wait_review):
    from nameko.testing.utils import find_free_port

    port = find_free_port()
    other = container_factory(BureauService, {**bureau_config, "BUREAU_PROVINCE": "粤",
                                              "DB_URL": database_factory("bureau"),
                                              "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
    other.start()
    guangdong = ApiClient(f"http://127.0.0.1:{port}", reviewer("reviewer-9", "粤"))
    filing_id = send_filing()
    wait_review(api, filing_id)
    time.sleep(0.5)
    assert guangdong.get("/reviews").json()["items"] == []
    missing = guangdong.get(f"/reviews/{filing_id}")
    assert missing.status_code == 404
    assert guangdong.post(f"/reviews/{filing_id}/approval").status_code == 404
    guangdong_filing = send_filing(province="粤")
    wait_review(guangdong, guangdong_filing)
    assert api.get(f"/reviews/{guangdong_filing}").status_code == 404
    guangdong.http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.mark.req("B1")
def test_only_this_provinces_reviewers_decide_and_auditors_only_read(api, send_filing, wait_review):
    filing_id = send_filing()
    wait_review(api, filing_id)
    anonymous = api.as_(None)
    assert anonymous.get("/reviews").status_code == 401
    assert anonymous.post(f"/reviews/{filing_id}/approval").status_code == 401
    outsider = api.as_(reviewer("reviewer-9", "粤"))  # a token of another province's bureau
    assert outsider.get("/reviews").json()["items"] == []
    assert outsider.get(f"/reviews/{filing_id}").status_code == 404
    assert outsider.post(f"/reviews/{filing_id}/approval").status_code == 404
    assert outsider.get("/penalties").status_code == 403
    auditor = api.as_(token("auditor", "auditor-1"))
    assert auditor.get(f"/reviews/{filing_id}").status_code == 200
    assert auditor.post(f"/reviews/{filing_id}/approval").status_code == 403
    sponsor = api.as_(token("sponsor", "someone"))
    assert sponsor.get(f"/reviews/{filing_id}").status_code == 403
    assert api.get(f"/reviews/{filing_id}").json()["state"] == "pending"
