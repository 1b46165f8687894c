"""W6 over the real broker and PostgreSQL, through intake's HTTP entry: a CSV of stock filings is imported, bad
rows are reported by line, field and rule without stopping the rest, a re-run imports nothing twice, each
imported filing invites its responsible person (``reverification_requested.v1``, personal fields sealed) and
the re-verification progress follows ``onsite_verified.v1``."""
import json
import time

import pytest

from shared.contracts import EVENTS
from shared.contracts.intake import APPROVED_SITES_CHANGED, REVERIFICATION_REQUESTED
from shared.contracts.verification import ONSITE_VERIFIED
from shared.platform.crypto import CryptoConfig
from shared.testing.events import publisher
from shared.testing.http import sponsor_token, token
from shared.testing.stock import BAD, stock_csv, stock_row

pytestmark = [pytest.mark.service, pytest.mark.clock]

CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def supervisor(api, intake_config):
    """The provider's supervisor, who imports the stock."""
    return api.as_(token("supervisor", "supervisor-1", provider=intake_config["PROVIDER_ID"]))


def _rows() -> list[dict]:
    """20 rows: line 2 + i holds row i; rows 3, 7 and 11 are bad, row 15 repeats row 0's filing number."""
    bad = {3: "mobile", 7: "person_document_number", 11: "domains"}
    rows = [stock_row(i, bad=bad.get(i), prefix="09") for i in range(20)]
    rows[15] = {**rows[15], "filing_number": rows[0]["filing_number"]}
    return rows


def _collect(tap, event_type: str, count: int, timeout: float = 10.0, everything: bool = False) -> list[dict]:
    """Events until ``count`` of ``event_type`` came: those (or, ``everything``, all that came meanwhile)."""
    got, deadline = [], time.monotonic() + timeout
    while len([e for e in got if e["meta"]["type"] == event_type]) < count and time.monotonic() < deadline:
        got += tap.drain(timeout=0.2)
    return got if everything else [e for e in got if e["meta"]["type"] == event_type]


@pytest.mark.req("W6")
def test_an_import_reports_bad_rows_by_line_and_a_rerun_imports_nothing_twice(supervisor, staff, event_tap,
                                                                             intake_config, clock):
    body = stock_csv(_rows()).encode()
    deadline = clock.day(days=120)

    first = supervisor.post(f"/stock/imports?deadline={deadline}", data=body, headers=CSV, key="stock-1")

    assert first.status_code == 201, first.text
    report = first.json()
    assert (report["rows"], report["imported"], report["already_imported"], report["rejected"]) == (20, 16, 0, 4)
    assert report["deadline"].startswith(f"{deadline}T23:59:59")
    got = [(r["line"], e["field"], e["code"], e["rule"]) for r in report["rejections"] for e in r["errors"]]
    assert got == [(5, BAD["mobile"][0], "format", "R1.6"),
                   (9, BAD["person_document_number"][0], "check_digit", "GB 11643-1999"),
                   (13, BAD["domains"][0], "idna", "R1.7"),
                   (17, "filing_number", "duplicate", "W6")]
    invitations = _collect(event_tap, REVERIFICATION_REQUESTED, 16)
    assert len(invitations) == 16
    data = invitations[0]["data"]
    assert (data["filing_number"], data["province"], data["version"]) == ("京ICP备09000000号", "京", 1)
    assert data["deadline"] == report["deadline"] and data["import_id"] == report["import_id"]
    cipher = CryptoConfig.from_config(intake_config).cipher()
    assert cipher.decrypt(data["contacts"]["mobile"], context="event.contacts.mobile") == "13900000000"
    text = json.dumps(invitations, ensure_ascii=False)
    for row in _rows()[:3]:
        for column in ("mobile", "person_document_number", "email", "person_name"):
            assert row[column] not in text, column
    sites = supervisor.get("/approved-sites").json()["sites"]
    assert {s["domain"]: s["website_number"] for s in sites}["s090.example.com.cn"] == "京ICP备09000000号-1"

    replay = supervisor.post(f"/stock/imports?deadline={deadline}", data=body, headers=CSV, key="stock-1")
    assert replay.status_code == 201 and replay.json()["import_id"] == report["import_id"]
    rerun = supervisor.post(f"/stock/imports?deadline={deadline}", data=body, headers=CSV, key="stock-2").json()
    assert (rerun["rows"], rerun["imported"], rerun["already_imported"], rerun["rejected"]) == (20, 0, 16, 4)
    assert _collect(event_tap, REVERIFICATION_REQUESTED, 1, timeout=1.0) == []
    progress = staff.get("/stock/progress").json()
    assert (progress["planned"], progress["done"], progress["pending"], progress["overdue"]) == (16, 0, 16, 0)
    assert staff.get(f"/stock/imports/{report['import_id']}").json()["rejected"] == 4


