"""The register and the public query over the real broker, PostgreSQL and HTTP (X1, X9): two filings of one unit
end with one number and two websites; a provider's intake asks by sponsor key; a website cancelled (注销网站) and
then the last access cancelled (取消接入) leave the register as the providers' documentation says; the public query
finds a unit by name and answers a client past its limit 429 with ``Retry-After`` while another client is answered.
The rules themselves: tests/unit/test_register.py and test_public_query.py."""
import http.client
import json
import time
from urllib.parse import quote, urlparse

import pytest
import requests

from shared.contracts.bureau import FILING_NUMBER_RETIRED, sponsor_key
from shared.contracts.intake import ACCESS_CANCELLED, WEBSITE_CANCELLED
from shared.testing.events import publisher
from shared.testing.http import token
from shared.testing.samples import unit_filing

pytestmark = pytest.mark.service


def cancelled(filing_id, domains):
    return {"filing_id": filing_id, "provider_id": "provider-test", "province": "京", "filing_number": None,
            "domains": domains, "reason": "网站关闭", "cancelled_at": "2026-11-25T10:00:00+08:00",
            "cancelled_by": "sponsor"}


def until_gone(url, params, timeout=10.0):
    deadline = time.monotonic() + timeout
    while requests.get(url, params=params, timeout=10).status_code != 404:
        assert time.monotonic() < deadline, f"{params} still found"
        time.sleep(0.1)


@pytest.mark.req("X1")
def test_two_filings_of_one_unit_one_number_then_each_cancellation(api, send_filing, wait_review, base_url,
                                                                     bureau_config, crypto, bureau_tap):
    first, second = send_filing(domains=["first.example.cn"]), send_filing(domains=["second.example.cn"])
    wait_review(api, first), wait_review(api, second)
    number = api.post(f"/reviews/{first}/approval").json()["filing_number"]
    assert api.post(f"/reviews/{second}/approval").json()["filing_number"] == number
    public = f"{base_url}/public/filings"
    sites = requests.get(public, params={"number": number}, timeout=10).json()["websites"]
    assert [(s["domain_ascii"], s["website_number"]) for s in sites] == [
        ("first.example.cn", f"{number}-1"), ("second.example.cn", f"{number}-2")]

    key = sponsor_key(crypto.exchange_lookup(), "unit", unit_filing()["sponsor"]["document_number"])
    ops = {"Authorization": f"Bearer {token('ops', 'intake', provider='provider-test')}"}
    asked = requests.post(f"{base_url}/register/lookups", json={"sponsor_key": key, "domains": ["new.example.cn"]},
                          headers=ops, timeout=10).json()
    assert asked["sponsor_number"] == number and asked["websites"][0]["filed"] == "not_filed"

    send = publisher(bureau_config["AMQP_URI"])
    send("intake", WEBSITE_CANCELLED, cancelled(first, ["first.example.cn"]), first)
    until_gone(public, {"domain": "first.example.cn"})
    assert requests.get(public, params={"number": number}, timeout=10).status_code == 200  # the sponsor stays
    send("intake", ACCESS_CANCELLED, cancelled(second, ["second.example.cn"]), second)
    until_gone(public, {"number": number})  # the last hosted website gone: the sponsor's number too
    retired = [e for e in bureau_tap.drain(timeout=2) if e["meta"]["type"] == FILING_NUMBER_RETIRED]
    assert {e["data"]["filing_id"] for e in retired} == {first, second}


def query_from(source: str, base_url: str, params: dict) -> tuple[int, dict, dict]:
    """The public query from the local address ``source`` (another client than 127.0.0.1)."""
    url = urlparse(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10, source_address=(source, 0))
    try:
        connection.request("GET", "/public/filings?" + "&".join(f"{k}={quote(v)}" for k, v in params.items()))
        answer = connection.getresponse()
        return answer.status, dict(answer.getheaders()), json.loads(answer.read())
    finally:
        connection.close()


@pytest.mark.req("X9")
def test_a_clients_31st_query_of_a_minute_is_answered_429_and_another_client_normally(api, send_filing, wait_review,
                                                                                      base_url):
    filing_id = send_filing(domains=["limited.example.cn"])
    wait_review(api, filing_id)
    number = api.post(f"/reviews/{filing_id}/approval").json()["filing_number"]
    # a minute's window must not turn over between the 30th and the 31st query
    while time.time() % 60 > 45:
        time.sleep(1)
    name = unit_filing()["sponsor"]["name"]
    answers = [query_from("127.0.0.1", base_url, {"name": name}) for _ in range(30)]
    assert {status for status, _, _ in answers} == {200} and answers[0][2]["filing_number"] == number
    status, headers, body = query_from("127.0.0.1", base_url, {"domain": "limited.example.cn"})
    assert status == 429 and 1 <= int(headers["Retry-After"]) <= 60
    assert body["error"]["errors"][0]["rule"] == "X9"
    wait = body["error"]["errors"][0]["params"]["retry_after"]
    assert wait == int(headers["Retry-After"])  # the catalogue's sentence, in Chinese, says when
    assert body["error"]["errors"][0]["message"] == f"查询过于频繁：每分钟最多查询30次，请于{wait}秒后再试。"
    status, _, body = query_from("127.0.0.2", base_url, {"number": f"{number}-1"})
    assert status == 200 and body["filing_number"] == number
