"""The public query (P8) on the in-memory unit of work: by domain or filing number, only public fields; never an ID
number, phone, e-mail, address or a person's name, for a unit or an individual sponsor."""
import json

import pytest

from bureau.usecases import public, receipt, review
from shared.contracts.errors import NotFound, ValidationFailed
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
