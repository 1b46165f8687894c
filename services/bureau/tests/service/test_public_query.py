"""The public query (P8): by domain or filing number, no login, only public fields; never an ID number, phone,
e-mail, address or a person's name, for a unit or an individual sponsor."""
import json

import pytest
import requests

from shared.testing.samples import individual_filing, unit_filing

pytestmark = pytest.mark.service


def personal_values(filing):
    """ID numbers, phones, e-mail and address. (Names are checked by field: a sponsor may name its website after
    itself, as 李四的博客 does, and the website name is public.)"""
    values = [filing["responsible_person"]["document_number"], *[v for v in filing["contacts"].values() if v]]
    if filing["sponsor"]["kind"] == "individual":
        values.append(filing["sponsor"]["document_number"])
    return values


@pytest.mark.req("P8")
@pytest.mark.parametrize("filing", [unit_filing(), individual_filing()], ids=["unit", "individual"])
def test_the_public_query_returns_public_fields_only(api, send_filing, wait_review, base_url, filing):
    filing_id = send_filing(filing=filing)
    wait_review(api, filing_id)
    number = api.post(f"/reviews/{filing_id}/approval").json()["filing_number"]
    public = f"{base_url}/public/filings"
    domain = filing["websites"][0]["domains"][0]
    answers = [requests.get(public, params=params, timeout=10)  # no token: no login
               for params in ({"domain": domain}, {"domain": domain.upper()}, {"number": number},
                              {"number": f"{number}-1"})]
    assert [a.status_code for a in answers] == [200] * 4
    bodies = [a.json() for a in answers]
    assert all(b == bodies[0] for b in bodies)
    body = bodies[0]
    assert set(body) == {"filing_number", "sponsor_kind", "sponsor_name", "approved_at", "websites"}
    assert body["filing_number"] == number and body["sponsor_kind"] == filing["sponsor"]["kind"]
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


def test_the_public_query_names_what_is_wrong(bureau, base_url):
    public = f"{base_url}/public/filings"
    both = requests.get(public, params={"domain": "a.cn", "number": "京ICP备2026000001号"}, timeout=10)
    assert both.status_code == 422 and both.json()["error"]["errors"][0]["field"] == "query"
    malformed = requests.get(public, params={"number": "京ICP备05012345号"}, timeout=10)
    assert malformed.status_code == 422 and malformed.json()["error"]["errors"][0]["field"] == "number"
    unknown = requests.get(public, params={"domain": "never-filed.cn"}, timeout=10)
    assert unknown.status_code == 404
    document = requests.get(f"{base_url}/openapi.json", timeout=10)
    assert document.status_code == 200 and "/public/filings" in document.json()["paths"]
