"""The filing center's auditors over HTTP on the running service: monthly samples with phone checks and accuracy
per provider (C1), hosted-site inventories and the quarterly accuracy and filing rate (P10, C2), statistics as
JSON, CSV and PNG, the bulletin and the penalty summary (C4), and the published rules every result names (C3)."""
import csv
import io
import time

import pytest
from sqlalchemy import text

from shared.contracts import EVENTS
from shared.contracts.audit import AUDIT_FINDING_RAISED
from shared.contracts.bureau import FILING_RETURNED, PENALTY_ISSUED, RECTIFICATION_CLOSED
from shared.testing.http import token
from shared.testing.samples import RESIDENT_ID, resident_id

pytestmark = pytest.mark.service

UNKNOWN_ID = resident_id("11010519800101001")


def _wait_rows(engine, sql: str, count: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.execute(text(sql)).scalar_one() >= count:
                return
        time.sleep(0.1)
    raise TimeoutError(sql)


@pytest.fixture
def stock(approve, engine):
    """Seven filings approved in November 2026: five of provider-a in 京 (one with an ID public security does not
    know), two of provider-b in 粤; one filing of provider-a in December."""
    made = []
    for i in range(5):
        person = {"document_number": UNKNOWN_ID, "name": "赵六"} if i == 0 else {"document_number": RESIDENT_ID}
        made.append(approve(person=person, provider_id="provider-a", domain=f"site{i}.example.cn")[0])
    for i in range(2):
        made.append(approve(provider_id="provider-b", province="粤", domain=f"b{i}.example.cn")[0])
    made.append(approve(provider_id="provider-a", approved_at="2026-12-02T10:00:00+08:00",
                        domain="december.example.cn")[0])
    _wait_rows(engine, "SELECT count(*) FROM check_results", len(made))
    return made


@pytest.mark.req("C1")
@pytest.mark.req("C3")
def test_monthly_sample_phone_checks_and_accuracy_per_provider(api, stock, audit_tap):
    drawn = api.post("/samples", json={"month": "2026-11", "seed": 42})
    assert drawn.status_code == 201, drawn.text
    sample = drawn.json()
    assert (sample["population"], sample["size"], sample["rules_version"], sample["seed"]) == (7, 4, "2026.1", 42)
    assert sorted(item["stratum"] for item in sample["items"]) == ["京|provider-a"] * 2 + ["粤|provider-b"] * 2
    reviewer = api.as_(token("reviewer", "reviewer-1", province="京"))
    assert reviewer.post("/samples", json={"month": "2026-11", "seed": 42}).status_code == 403
    assert api.as_(None).get(f"/samples/{sample['sample_id']}").status_code == 401
    again = api.post("/samples", json={"month": "2026-11", "seed": 42}).json()
    assert [i["filing_id"] for i in again["items"]] == [i["filing_id"] for i in sample["items"]]
    assert again["sample_id"] == sample["sample_id"]

    items = {item["stratum"]: item for item in sample["items"]}
    url = f"/samples/{sample['sample_id']}/items"
    assert api.post(f"{url}/{items['粤|provider-b']['item_id']}/phone-check", json={"result": "confirmed"}).ok
    wrong = api.post(f"{url}/{items['京|provider-a']['item_id']}/phone-check", json={"result": "wrong_person"})
    assert wrong.ok
    bad = api.post(f"{url}/{items['京|provider-a']['item_id']}/phone-check", json={"result": "maybe"})
    assert bad.status_code == 400 and bad.json()["error"]["errors"][0]["field"] == "result"
    conflict = api.post(f"{url}/{items['京|provider-a']['item_id']}/phone-check", json={"result": "confirmed"})
    assert conflict.status_code == 409

    report = api.get("/reports/monthly/2026-11").json()
    by_provider = {row["provider_id"]: row for row in report["providers"]}
    assert by_provider["provider-a"] | {"provider_id": "provider-a"} == {
        "provider_id": "provider-a", "filings": 5, "id_check_failed": 1, "id_check_accuracy": 0.8,
        "phone_checked": 1, "phone_confirmed": 0, "phone_accuracy": 0.0}
    assert by_provider["provider-b"]["phone_accuracy"] == 1.0
    assert report["rules_version"] == "2026.1"

    deadline, spot = time.monotonic() + 10, []
    while not spot and time.monotonic() < deadline:
        spot = [e for e in audit_tap.drain(timeout=0.3) if e["meta"]["type"] == AUDIT_FINDING_RAISED
                and e["data"]["check"] == "spot_check"]
    assert len(spot) == 1 and spot[0]["data"]["reasons"][0]["rule"] == "C1"
    EVENTS.validate_outgoing(spot[0])

    rules = api.get("/rules").json()
    assert rules["version"] == "2026.1" and rules["sampling"]["tiers"][1] == {"up_to": 49, "take": 2}


@pytest.mark.req("P10")
@pytest.mark.req("C2")
def test_inventory_import_and_the_quarterly_accuracy_and_filing_rate(api, stock):
    inventory = "domain,customer\nsite0.example.cn,x\nSITE1.example.cn,y\nunfiled.example.cn,z\n"
    imported = api.put("/providers/provider-a/inventory", data=inventory.encode(),
                       headers={"Content-Type": "text/csv", "Idempotency-Key": "inv-1"})
    assert imported.ok, imported.text
    assert imported.json()["sites"] == 3
    bad = api.put("/providers/provider-a/inventory", data=b"domain\nok.example.cn\nnot a domain\n",
                  headers={"Content-Type": "text/csv", "Idempotency-Key": "inv-2"})
    assert bad.status_code == 400
    assert bad.json()["error"]["errors"][0]["field"] == "row 3.domain"
    # Found by the API fuzz run (issue 8): a stray CR or broken quote, or an over-long provider id, is a 400.
    for key, (path, body) in enumerate([("provider-a", b'domain\r"x'), ("provider-a", b"domain\n" + b"x" * 140_000),
                                        ("p" * 65, b"domain\nok.example.cn\n")]):
        refused = api.put(f"/providers/{path}/inventory", data=body,
                          headers={"Content-Type": "text/csv", "Idempotency-Key": f"inv-bad-{key}"})
        assert refused.status_code == 400, refused.text
        assert {"field", "rule"} <= set(refused.json()["error"]["errors"][0])

    report = api.get("/reports/quarterly/2026Q4").json()
    providers = {row["provider_id"]: row for row in report["providers"]}
    assert providers["provider-a"]["filings"] == 6 and providers["provider-a"]["flagged"] == 1
    assert providers["provider-a"]["accuracy"] == 0.8333
    assert providers["provider-a"]["filing_rate"] == {"hosted": 3, "filed": 2, "rate": 0.6667}
    assert providers["provider-b"]["filing_rate"] is None
    assert {row["province"]: row["accuracy"] for row in report["provinces"]} == {"京": 0.8333, "粤": 1.0}
    cells = report["cells"]  # province x provider (issue 20): the same stock, split both ways
    assert sum(c["filings"] for c in cells) == sum(p["filings"] for p in report["providers"])
    assert {c["province"] for c in cells} == {"京", "粤"} and sum(c["flagged"] for c in cells) == 1
    assert report["rules_version"] == "2026.1"
    assert api.get("/reports/quarterly/2026Q9").status_code == 400


@pytest.mark.req("C4")
def test_statistics_bulletin_and_penalty_summary(api, stock, send):
    penalty = EVENTS.get(PENALTY_ISSUED).sample
    send("bureau", PENALTY_ISSUED, penalty, "p-1")
    send("bureau", RECTIFICATION_CLOSED, EVENTS.get(RECTIFICATION_CLOSED).sample, "p-1")
    send("bureau", FILING_RETURNED, EVENTS.get(FILING_RETURNED).sample, "f-1")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not api.get("/penalties/summary").json()["penalties"]:
        time.sleep(0.1)
    time.sleep(0.5)
    assert api.get("/penalties/summary").json() == {"penalties": [
        {"province": "京", "kind": "rectification_order", "issued": 1, "closed": 1, "overdue": 0, "open": 0}]}

    stats = api.get("/statistics/2026-11").json()
    assert stats["counts"]["provider_id"] == {"provider-a": 5, "provider-b": 2}
    assert stats["counts"]["province"] == {"京": 5, "粤": 2}
    assert stats["counts"]["sponsor_kind"] == {"unit": 7}
    as_csv = list(csv.DictReader(io.StringIO(api.get("/statistics/2026-11?format=csv").text)))
    assert {"month": "2026-11", "category": "province", "value": "粤", "count": "2"} in as_csv
    png = api.get("/statistics/2026-11?format=png")
    assert png.headers["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert api.get("/statistics/2026-11?format=xml").status_code == 400

    assert stats["counts"]["decision"] == {"approved": 7, "returned": 1}

    bulletin = api.get("/bulletin/2026-11").json()
    assert (bulletin["approved"], bulletin["returned"]) == (7, 1)
    assert bulletin["provinces"] == [
        {"province": "京", "filed_subjects": 5, "filed_sites": 5, "approved_this_month": 5},
        {"province": "粤", "filed_subjects": 2, "filed_sites": 2, "approved_this_month": 2}]
    assert bulletin["filing_rate"] == {"hosted": 0, "filed": 0, "rate": None}
