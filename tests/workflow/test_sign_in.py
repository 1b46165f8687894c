"""P1 (issue 8): a sponsor signs in to intake with its mobile and the one-time code notify sends by SMS, and the
token it gets opens its own filings only; codes and sign-ins are limited per number and per client. Behind the
portal (a trusted proxy, ``TRUSTED_PROXIES``) the client is the sponsor's forwarded address, and the limits are rows
in intake's database, so every replica counts against the same limit (issue 19, point 4)."""
import json
import re
import time
import uuid
from pathlib import Path

import pytest
from nameko.testing.utils import find_free_port

from intake import sign_in
from intake.service import IntakeService
from notify.service import NotifyService
from shared.testing.http import ApiClient
from shared.testing.samples import unit_filing

pytestmark = [pytest.mark.service, pytest.mark.clock]

CODE = re.compile(r"验证码为([0-9]{6})")
MOBILE = "13800138000"


@pytest.fixture(scope="module")
def configs(run_vhost, run_database, s3_server, tmp_path_factory) -> dict[str, dict]:
    sinks = tmp_path_factory.mktemp("sign-in")

    def config(name: str, **more) -> dict:
        return {**run_vhost, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "DB_URL": run_database(name),
                **more}

    intake = config("intake", **s3_server, PROVIDER_ID="provider-test", INTAKE_BUCKET=f"intake-{uuid.uuid4().hex[:12]}",
                    TRUSTED_PROXIES="127.0.0.1")  # the test's client stands for the portal
    return {"notify": config("notify", NOTIFY_SINK_PATH=str(sinks / "sms.jsonl"),
                             NOTIFY_EMAIL_SINK_PATH=str(sinks / "mail.jsonl")),
            "intake": intake,
            # a second replica of intake: its own web server, the same database
            "replica": {**intake, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}"}}


@pytest.fixture(scope="module")
def containers(module_container, configs) -> dict:
    """Intake and notify, started once for the module (each test starts from empty databases and queues)."""
    return {name: module_container(cls, configs[name])
            for name, cls in (("notify", NotifyService), ("intake", IntakeService), ("replica", IntakeService))}


@pytest.fixture
def intake_and_notify(containers, configs, clean_slate):
    for name, container in containers.items():
        clean_slate(container, configs[name])
    sms = Path(configs["notify"]["NOTIFY_SINK_PATH"])
    sms.write_text("")  # the sponsor's phone holds this test's messages only

    def codes(mobile: str) -> list[str]:
        lines = [json.loads(line) for line in sms.read_text().splitlines()]
        return [CODE.search(m["text"])[1] for m in lines if m["to"].endswith(mobile[-11:]) and CODE.search(m["text"])]

    client = ApiClient(f"http://{configs['intake']['WEB_SERVER_ADDRESS']}")
    yield client, codes
    client.http.close()  # an idle keep-alive connection would hold the web server's shutdown


def _wait_code(codes, mobile: str, count: int) -> str:
    deadline = time.monotonic() + 10
    while len(codes(mobile)) < count:
        assert time.monotonic() < deadline, "no sign-in SMS arrived"
        time.sleep(0.1)
    return codes(mobile)[-1]


@pytest.mark.req("P1")
def test_sponsor_signs_in_with_the_sms_code_and_sees_only_its_own_filings(intake_and_notify):
    anonymous, codes = intake_and_notify
    assert anonymous.post("/filings", json=unit_filing()).status_code == 401

    sent = anonymous.post("/sign-in/code", json={"mobile": MOBILE})
    assert sent.status_code == 202, sent.text
    code = _wait_code(codes, MOBILE, 1)
    wrong = anonymous.post("/sign-in", json={"mobile": MOBILE, "code": "000000" if code != "000000" else "111111"})
    assert wrong.status_code == 401 and wrong.json()["error"]["errors"][0]["field"] == "code"
    signed_in = anonymous.post("/sign-in", json={"mobile": MOBILE, "code": code})
    assert signed_in.status_code == 200, signed_in.text
    assert anonymous.post("/sign-in", json={"mobile": MOBILE, "code": code}).status_code == 401  # used up
    sponsor = anonymous.as_(signed_in.json()["token"])
    filing_id = sponsor.post("/filings", json=unit_filing()).json()["id"]
    assert sponsor.get(f"/filings/{filing_id}").status_code == 200

    other_mobile = "13912345678"
    anonymous.post("/sign-in/code", json={"mobile": other_mobile})
    other_code = _wait_code(codes, other_mobile, 1)
    other = anonymous.as_(anonymous.post("/sign-in", json={"mobile": other_mobile, "code": other_code})
                          .json()["token"])
    hidden = other.get(f"/filings/{filing_id}")
    unknown = other.get(f"/filings/{uuid.uuid4()}")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()  # the same answer: nothing says the filing exists


@pytest.mark.req("P1")
def test_codes_are_limited_per_number_and_guesses_per_code(intake_and_notify):
    anonymous, codes = intake_and_notify
    for _ in range(sign_in.CODES_PER_MOBILE):
        assert anonymous.post("/sign-in/code", json={"mobile": MOBILE}).status_code == 202
    limited = anonymous.post("/sign-in/code", json={"mobile": MOBILE})
    assert limited.status_code == 429 and limited.json()["error"]["errors"][0]["field"] == "mobile"

    code = _wait_code(codes, MOBILE, sign_in.CODES_PER_MOBILE)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(sign_in.ATTEMPTS_PER_CODE):
        assert anonymous.post("/sign-in", json={"mobile": MOBILE, "code": wrong}).status_code == 401
    assert anonymous.post("/sign-in", json={"mobile": MOBILE, "code": code}).status_code == 401  # code burnt


@pytest.mark.req("P1")
def test_codes_are_limited_per_client(intake_and_notify):
    anonymous, _codes = intake_and_notify
    answers = [anonymous.post("/sign-in/code", json={"mobile": f"1390000{i:04d}"}).status_code
               for i in range(sign_in.CODES_PER_CLIENT + 1)]
    assert answers == [202] * sign_in.CODES_PER_CLIENT + [429]


@pytest.mark.req("P1")
def test_behind_the_portal_each_sponsor_has_its_own_limit_shared_by_every_replica(intake_and_notify, configs):
    """The portal (trusted) forwards each sponsor's address: one sponsor's codes, asked for alternately at two
    replicas of intake on one database, meet a single limit; another sponsor behind the same portal is not held."""
    portal, _codes = intake_and_notify
    replicas = [portal, ApiClient(f"http://{configs['replica']['WEB_SERVER_ADDRESS']}")]
    try:
        sponsor = {"X-Forwarded-For": "198.51.100.7"}
        answers = [replicas[i % 2].post("/sign-in/code", json={"mobile": f"1390000{i:04d}"}, headers=sponsor)
                   for i in range(sign_in.CODES_PER_CLIENT + 2)]
        assert [a.status_code for a in answers] == [202] * sign_in.CODES_PER_CLIENT + [429, 429]
        assert {a.json()["error"]["errors"][0]["field"] for a in answers[-2:]} == {"client"}
        other = replicas[1].post("/sign-in/code", json={"mobile": "13900009999"},
                                 headers={"X-Forwarded-For": "198.51.100.8"})
        assert other.status_code == 202, other.text
    finally:
        replicas[1].http.close()  # an idle keep-alive connection would hold the web server's shutdown


@pytest.mark.req("P1")
def test_a_malformed_mobile_is_named(intake_and_notify):
    anonymous, _codes = intake_and_notify
    answer = anonymous.post("/sign-in/code", json={"mobile": "12345"})
    assert answer.status_code == 400 and answer.json()["error"]["errors"][0]["field"] == "mobile"


@pytest.mark.req("P1")
def test_full_width_digits_work_at_sign_in_as_in_the_form(intake_and_notify):
    """Issue 17: a phone's input method may type the number and the code in full-width digits."""
    anonymous, codes = intake_and_notify
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    sent = anonymous.post("/sign-in/code", json={"mobile": "＋８６ " + MOBILE.translate(full_width)})
    assert sent.status_code == 202, sent.text
    code = _wait_code(codes, MOBILE, 1)
    signed_in = anonymous.post("/sign-in", json={"mobile": MOBILE.translate(full_width),
                                                 "code": f" {code.translate(full_width)}\u3000"})
    assert signed_in.status_code == 200, signed_in.text
    sponsor = anonymous.as_(signed_in.json()["token"])
    filing = unit_filing()
    filing["contacts"]["mobile"] = MOBILE.translate(full_width)
    filing_id = sponsor.post("/filings", json=filing).json()["id"]
    assert sponsor.get(f"/filings/{filing_id}").status_code == 200
