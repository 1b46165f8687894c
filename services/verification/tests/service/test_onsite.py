"""A full on-site verification over the real broker, PostgreSQL and the local S3 server (P4–P7, W1, W4):
pass -> sealed form whose signature validates and whose text holds the filing data -> filing_sent_to_bureau.v1;
a mismatch -> onsite_rejected.v1; a corrected mismatch -> pass with the correction printed on the form; a bureau
return reopens the filing."""
import io
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import create_engine, text

from shared.contracts.bureau import FILING_RETURNED
from shared.testing.faces import backdrop_photo
from shared.testing.samples import RESIDENT_ID, hostile_uploads, pdf, png, unit_filing, uscc

pytestmark = [pytest.mark.service, pytest.mark.clock]

SPONSOR = unit_filing()["sponsor"]
ORIGINALS = {
    "sponsor": {"name": SPONSOR["name"], "document_type": "business_licence", "document_number": uscc()},
    "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": RESIDENT_ID},
    "person_present_confirmed": True,
}
ACCESS = {"provider_name": "示例云计算有限公司", "access_method": "cloud_server", "server_location": "北京市海淀区",
          "ip_addresses": ["111.13.100.91", "240e:e9:6002:15c::ff"]}


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def _verify_everything(staff, filing_id, photo=None, originals=None):
    _ok(staff.post(f"/filings/{filing_id}/photo", data=photo or backdrop_photo()))
    for subject in ("sponsor", "responsible_person"):
        _ok(staff.post(f"/filings/{filing_id}/copies/{subject}", data=png()))
    _ok(staff.post(f"/filings/{filing_id}/originals", json=originals or ORIGINALS))
    _ok(staff.post(f"/filings/{filing_id}/domain-checks"))
    _ok(staff.put(f"/filings/{filing_id}/access", json=ACCESS))
    return _ok(staff.post(f"/filings/{filing_id}/agreement", json={"signed_by": "张三", "signature": "c2lnbmVk"}))


def _form_text(staff, filing_id, copy="bureau"):
    case = _ok(staff.get(f"/filings/{filing_id}"))
    archive = _ok(staff.get(f"/archive/{case['sponsor_ref']}"))
    form = next(e for e in archive["evidence"] if e["id"] == case["forms"][copy])
    link = _ok(staff.get(f"/archive/{case['sponsor_ref']}/evidence/{form['id']}"))
    pdf = staff.http.get(link["url"], timeout=10).content
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.req("P6")
@pytest.mark.req("P7")
@pytest.mark.req("W1")
def test_a_verified_filing_is_sealed_and_sent_to_the_bureau(open_window, staff, tap, crypto, as_role):
    filing_id = open_window()
    tap.wait_for(1)
    case = _verify_everything(staff, filing_id)
    assert case["outstanding"] == []
    decided = _ok(staff.post(f"/filings/{filing_id}/decision"))
    assert decided["state"] == "sent_to_bureau" and decided["decided_by"] == "onsite_verifier:verifier-1"
    events = {e["meta"]["type"]: e for e in tap.wait_for(2)}
    assert events["onsite_verified.v1"]["data"]["decided_by"] == "onsite_verifier:verifier-1"
    sent = events["filing_sent_to_bureau.v1"]["data"]
    assert sent["province"] == "京" and sent["submission"] == 1 and sent["sent_by"] == "onsite_verifier:verifier-1"
    sealed = sent["filing"]["responsible_person"]["document_number"]
    assert RESIDENT_ID not in str(events)  # personal data only sealed with the exchange ring
    assert crypto.exchange().decrypt(sealed, context="exchange.responsible_person.document_number") == RESIDENT_ID
    assert sent["evidence"]["form_bureau_copy"]["content_type"] == "application/pdf"
    for copy in ("provider", "bureau"):
        validation = _ok(staff.get(f"/filings/{filing_id}/forms/{copy}/validation"))
        assert validation["valid"] and validation["intact"] and validation["covers_whole_file"]
    text = _form_text(staff, filing_id)
    assert "网站备案信息真实性核验单" in text and "第二联 报送省通信管理局" in text
    assert SPONSOR["name"] in text and RESIDENT_ID in text and "111.13.100.91" in text
    assert "onsite_verifier:verifier-1" in text
    steps = _ok(staff.get(f"/filings/{filing_id}/steps"))["items"]
    assert {s["actor"] for s in steps} == {"onsite_verifier:verifier-1"}  # W1: every step names its staff member
    assert {"photo", "originals", "decision", "sent_to_bureau"} <= {s["step"] for s in steps}
    period = {"since": "2020-01-01T00:00:00+08:00", "until": "2100-01-01T00:00:00+08:00"}
    work = _ok(as_role("supervisor", "head-1").get("/staff-work", params=period))["items"]
    assert {"actor": "onsite_verifier:verifier-1", "step": "decision", "outcome": "verified", "count": 1} in work
    other = as_role("supervisor", "head-2", provider="provider-other").get("/staff-work", params=period)
    assert other.status_code == 403  # another provider's supervisor is not let in
    assert _ok(as_role("auditor", "a-1").get("/staff-work", params=period))["items"] == work
    assert staff.get("/staff-work", params={"since": "yesterday"}).status_code in (400, 403)


