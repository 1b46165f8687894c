"""The public query over HTTP (P8): no login, asked by ``?domain=``, ``?number=`` (or ``?name=``, test_register.py),
refusals naming the parameter. Which fields it shows (never personal data) is in tests/unit/test_public_query.py."""
import pytest
import requests

pytestmark = pytest.mark.service


@pytest.mark.req("P8")
def test_the_public_query_answers_without_a_login_and_names_what_is_wrong(api, send_filing, wait_review, base_url):
    filing_id = send_filing(domains=["public-site.cn"])
    wait_review(api, filing_id)
    number = api.post(f"/reviews/{filing_id}/approval").json()["filing_number"]
    public = f"{base_url}/public/filings"
    found = requests.get(public, params={"domain": "public-site.cn"}, timeout=10)  # no token
    assert found.status_code == 200 and found.json()["filing_number"] == number
    assert requests.get(public, params={"number": number}, timeout=10).json() == found.json()
    both = requests.get(public, params={"domain": "a.cn", "number": "京ICP备2026000001号"}, timeout=10)
    assert both.status_code == 422 and both.json()["error"]["errors"][0]["field"] == "query"
    malformed = requests.get(public, params={"number": "京ICP备0501234号"}, timeout=10)
    assert malformed.status_code == 422 and malformed.json()["error"]["errors"][0]["field"] == "number"
    unknown_parameter = requests.get(public, params={"owner": "x"}, timeout=10)
    assert unknown_parameter.status_code == 400
    assert requests.get(public, params={"domain": "never-filed.cn"}, timeout=10).status_code == 404
    document = requests.get(f"{base_url}/openapi.json", timeout=10)
    assert document.status_code == 200 and "/public/filings" in document.json()["paths"]
