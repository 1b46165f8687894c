"""A filing taken through the whole workflow (issue 10) over the services' public HTTP interfaces, the staff's
steps automated: for the system tests (``tests/system``), the README's main command (``tools/demo.py``) and the
end-to-end benchmark (``bench/e2e.py``).

Each step is one small method, so that a caller can stop after any of them and take a detour::

    journey = Journey.of(deployment)                 # a started shared.testing.system.Deployment
    filing = journey.happy_path()                    # P1 .. P8: a Filing with its filing number
    assert filing.number and journey.sms_to(filing)  # the SMS the sponsor received, oldest first

or step by step (what ``happy_path`` does)::

    filing = journey.new_filing()          # unique mobile, e-mail, domain and photo; data from samples.unit_filing
    journey.sign_in(filing)                # P1: sponsor's code read from notify's SMS sink -> filing.token
    journey.draft(filing)                  # W2/W3: draft, access information (staff), two scans, the clause
    journey.submit(filing)                 # filing_submitted.v1
    journey.confirm_contacts(filing)       # P2: the codes from the SMS and e-mail sinks
    journey.await_state(filing, "precheck_passed")
    journey.verify_on_site(filing)         # P4/P5: photo, copies, originals, domain owner (RDAP), access, agreement
    journey.decide_on_site(filing)         # P6/P7: sealed form, filing_sent_to_bureau.v1 -> "sent_to_bureau"
    journey.approve(filing)                # P8: reviewer approves -> filing.number, intake "approved"

``send_to_bureau`` is ``happy_path`` but the approval; ``pass_precheck`` its steps up to the counter (P1 .. P3),
for a driver that works the counter's pages. Detours: ``edit`` (PATCH the draft), ``correct`` (P6: staff
correct a field on site), ``return_`` (P8: the reviewer returns the filing), ``request_change`` / ``change`` (备案变更:
open, or open + edit + accept + submit), ``cancel`` (注销), ``precheck_decide`` (staff work a filing that needs
review), ``await_window`` (the on-site case in a state, e.g. "expired"). Readers: ``intake_view``, ``timeline``,
``precheck_case`` (its findings), ``case`` (verification), ``review`` (bureau), ``sms_to`` / ``emails_to``. Every
call raises :class:`StepFailed` naming the request and its answer when a service says no, and every wait raises
``TimeoutError`` naming what did not happen.

Callers: ``sponsor`` is signed in by SMS code (``sign_in``) or, for load where intake's per-client sign-in limit
(P1) would stop it, given a DEVELOPMENT-key token directly (``sign_in(filing, by_sms=False)``). Staff tokens: an
on-site verifier and a precheck officer of ``provider``, a reviewer of ``province``, an auditor. Domain owners
are looked up by verification in the sandbox registry (``python -m shared.testing.registry``, verification's
``RDAP_SERVERS=*=http://127.0.0.1:<port>``), which knows ``example.com.cn`` as the unit sample's; originals are
checked against the sandbox authorities, which know the unit sample's numbers. Each filing of a driver process
gets its own on-site photo (:data:`PHOTOS`, 201 of them): a photo used for another filing is refused (P4).

The scans of the sponsor's and the responsible person's documents are generated
(:func:`shared.testing.documents.scans_of`: a business licence, an ID card's front, drawn with the CJK font) to say
what the filing's documents say, by default what it was first filed with: intake reads them by OCR and
precheck's rulebook (2026.2) compares them with what was entered (X7), so a filing passes pre-verification on its
own only when they agree. A filing typed otherwise than its papers say is ``new_filing(data, documents=...)``.
"""
from __future__ import annotations

import copy
import itertools
import random
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from shared.testing.documents import scans_of
from shared.testing.faces import backdrop_photo
from shared.testing.http import ApiClient, sponsor_token, token
from shared.testing.samples import ACCESS, png, unit_filing
from shared.testing.system import read_jsonl, wait_until

