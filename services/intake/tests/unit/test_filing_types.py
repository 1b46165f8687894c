"""X1 on the in-memory unit of work: the filing type worked out at draft time from what the register of the
sponsor's province answers (a fake register: the bureau's side is proved in services/bureau/tests), asked by the
sponsor's key and never its document number; and the cancellation of websites and of access of an approved filing,
each telling the bureau."""
from types import SimpleNamespace

import pytest

from intake.register import RegisterClient, bureau_urls
from intake.usecases import filing_types, status, submission
from shared.contracts.bureau import sponsor_key
from shared.contracts.errors import Conflict, ServiceUnavailable, ValidationFailed
from shared.contracts.intake import ACCESS_CANCELLED, FILING_CANCELLED, WEBSITE_CANCELLED
from shared.i18n import localise_answer
from shared.testing.samples import unit_filing

from .conftest import PROVIDER
from .test_filing_usecases import YEAR, approval

pytestmark = [pytest.mark.unit, pytest.mark.clock]

NUMBER = "京ICP备2026000123号"


class Register:
    """The register of one province as the bureau answers: ``sites`` maps an ASCII domain to (website number, whose
    it is, hosted by this provider)."""

    def __init__(self, number=None, **sites):
        self.number, self.sites, self.asked = number, sites, []

    def __call__(self, province, key, domains):
        self.asked.append((province, key, domains))
        held = {d: self.sites.get(d, (None, "not_filed", False)) for d in domains}
        return {"province": province, "sponsor_number": self.number, "websites": [
            {"domain": d, "website_number": n, "filed": filed, "hosted_by_caller": here}
            for d, (n, filed, here) in held.items()]}


@pytest.fixture
def keys(crypto):
    return SimpleNamespace(exchange_lookup=crypto.exchange_lookup())


@pytest.fixture
def type_of(uow, viewer, keys):
    return lambda filing_id, register: filing_types.draft_type(uow, viewer, register, keys, filing_id)


@pytest.mark.req("X1")
def test_a_sponsor_without_a_number_files_a_first_filing_asked_by_its_key_only(draft, type_of, crypto):
    register = Register()
    answer = type_of(draft(complete=False), register)
    assert answer["type"] == "first_filing" and answer["sponsor_number"] is None and answer["problems"] == []
    assert answer["reasons"][0]["code"] == "no_number" and answer["reasons"][0]["rule"] == "X1"
    [(province, key, domains)] = register.asked
    document = unit_filing()["sponsor"]["document_number"]
    assert province == "京" and key == sponsor_key(crypto.exchange_lookup(), "unit", document)
    assert document not in str(register.asked)  # the document number never leaves the provider
    assert domains == ["www.example.com.cn", "xn--fsqu00a.xn--fiqs8s"]


@pytest.mark.req("X1")
def test_a_sponsor_with_a_number_files_a_new_website_or_a_new_access(draft, type_of):
    filing_id = draft(complete=False)
    new_site = type_of(filing_id, Register(NUMBER))
    assert new_site["type"] == "new_website" and new_site["sponsor_number"] == NUMBER
    assert {w["outcome"] for w in new_site["websites"]} == {"new"}
    moving = type_of(filing_id, Register(NUMBER, **{"www.example.com.cn": (f"{NUMBER}-2", "this_sponsor", False)}))
    assert moving["type"] == "new_access"
    assert moving["websites"][0] == {"domain": "www.example.com.cn", "website_number": f"{NUMBER}-2",
                                     "outcome": "keeps_number"}
    assert moving["websites"][1]["outcome"] == "new"


@pytest.mark.req("X1")
def test_a_domain_of_another_sponsor_or_one_hosted_here_already_is_a_problem(draft, type_of):
    filing_id = draft(complete=False)
    taken = type_of(filing_id, Register(None, **{"www.example.com.cn": ("京ICP备2026000009号-1", "another_sponsor",
                                                                       False)}))
    assert taken["type"] == "first_filing" and [p["code"] for p in taken["problems"]] == ["domain_filed"]
    again = type_of(filing_id, Register(NUMBER, **{"www.example.com.cn": (f"{NUMBER}-1", "this_sponsor", True)}))
    assert [p["code"] for p in again["problems"]] == ["already_filed"]