@pytest.mark.req("W6")
def test_bad_uploads_are_refused_and_nothing_is_imported(supervisor, staff):
    header_only = "filing_number,mobile\n京ICP备09000001号,13900000001\n".encode()
    missing = supervisor.post("/stock/imports", data=header_only, headers=CSV)
    assert missing.status_code == 422
    assert {(e["field"], e["code"], e["rule"]) for e in missing.json()["error"]["errors"]} >= {
        ("header", "missing_column", "W6")}
    wrong_type = supervisor.post("/stock/imports", data=stock_csv([stock_row(1)]).encode(),
                            headers={"Content-Type": "application/json"})
    assert wrong_type.status_code == 415 and wrong_type.json()["error"]["errors"][0]["rule"] == "W6"
    past = supervisor.post("/stock/imports?deadline=2020-01-01", data=stock_csv([stock_row(1)]).encode(), headers=CSV)
    assert past.status_code == 400 and past.json()["error"]["errors"][0]["field"] == "deadline"
    not_a_date = supervisor.post("/stock/imports?deadline=soon", data=stock_csv([stock_row(1)]).encode(), headers=CSV)
    assert not_a_date.status_code == 400 and not_a_date.json()["error"]["errors"][0]["field"] == "deadline"
    assert staff.get("/stock/progress").json()["planned"] == 0


@pytest.mark.req("W6")
def test_progress_follows_onsite_verification_and_a_verified_stock_filing_is_then_revisited(supervisor, staff, api,
                                                                                            event_tap, intake_config):
    body = stock_csv([stock_row(i, prefix="08") for i in range(3)]).encode()
    report = supervisor.post("/stock/imports", data=body, headers=CSV).json()
    assert report["imported"] == 3
    events = _collect(event_tap, REVERIFICATION_REQUESTED, 3, everything=True)
    if not any(e["meta"]["type"] == APPROVED_SITES_CHANGED for e in events):  # the relay's next pass may carry it
        events += _collect(event_tap, APPROVED_SITES_CHANGED, 1)
    [sites_changed] = [e["data"] for e in events if e["meta"]["type"] == APPROVED_SITES_CHANGED]
    assert sites_changed["added"] == ["s080.example.com.cn", "s081.example.com.cn", "s082.example.com.cn"]
    invitation = next(e["data"] for e in events if e["meta"]["type"] == REVERIFICATION_REQUESTED)
    filing_id = invitation["filing_id"]

    publish = publisher(intake_config["AMQP_URI"])
    publish("verification", ONSITE_VERIFIED, {**EVENTS.get(ONSITE_VERIFIED).sample, "filing_id": filing_id,
                                              "version": 1, "decided_by": "verification:staff-3"}, filing_id)

    deadline = time.monotonic() + 10
    while staff.get("/stock/progress").json()["done"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    progress = staff.get("/stock/progress").json()
    assert (progress["planned"], progress["done"], progress["pending"], progress["overdue"]) == (3, 1, 2, 0)
    assert progress["imports"][0]["import_id"] == report["import_id"]
    owner = api.as_(sponsor_token("13900000000"))  # the stock row's mobile: its sponsor sees it, in full
    filing = owner.get(f"/filings/{filing_id}").json()
    assert (filing["state"], filing["filing_number"]) == ("approved", "京ICP备08000000号")
    assert filing["data"]["contacts"]["mobile"] == "13900000000"
    assert api.get(f"/filings/{filing_id}").status_code == 404  # another sponsor does not
    assert staff.post("/stock/imports", data=body, headers=CSV).status_code == 403  # only a supervisor imports
    timeline = staff.get(f"/filings/{filing_id}/timeline").json()["timeline"]
    assert timeline[-1]["note"] == "stock filing verified on site (W6)"
    assert [r["state"] for r in staff.get(f"/filings/{filing_id}/revisits").json()["revisits"]] == ["scheduled"]
