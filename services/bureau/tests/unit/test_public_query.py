"""The public query (P8, X9) on the in-memory unit of work: by domain, every number format or a unit's exact name,
only public fields; never an ID number, phone, e-mail, address or a person's name, for a unit or an individual
sponsor; a client past its limit a minute is refused with the seconds to wait."""
import json
from datetime import timedelta

import pytest

from bureau.domain import name_key
from bureau.models import FilingNumberRecord, Website
from bureau.usecases import public, receipt, review
from bureau.usecases.common import Scope
from shared.contracts.errors import NotFound, ValidationFailed
from shared.kernel.provinces import province_by_abbr
from shared.testing.samples import individual_filing, unit_filing

from .conftest import REVIEWER
from .test_receipt import cancellation

pytestmark = pytest.mark.unit


def personal_values(filing):
    """ID numbers, phones, e-mail and address. (Names are checked by field: a sponsor may name its website after
    itself, as 李四的博客 does, and the website name is public.)"""
    values = [filing["responsible_person"]["document_number"], *[v for v in filing["contacts"].values() if v]]
    if filing["sponsor"]["kind"] == "individual":
        values.append(filing["sponsor"]["document_number"])
    return values


@pytest.mark.req("P8")
@pytest.mark.parametrize("filing", [unit_filing(), individual_filing()], ids=["unit", "individual"])
def test_the_public_query_returns_public_fields_only(uow, keys, at, scope, receive, filing):
    filing_id, _ = receive(filing=filing)
    number = review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"]
    domain = filing["websites"][0]["domains"][0]
    bodies = [public.public_query(uow, *asked) for asked in ((domain, None), (domain.upper(), None),
                                                             (None, number), (None, f"{number}-1"))]
    assert all(b == bodies[0] for b in bodies)
    body = bodies[0]
    assert set(body) == {"filing_number", "sponsor_kind", "sponsor_name", "approved_at", "websites"}
    assert body["filing_number"] == number and body["sponsor_kind"] == filing["sponsor"]["kind"]
    assert body["approved_at"] == "2026-09-28"
    assert body["websites"][0]["website_number"] == f"{number}-1"
    assert body["websites"][0]["name"] == filing["websites"][0]["name"]
    text = json.dumps(body, ensure_ascii=False)
    for value in personal_values(filing):
        assert value not in text, "personal data in the public query"
    if filing["sponsor"]["kind"] == "unit":
        assert body["sponsor_name"] == filing["sponsor"]["name"]  # a unit's name is public business data
    else:
        assert body["sponsor_name"] is None  # an individual's name is personal data
    assert filing["responsible_person"]["name"] not in json.dumps(
        {k: v for k, v in body.items() if k != "websites"}, ensure_ascii=False)


@pytest.mark.req("P8")
def test_the_public_query_names_what_is_wrong_and_forgets_a_cancelled_filing(uow, keys, at, scope, receive):
    for asked, field in (((None, None), "query"), (("a.cn", "京ICP备2026000001号"), "query"),
                         ((None, "京ICP备0501234号"), "number"), (("not a domain", None), "domain")):
        with pytest.raises(ValidationFailed) as refused:
            public.public_query(uow, *asked)
        assert refused.value.errors[0]["field"] == field
    filing_id, _ = receive(domains=["gone.cn"])
    number = review.approve(uow, filing_id, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"]
    receipt.on_cancelled(uow, cancellation(filing_id), scope=scope, now=at)
    for asked in (("gone.cn", None), (None, number), ("never-filed.cn", None)):
        with pytest.raises(NotFound):
            public.public_query(uow, *asked)


def legacy_record(uow, number, name, at):
    """A number the register held before this system (issued before 2016, or an operating licence)."""
    uow.numbers.add(FilingNumberRecord(number=number, filing_id="legacy", sponsor_key=None, provider_id="old",
                                       sponsor_kind="unit", sponsor_name=name, name_key=name_key(name),
                                       highest_site=1, version=1, approved_at=at()))
    domain = f"legacy-{len(uow.numbers.records)}.cn"
    uow.websites.add(Website(domain_ascii=domain, domain_unicode=domain, filing_number=number,
                             website_number=f"{number}-1", name="旧站", approved_at=at()))


@pytest.mark.req("X9")
@pytest.mark.parametrize("number, asked", [
    ("京ICP备05012345号", " 京ICP备05012345号-1 "),
    ("京ICP证150476号", "京ICP证150476号-1"),
    ("粤B2-20090059", "粤b2-20090059"),
    ("京ICP备2016000123号", "京ICP备2016000123号-1"),
], ids=["before-2016", "licence", "b2", "current"])
def test_every_number_format_is_found_with_or_without_its_website_suffix(uow, at, number, asked):
    legacy_record(uow, number, "老字号网络有限公司", at)
    assert public.public_query(uow, None, asked)["filing_number"] == number


@pytest.mark.req("X9")
def test_a_unit_is_found_by_its_exact_normalised_name_and_an_individual_never(uow, keys, at, scope, receive):
    unit = unit_filing()
    unit["sponsor"]["name"] = "北京示例（网络）科技有限公司"
    unit_id, _ = receive(filing=unit)
    person_id, _ = receive(filing=individual_filing(), province="粤")
    number = review.approve(uow, unit_id, REVIEWER, scope=scope, keys=keys, now=at)["filing_number"]
    review.approve(uow, person_id, REVIEWER, scope=Scope(province_by_abbr("粤")), keys=keys, now=at)
    for asked in ("北京示例（网络）科技有限公司", " 北京示例(网络)科技有限公司 ", "北京示例(网络)科技有限公司"):
        assert public.public_query(uow, None, None, asked)["filing_number"] == number
    for asked in ("北京示例", "示例（网络）科技有限公司", individual_filing()["sponsor"]["name"]):
        with pytest.raises(NotFound):
            public.public_query(uow, None, None, asked)
    with pytest.raises(ValidationFailed):
        public.public_query(uow, "a.cn", None, "北京示例")


@pytest.mark.req("X9")
def test_the_31st_query_of_a_minute_is_refused_with_the_seconds_to_wait_and_another_client_is_not(uow, at, crypto):
    hasher = crypto.hasher()
    at.advance(seconds=-at().second + 15)  # 15 s into a minute
    for _ in range(30):
        public.count_query(uow, hasher, "203.0.113.7", 30, at())
    with pytest.raises(public.QueryLimitReached) as refused:
        public.count_query(uow, hasher, "203.0.113.7", 30, at())
    assert refused.value.status == 429 and refused.value.retry_after == 45
    assert refused.value.errors[0]["rule"] == "X9"
    assert refused.value.errors[0]["params"] == {"retry_after": 45, "limit": 30}
    public.count_query(uow, hasher, "198.51.100.9", 30, at())  # another client is answered
    assert not any("203.0.113.7" in key[0] for key in uow.query_counts.items), "the address is stored as a digest"
    at.advance(seconds=45)
    public.count_query(uow, hasher, "203.0.113.7", 30, at())  # a new minute
    public.forget_counts(uow, at() + timedelta(minutes=2))
    assert uow.query_counts.items == {}