@pytest.mark.req("X1")
def test_a_draft_without_the_sponsors_document_cannot_be_typed_yet(draft, type_of):
    data = unit_filing()
    del data["sponsor"]["document_number"]
    with pytest.raises(ValidationFailed) as refused:
        type_of(draft(data, complete=False), Register())
    assert [e["field"] for e in refused.value.errors] == ["sponsor.document_number"]


@pytest.fixture
def approved(uow, viewer, draft, crypto, at):
    """An approved filing of two websites: ``-1`` and ``-2``."""
    filing_id = draft()
    submission.submit(uow, viewer, crypto.cipher(), crypto.hasher(), "sponsor:owner", filing_id, at)
    status.record_approval(uow, PROVIDER, approval(filing_id, NUMBER, **{
        "www.example.com.cn": f"{NUMBER}-1", "xn--fsqu00a.xn--fiqs8s": f"{NUMBER}-2"}), at, YEAR)
    return filing_id


@pytest.mark.req("X1")
def test_a_change_draft_is_a_change_of_the_parts_that_differ(uow, viewer, approved, type_of, at):
    submission.request_change(uow, viewer, "sponsor:owner", approved, at)
    filing = uow.filings.get(approved, PROVIDER)
    data = uow.filings.data(approved, filing.version)
    data["contacts"]["email"] = "new@example.com.cn"
    uow.filings.put_data(approved, filing.version, data)
    answer = type_of(approved, Register(NUMBER))
    assert answer["type"] == "change" and [r["code"] for r in answer["reasons"]] == ["change_of_sponsor"]


@pytest.mark.req("X1")
@pytest.mark.req("X6")
def test_the_type_and_its_reasons_are_read_in_the_callers_language(draft, type_of):
    answer = type_of(draft(complete=False), Register(NUMBER))
    assert answer["type"] == "new_website"
    assert localise_answer(answer)["reasons"][0]["message"] == (
        f"主办者已有备案号{NUMBER}，新网站依次取得其下的网站编号（新增网站）。")
    assert localise_answer(answer, "en")["reasons"][0]["message"].startswith(f"The sponsor already holds {NUMBER}")


@pytest.mark.req("X1")
def test_cancelling_a_website_then_the_access_of_the_last_one(uow, viewer, approved, at, crypto):
    body = {"kind": "website", "domains": ["WWW.example.com.cn"], "reason": "网站关闭"}
    after = filing_types.cancel(uow, viewer, "sponsor:owner", approved, body, at, cipher=crypto.cipher())
    assert after["state"] == "approved"
    [event] = uow.outbox.of_type(WEBSITE_CANCELLED)
    assert event["domains"] == ["www.example.com.cn"] and event["filing_number"] == NUMBER
    assert set(uow.sites.touched(approved, [])) == {"xn--fsqu00a.xn--fiqs8s"}
    with pytest.raises(ValidationFailed) as refused:  # gone already: nothing changes
        filing_types.cancel(uow, viewer, "sponsor:owner", approved, body, at, cipher=crypto.cipher())
    assert refused.value.errors[0]["field"] == "domains.0"
    body = {"kind": "access", "domains": ["例子.中国"], "reason": "迁出"}
    cancelled = filing_types.cancel(uow, viewer, "sponsor:owner", approved, body, at, cipher=crypto.cipher())
    assert cancelled["state"] == "cancelled"
    assert uow.outbox.of_type(ACCESS_CANCELLED)[0]["domains"] == ["xn--fsqu00a.xn--fiqs8s"]
    assert uow.outbox.of_type(FILING_CANCELLED) == [] and uow.sites.touched(approved, []) == {}
    with pytest.raises(Conflict):
        filing_types.cancel(uow, viewer, "sponsor:owner", approved, body, at, cipher=crypto.cipher())


@pytest.mark.req("X1")
def test_the_bureaus_addresses_are_read_by_province_and_a_province_without_one_is_a_clear_503():
    assert bureau_urls(" 京=http://bj.example/ , 粤=https://gd.example") == {"京": "http://bj.example",
                                                                           "粤": "https://gd.example"}
    with pytest.raises(ValueError):
        bureau_urls("京=bj.example")
    with pytest.raises(ServiceUnavailable) as refused:
        RegisterClient({}, lambda: "token")("浙", "0" * 64, ["a.cn"])
    assert refused.value.errors[0]["field"] == "sponsor.province" and refused.value.errors[0]["rule"] == "X1"