PROVIDER = "provider-demo"  # intake's and verification's default PROVIDER_ID
PROVINCE = "京"  # the unit sample's province, the bureau's default BUREAU_PROVINCE
CODE = re.compile(r"(?<![0-9])([0-9]{6})(?![0-9])")
SIGN_IN_MARK = "登录"  # notify's sign_in_code SMS, as against a contact confirmation code
CONTACT_MARK = "确认"
MIIT_MARK = "短信核验"  # notify's miit_code SMS (X2)
# The texts the sponsor's phone must show, verbatim (requirements P1, P2, P3, P8); a one-time code as {code}.
SIGN_IN = "您正在登录网站备案系统，验证码为{code}，10分钟内有效。请勿告知他人，如非本人操作，请忽略本短信。"
CONTACT_CODE = "您正在确认网站备案联系方式，验证码为{code}，24小时内有效。如非本人操作，请忽略本短信。"
PASSED = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"
FAILED = "您提交的网站备案信息未通过预核验，请修改后重新提交"
EXPIRED = ("您的网站备案信息已通过预核验，但网站负责人未在1个月内到我单位备案现场办理核验手续，备案信息已退回，"
           "如需备案请重新提交")
# X2: the bureau's code; its expiry (Beijing time to the minute) as {expires_at} (``MINUTE``).
MIIT_CODE = ("您的网站备案正在进行工业和信息化部短信核验，验证码为{code}，请网站负责人于{expires_at}前"
             "在通信管理局备案核验页面输入验证码及本人证件号码后六位。请勿告知他人。")
MINUTE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}")
# X4: the bureau's return, and the on-site refusal with its reasons as {reasons} (``REASONS``).
RETURNED = "您的网站备案信息未通过通信管理局审核，已退回我单位，请登录备案系统查看退回原因，修改后重新提交"
ONSITE_REJECTED = "您的网站备案信息未通过现场核验，不予受理，原因：{reasons}。请修改后重新提交"
CANCELLED = "您的网站备案已注销（备案号：{number}），相关网站将不再接入我单位。如非本人申请，请立即与我单位联系"
REASONS = re.compile(r"(?<=原因：).*(?=。请修改后重新提交)")
APPROVED = "您的网站备案已通过通信管理局审核，备案号为{number}，请在网站首页底部标注备案号并链接至工业和信息化部政务服务平台"  # noqa: E501
# On-site photos (shared.testing.faces.backdrop_photo(faces=(face,), seed=seed)) that verification's photo check
# (P4) accepts and that differ pairwise by at least 7 bits of the perceptual hash (the check takes 3 or fewer for
# the same photo): seed -> faces. Filing n of a driver process gets the n-th, so a deployment can take 201 filings
# through on-site verification before photos repeat (a repeat is refused as reused).
PHOTO_FACES = {
    0: (None, 0, 1, 2, 3, 5, 6, 7, 8, 11, 12, 14, 16, 17, 19, 21, 22, 23, 26, 28, 29, 35, 37, 42, 43, 44, 49, 50, 56,
        60, 61, 62, 63, 64, 69, 70, 71, 76, 77, 88, 89, 96, 97),
    5: (6, 13, 55, 58, 68, 70),
    10: (None, 9, 23, 41, 42, 44, 47, 48, 49, 60, 63, 69, 77, 86, 88),
    15: (0, 12, 16, 19, 22, 26, 29, 37, 50, 70, 73, 74, 76, 87),
    20: (2, 7, 8, 9, 13, 17, 34, 35, 41, 43, 49, 50, 60, 76, 81, 88, 96),
    25: (None, 0, 2, 3, 8, 10, 11, 12, 14, 19, 21, 22, 23, 24, 28, 29, 34, 36, 37, 41, 44, 46, 47, 48, 49, 50, 51, 52,
         53, 57, 58, 61, 63, 65, 66, 69, 71, 73, 74, 77, 80, 88, 94, 97),
    30: (None, 1, 3, 8, 10, 16, 18, 23, 25, 26, 29, 33, 37, 38, 39, 41, 43, 44, 47, 49, 50, 52, 53, 57, 60, 63, 66, 67,
         76, 77, 80, 81, 92, 97),
    35: (2, 9, 15, 17, 22, 36, 48, 58, 59, 69, 87, 89),
    39: (None, 2, 14, 27, 28, 29, 43, 47, 53, 63, 64, 86, 88, 97),
    45: (51, 63),
}
PHOTOS = tuple((face, seed) for seed, faces in PHOTO_FACES.items() for face in faces)
_serial = itertools.count()