@pytest.mark.req("P5")
def test_a_mismatch_is_not_accepted(open_window, staff, tap):
    filing_id = open_window()
    tap.wait_for(1)
    wrong = {**ORIGINALS, "responsible_person": {**ORIGINALS["responsible_person"], "name": "李四"}}
    case = _verify_everything(staff, filing_id, originals=wrong)
    assert case["originals"]["differences"] == [{"field": "responsible_person.name"}]
    decided = _ok(staff.post(f"/filings/{filing_id}/decision"))
    assert decided["state"] == "rejected"
    rejected = [e for e in tap.wait_for(1) if e["meta"]["type"] == "onsite_rejected.v1"][0]["data"]
    fields = {r["field"] for r in rejected["reasons"]}
    assert "responsible_person.name" in fields and "李四" not in str(rejected)


@pytest.mark.req("P6")
def test_a_corrected_mismatch_passes_with_the_correction_on_the_form(open_window, staff, tap):
    data = unit_filing()
    data["contacts"]["postal_address"] = "北京市海淀区中关村大街1号"
    data["responsible_person"]["name"] = "张叁"  # typed wrongly by the sponsor
    filing_id = open_window(data)
    tap.wait_for(1)
    case = _verify_everything(staff, filing_id, photo=backdrop_photo(faces=(9,)))
    assert [d["field"] for d in case["originals"]["differences"]] == ["responsible_person.name"]
    corrected = _ok(staff.post(f"/filings/{filing_id}/corrections",
                               json={"field": "responsible_person.name", "after": "张三"}))
    assert corrected["originals"]["differences"] == [] and corrected["outstanding"] == []
    assert _ok(staff.post(f"/filings/{filing_id}/decision"))["state"] == "sent_to_bureau"
    events = {e["meta"]["type"]: e["data"] for e in tap.wait_for(2)}
    assert events["onsite_verified.v1"]["corrections"] == 1
    assert events["filing_sent_to_bureau.v1"]["corrections"][0]["field"] == "responsible_person.name"
    text = _form_text(staff, filing_id, "provider")
    assert "第一联 接入服务单位留存" in text
    assert "“张叁” 更正为 “张三”" in text


@pytest.mark.req("W4")
def test_a_copy_that_is_not_only_what_it_starts_as_is_422_and_nothing_kept(open_window, staff, verification_config,
                                                                          object_store):
    """Issue 17.5: copies are decoded in full, not sniffed; the hostile bytes never reach the evidence bucket."""
    filing_id = open_window()
    hostile = hostile_uploads()
    for name, (body, code) in hostile.items():
        response = staff.post(f"/filings/{filing_id}/copies/sponsor", data=body)
        assert response.status_code == 422, (name, response.text)
        assert [(e["field"], e["code"], e["rule"]) for e in response.json()["error"]["errors"]] == [
            ("body", code, "P5")], name
    assert _ok(staff.get(f"/filings/{filing_id}"))["copies"] == []
    engine = create_engine(verification_config["DB_URL"])
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM evidence WHERE kind LIKE 'copy_%'")).scalar_one() == 0
    engine.dispose()
    keys = [o.object_name for o in object_store.client.list_objects(
        verification_config["VERIFICATION_BUCKET"], recursive=True, include_version=True)]
    assert not [k for k in keys if k.startswith(f"filings/{filing_id}/") and "/copy_" in k]
    assert _ok(staff.post(f"/filings/{filing_id}/copies/sponsor", data=pdf()))["copies"] == ["sponsor"]