class StepFailed(AssertionError):
    """A service answered a step with an error status."""


@dataclass
class Filing:
    """One sponsor's filing as the journey knows it: its own mobile, e-mail and domain, so that messages and
    registry answers belong to it alone; ``documents``, what its identity documents say (the scans, X7)."""

    data: dict
    photo_seed: int
    documents: dict | None = None
    id: str | None = None
    token: str | None = None
    number: str | None = None
    codes_used: set = field(default_factory=set)

    @property
    def mobile(self) -> str:
        return self.data["contacts"]["mobile"]

    @property
    def email(self) -> str:
        return self.data["contacts"]["email"]

    @property
    def domains(self) -> list[str]:
        return [d for site in self.data["websites"] for d in site["domains"]]


def photo_of(filing: Filing) -> bytes:
    """The responsible person's on-site photo for ``filing``: one of :data:`PHOTOS`, its own in this process."""
    face, seed = PHOTOS[filing.photo_seed % len(PHOTOS)]
    return backdrop_photo(faces=(face,), seed=seed)


def originals_of(data: dict) -> dict:
    """What the on-site verifier reads off the original documents of a sponsor filed as ``data`` (P5)."""
    sponsor, person = data["sponsor"], data["responsible_person"]
    return {
        "sponsor": {k: sponsor[k] for k in ("name", "document_type", "document_number")},
        "responsible_person": {k: person[k] for k in ("name", "document_type", "document_number")},
        "person_present_confirmed": True,
    }


def _ok(response: requests.Response, *statuses: int) -> dict:
    if response.status_code not in (statuses or (200, 201, 202)):
        request = response.request
        raise StepFailed(f"{request.method} {request.url} -> {response.status_code}: {response.text[:2000]}")
    return response.json() if response.content else {}


def _session() -> requests.Session:
    """A client whose reads (GET) are asked again when a kept-alive connection was closed under them: the kill
    test restarts the services this client talks to, and its pooled connection to a killed process answers
    nothing. Writes are never retried here (each has its own Idempotency-Key and the tests check them once)."""
    session = requests.Session()
    retry = Retry(total=2, connect=2, read=2, status=0, other=0, allowed_methods=frozenset({"GET", "HEAD"}),
                  raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


class Journey:
    """Drives filings through services at ``urls`` (service name -> base URL); ``sms_sink`` and ``email_sink``
    are notify's file sinks (the sponsor's phone and mailbox)."""

    def __init__(self, urls: dict[str, str], sms_sink: Path, email_sink: Path, *, provider: str = PROVIDER,
                 province: str = PROVINCE, timeout: float = 30.0, session: requests.Session | None = None):
        self.urls, self.sms_sink, self.email_sink = urls, Path(sms_sink), Path(email_sink)
        self.provider, self.province, self.timeout = provider, province, timeout
        self.http = session or _session()
        self.verifier_token = token("onsite_verifier", "verifier-1", provider=provider)
        self.precheck_token = token("precheck", "precheck-1", provider=provider)
        self.supervisor_token = token("supervisor", "supervisor-1", provider=provider)
        self.reviewer_token = token("reviewer", "reviewer-1", province=province)
        self.auditor_token = token("auditor", "auditor-1")

    @classmethod
    def of(cls, deployment, **kwargs) -> Journey:
        """For a started :class:`shared.testing.system.Deployment`."""
        urls = {name: deployment.url(name) for name in deployment.services}
        return cls(urls, deployment.sms_sink, deployment.email_sink, **kwargs)

    def client(self, service: str, bearer: str | None) -> ApiClient:
        return ApiClient(self.urls[service], bearer, self.http)

    def close(self) -> None:
        self.http.close()

    # --- the sponsor's side ------------------------------------------------------------------------------------

    def new_filing(self, data: dict | None = None, *, documents: dict | None = None) -> Filing:
        """A unit filing (default: the unit sample) with a mobile, e-mail and domain of its own; its documents say
        what ``documents`` says (default: ``data`` as it is now, whatever is edited later)."""
        serial = next(_serial)
        data = copy.deepcopy(data or unit_filing())
        documents = copy.deepcopy(documents or data)
        tag = uuid.uuid4().hex[:8]
        data["contacts"]["mobile"] = f"13{random.randrange(3, 10)}{random.randrange(10**8):08d}"
        data["contacts"]["email"] = f"sponsor-{tag}@example.com.cn"
        data["websites"] = [{**data["websites"][0], "domains": [f"s{tag}.example.com.cn"]}]
        return Filing(data=data, photo_seed=serial, documents=documents)

    def sign_in(self, filing: Filing, *, by_sms: bool = True) -> str:
        """P1: the sponsor signs in with its mobile and the one-time code it received by SMS."""
        if not by_sms:
            filing.token = sponsor_token(filing.mobile)
            return filing.token
        intake = self.client("intake", None)
        _ok(intake.post("/sign-in/code", json={"mobile": filing.mobile}), 202)
        code = self._code(lambda: self.sms_to(filing), SIGN_IN_MARK, filing, "the sign-in code")
        filing.token = _ok(intake.post("/sign-in", json={"mobile": filing.mobile, "code": code}), 200)["token"]
        return filing.token

    def draft(self, filing: Filing) -> dict:
        """W2/W3: the draft, its access information (entered by the provider's staff), the two identity
        documents' scans (generated from ``filing.documents``) and the contract clause accepted."""
        sponsor = self.client("intake", filing.token)
        filing.id = _ok(sponsor.post("/filings", json=filing.data), 201)["id"]
        _ok(self.client("intake", self.verifier_token).put(f"/filings/{filing.id}/access", json=ACCESS))
        for kind, scan in scans_of(filing.documents or filing.data).items():
            _ok(sponsor.post(f"/filings/{filing.id}/documents", params={"kind": kind}, data=scan,
                             headers={"Content-Type": "image/jpeg"}), 201)
        return self.accept_contract(filing)

    def accept_contract(self, filing: Filing) -> dict:
        sponsor = self.client("intake", filing.token)
        clause = _ok(sponsor.get("/contract-clause"))
        return _ok(sponsor.post(f"/filings/{filing.id}/contract-acceptance",
                                json={"clause_sha256": clause["clause_sha256"], "accepted": True}))

    def edit(self, filing: Filing, patch: dict) -> dict:
        """The sponsor edits a draft (or a failed, rejected or expired filing); ``filing.data`` follows."""
        for part, value in patch.items():
            filing.data[part] = {**filing.data[part], **value} if isinstance(value, dict) else value
        return _ok(self.client("intake", filing.token).patch(f"/filings/{filing.id}", json=patch))

    def submit(self, filing: Filing) -> dict:
        return _ok(self.client("intake", filing.token).post(f"/filings/{filing.id}/submit"))

    def confirm_contacts(self, filing: Filing) -> dict:
        """P2: the sponsor enters the one-time codes that reached its phone and its mailbox."""
        precheck, answer = self.client("precheck", filing.token), {}
        for channel, received in (("sms", lambda: self.sms_to(filing)), ("email", lambda: self.emails_to(filing))):
            code = self._code(received, CONTACT_MARK, filing, f"the {channel} confirmation code")
            answer = _ok(precheck.post(f"/filings/{filing.id}/contacts/{channel}/confirmation", json={"code": code}))
        return answer

    def request_change(self, filing: Filing) -> dict:
        """备案变更: the sponsor opens a change of its approved filing (a change draft, edited and submitted)."""
        return _ok(self.client("intake", filing.token).post(f"/filings/{filing.id}/changes"), 201)

    def change(self, filing: Filing, patch: dict) -> dict:
        """备案变更 submitted: a change draft of the approved filing, ``patch`` applied, the clause accepted
        again (W3), submitted as ``filing_changed.v1``; it then goes the whole way again (P2 .. P8)."""
        self.request_change(filing)
        self.edit(filing, patch)
        self.accept_contract(filing)
        return self.submit(filing)

    def cancel(self, filing: Filing, reason: str = "网站不再运营") -> dict:
        """注销: the sponsor cancels its filing."""
        return _ok(self.client("intake", filing.token).post(f"/filings/{filing.id}/cancellation",
                                                            json={"reason": reason}))

    # --- the provider's staff ------------------------------------------------------------------------------------

    def precheck_decide(self, filing: Filing, decision: str, reasons: list[dict] | None = None) -> dict:
        """P2: a precheck officer claims a filing that needs review and passes or fails it."""
        staff = self.client("precheck", self.precheck_token)
        wait_until("the filing in the precheck queue",
                   lambda: any(i["filing_id"] == filing.id for i in _ok(staff.get("/queue"))["items"]),
                   self.timeout)
        _ok(staff.post(f"/queue/{filing.id}/claim"))
        return _ok(staff.post(f"/queue/{filing.id}/decision", json={"decision": decision, "reasons": reasons or []}))

    def await_window(self, filing: Filing, state: str = "window_open") -> dict:
        """The on-site case in ``state`` at verification (P3)."""
        staff = self.client("verification", self.verifier_token)

        def case():
            answer = staff.get(f"/filings/{filing.id}")
            return answer.status_code == 200 and answer.json()["state"] == state and answer.json()

        return wait_until(f"verification case {filing.id} {state}", case, self.timeout)

    def verify_on_site(self, filing: Filing, *, originals: dict | None = None, photo: bytes | None = None) -> dict:
        """P4/P5: the responsible person's photo on the backdrop, copies and originals of both documents (checked
        against the authorities), each domain's owner (RDAP), the access information and the signed security
        agreement; answers the case (``outstanding`` empty when it may be decided)."""
        self.await_window(filing)
        staff, path = self.client("verification", self.verifier_token), f"/filings/{filing.id}"
        _ok(staff.post(f"{path}/photo", data=photo or photo_of(filing)))
        for subject in ("sponsor", "responsible_person"):
            _ok(staff.post(f"{path}/copies/{subject}", data=png()))
        _ok(staff.post(f"{path}/originals", json=originals or originals_of(filing.data)))
        _ok(staff.post(f"{path}/domain-checks"))
        _ok(staff.put(f"{path}/access", json=ACCESS))
        person = filing.data["responsible_person"]["name"]
        return _ok(staff.post(f"{path}/agreement", json={"signed_by": person, "signature": "c2lnbmVk"}))

    def correct(self, filing: Filing, field_name: str, after: str) -> dict:
        """P6: staff correct a field on site from the originals, the sponsor present."""
        return _ok(self.client("verification", self.verifier_token).post(
            f"/filings/{filing.id}/corrections", json={"field": field_name, "after": after}))

    def decide_on_site(self, filing: Filing) -> dict:
        """P6/P7 (or P5's 不予受理 when something is outstanding): ``state`` is sent_to_bureau or rejected."""
        return _ok(self.client("verification", self.verifier_token).post(f"/filings/{filing.id}/decision"))

    # --- the bureau -----------------------------------------------------------------------------------------------

    def await_review(self, filing: Filing, submission: int = 1) -> dict:
        reviewer = self.client("bureau", self.reviewer_token)

        def pending():
            answer = reviewer.get(f"/reviews/{filing.id}")
            found = answer.status_code == 200 and answer.json()
            return found and found["submission"] >= submission and found["state"] == "pending" and found

        review = wait_until(f"bureau review of {filing.id} (submission {submission})", pending, self.timeout)
        if review.get("miit_check") == "pending":
            self.pass_miit_check(filing)
            review = self.review(filing)
        return review

    def pass_miit_check(self, filing: Filing) -> dict:
        """X2: the responsible person enters the bureau's SMS code with the ID document's last six characters at
        the bureau's public API (no login)."""
        code = self._code(lambda: self.sms_to(filing), MIIT_MARK, filing, "the MIIT check code")
        tail = filing.data["responsible_person"]["document_number"][-6:]
        return _ok(self.client("bureau", None).post(f"/public/miit-checks/{filing.id}",
                                                   json={"code": code, "id_tail": tail}), 200)

    def approve(self, filing: Filing, submission: int = 1) -> str:
        """P8: the reviewer approves; waits until intake shows the filing number, which it answers."""
        self.approve_only(filing, submission)
        filing.number = self.await_state(filing, "approved")["filing_number"]
        return filing.number

    def approve_only(self, filing: Filing, submission: int = 1) -> dict:
        """P8: the reviewer approves once the review is pending (the number reaches intake by an event)."""
        self.await_review(filing, submission)
        return _ok(self.client("bureau", self.reviewer_token).post(f"/reviews/{filing.id}/approval"))

    def return_(self, filing: Filing, reasons: list[dict] | None = None, submission: int = 1) -> dict:
        """P8: the reviewer returns the filing to the provider, which verifies again."""
        self.await_review(filing, submission)
        reasons = reasons or [{"field": "websites.0.name", "code": "unclear", "message": "网站名称不清楚",
                               "rule": "B1"}]
        return _ok(self.client("bureau", self.reviewer_token).post(f"/reviews/{filing.id}/return",
                                                                   json={"reasons": reasons}))

    # --- the whole path and the readers ---------------------------------------------------------------------------

    def happy_path(self, filing: Filing | None = None, *, by_sms: bool = True) -> Filing:
        """P1 .. P8 for ``filing`` (default: a new one); answers it with its ``number``."""
        filing = filing or self.new_filing()
        self.send_to_bureau(filing, by_sms=by_sms)
        self.approve(filing)
        return filing

    def send_to_bureau(self, filing: Filing, *, by_sms: bool = True) -> dict:
        """P1 .. P7 for ``filing``: up to the sealed form sent to the bureau; answers the on-site decision."""
        self.pass_precheck(filing, by_sms=by_sms)
        self.verify_on_site(filing)
        decided = self.decide_on_site(filing)
        if decided["state"] != "sent_to_bureau":
            raise StepFailed(f"on-site decision for {filing.id}: {decided['state']}: {decided.get('reasons')}")
        return decided

    def pass_precheck(self, filing: Filing, *, by_sms: bool = True) -> dict:
        """P1 .. P3 for ``filing``: signed in, drafted, submitted, its contacts confirmed, pre-verification passed;
        answers the on-site case, its window open (for the counter's pages to take on)."""
        self.sign_in(filing, by_sms=by_sms)
        self.draft(filing)
        self.submit(filing)
        self.confirm_contacts(filing)
        self.await_state(filing, "precheck_passed")
        return self.await_window(filing)

    def intake_view(self, filing: Filing) -> dict:
        return _ok(self.client("intake", self.supervisor_token).get(f"/filings/{filing.id}"))

    def timeline(self, filing: Filing) -> list[dict]:
        return _ok(self.client("intake", self.supervisor_token).get(f"/filings/{filing.id}/timeline"))["timeline"]

    def case(self, filing: Filing) -> dict:
        return _ok(self.client("verification", self.verifier_token).get(f"/filings/{filing.id}"))

    def precheck_case(self, filing: Filing) -> dict:
        """Pre-verification's case of the filing's latest submission, as its staff read it (findings, P2/X7)."""
        return _ok(self.client("precheck", self.precheck_token).get(f"/filings/{filing.id}"))

    def review(self, filing: Filing) -> dict:
        return _ok(self.client("bureau", self.reviewer_token).get(f"/reviews/{filing.id}"))

    def await_state(self, filing: Filing, state: str) -> dict:
        """Intake's view of the filing once it is in ``state``."""
        return wait_until(f"filing {filing.id} {state} at intake",
                          lambda: (view := self.intake_view(filing))["state"] == state and view, self.timeout)

    def sms_to(self, filing: Filing) -> list[dict]:
        return [m for m in read_jsonl(self.sms_sink) if m["to"] == filing.mobile]

    def emails_to(self, filing: Filing) -> list[dict]:
        return [m for m in read_jsonl(self.email_sink) if m["to"] == filing.email]

    def _code(self, received, mark: str, filing: Filing, what: str) -> str:
        """The newest code in a message with ``mark`` not used yet (a code is entered once)."""

        def fresh():
            codes = [CODE.search(m["text"])[1] for m in received() if mark in m["text"] and CODE.search(m["text"])]
            unused = [c for c in codes if c not in filing.codes_used]
            return unused[-1] if unused else None

        code = wait_until(what, fresh, self.timeout)
        filing.codes_used.add(code)
        return code