@pytest.mark.req("P4")
def test_a_photo_used_for_another_filing_is_refused(open_window, staff, tap):
    first, second = open_window(), open_window()
    photo = backdrop_photo(faces=(17,))
    _ok(staff.post(f"/filings/{first}/photo", data=photo))
    refused = staff.post(f"/filings/{second}/photo", data=photo)
    assert refused.status_code == 422
    assert [e["code"] for e in refused.json()["error"]["errors"]] == ["reused"]
    checks = staff.post(f"/filings/{second}/photo", data=backdrop_photo(faces=(2,), logo=False))
    assert [e["code"] for e in checks.json()["error"]["errors"]] == ["no_backdrop_logo"]
    assert _ok(staff.get(f"/filings/{second}"))["photo"] is None  # nothing stored


@pytest.mark.req("P5")
def test_a_redacted_owner_needs_a_certificate_and_a_confirmation(open_window, staff):
    data = unit_filing()
    data["websites"][0]["domains"] = ["www.redacted.cn"]
    filing_id = open_window(data)
    checked = _ok(staff.post(f"/filings/{filing_id}/domain-checks"))
    assert [(d["domain"], d["outcome"]) for d in checked["domains"]] == [("redacted.cn", "redacted")]
    assert any(r["code"] == "owner_redacted" for r in checked["outstanding"])
    early = staff.post(f"/filings/{filing_id}/domains/redacted.cn/confirmation")
    assert early.status_code == 409
    hostile = staff.post(f"/filings/{filing_id}/domains/redacted.cn/certificate", data=png() + b"PK\x03\x04")
    assert hostile.status_code == 422 and hostile.json()["error"]["errors"][0]["code"] == "trailing_data"
    _ok(staff.post(f"/filings/{filing_id}/domains/redacted.cn/certificate", data=png()))
    confirmed = _ok(staff.post(f"/filings/{filing_id}/domains/redacted.cn/confirmation"))
    assert confirmed["domains"][0]["confirmed_by"] == "onsite_verifier:verifier-1"
    assert not any(r["field"].startswith("domains") for r in confirmed["outstanding"])


@pytest.mark.req("P8")
@pytest.mark.req("W4")
def test_a_bureau_return_reopens_and_the_file_keeps_everything(open_window, staff, tap, send, wait, as_role, clock):
    filing_id = open_window()
    tap.wait_for(1)
    _verify_everything(staff, filing_id, photo=backdrop_photo(faces=(25,)))
    _ok(staff.post(f"/filings/{filing_id}/decision"))
    tap.wait_for(2)
    send("bureau", FILING_RETURNED, {
        "filing_id": filing_id, "version": 1, "submission": 1, "provider_id": "provider-test", "province": "京",
        "returned_at": clock.iso(), "returned_by": "bureau:reviewer-7",
        "reasons": [{"field": "websites.0.name", "code": "unclear", "message": "Name unclear.", "rule": "B1"}]},
        filing_id)
    assert wait(lambda: staff.get(f"/filings/{filing_id}").json()["state"] == "window_open")
    case = _ok(staff.get(f"/filings/{filing_id}"))
    assert case["sending"] == 2 and case["returned"][0]["reasons"][0]["rule"] == "B1"
    assert case["forms"] is None and case["agreement"] is None
    ref = case["sponsor_ref"]
    archive = _ok(staff.get(f"/archive/{ref}"))
    kinds = {e["kind"] for e in archive["evidence"]}
    assert {"photo", "photo_original", "copy_sponsor", "rdap_lookup", "security_agreement", "form_provider",
            "form_bureau"} <= kinds
    assert all(e["retain_until"] >= "2031" for e in archive["evidence"])
    supervisor = as_role("supervisor", "head-1")
    assert staff.get(f"/archive/{ref}/export").status_code == 403  # a verifier reads, a supervisor exports
    export = supervisor.get(f"/archive/{ref}/export")
    assert export.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(export.content)).namelist()
    assert "manifest.json" in names and len(names) == len(archive["evidence"]) + 1
    accesses = _ok(supervisor.get(f"/archive/{ref}/accesses"))["items"]
    assert [(a["action"], a["viewer"]) for a in accesses][-3:] == [
        ("list", "onsite_verifier:verifier-1"), ("export", "supervisor:head-1"), ("audit", "supervisor:head-1")]
