"""Bad input over real HTTP: each a clear 4xx naming the field and the rule, with nothing stored."""
import uuid

import pytest
from sqlalchemy import create_engine, text

from shared.testing.http import assert_answered_in_the_callers_language
from shared.testing.samples import hostile_uploads, unit_filing

pytestmark = pytest.mark.service

TABLES = ("filings", "filing_versions", "document_scans", "contract_acceptances", "timeline", "outbox",
          "idempotency_keys")


@pytest.fixture
def counts(intake_config):
    engine = create_engine(intake_config["DB_URL"])

    def snapshot() -> dict:
        with engine.connect() as connection:
            return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}

    yield snapshot
    engine.dispose()


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()["error"]


@pytest.mark.req("P1")
def test_malformed_json_is_400_naming_the_position(api, counts):
    before = counts()
    response = api.post("/filings", data=b'{"sponsor": {"kind": "unit",}', headers={"Content-Type": "application/json"})
    error = _error(response, 400)
    assert error["errors"][0]["field"] == "body"
    assert error["errors"][0]["code"] == "malformed_json"
    assert error["errors"][0]["params"] == {"line": 1, "column": 29}
    assert "第 1 行第 29 列" in error["errors"][0]["message"]
    assert counts() == before


@pytest.mark.req("P1")
def test_wrong_types_and_unknown_fields_are_400_per_field(api, counts):
    before = counts()
    body = {"sponsor": {"kind": 7, "name": ["x"]}, "websites": "example.cn", "surprise": 1}
    error = _error(api.post("/filings", json=body), 400)
    fields = {e["field"] for e in error["errors"]}
    assert {"sponsor.kind", "sponsor.name", "websites", "surprise"} <= fields
    assert counts() == before


@pytest.mark.req("P1")
def test_non_object_body_is_400(api, counts):
    before = counts()
    assert _error(api.post("/filings", json=[1, 2]), 400)["errors"][0]["code"] == "type"
    assert counts() == before


@pytest.mark.req("W4")
def test_30_mb_upload_is_413_before_anything_is_stored(api, counts):
    filing_id = api.post("/filings", json=unit_filing()).json()["id"]
    before = counts()
    body = b"\x89PNG\r\n\x1a\n" + b"\0" * (30 * 1024 * 1024)
    error = _error(api.post(f"/filings/{filing_id}/documents?kind=sponsor_document", data=body), 413)
    assert error["errors"][0]["field"] == "body"
    assert counts() == before


@pytest.mark.req("W4")
def test_text_file_renamed_jpg_is_415(api, counts):
    filing_id = api.post("/filings", json=unit_filing()).json()["id"]
    before = counts()
    response = api.post(
        f"/filings/{filing_id}/documents?kind=sponsor_document",
        files={"file": ("licence.jpg", b"just some text, not a picture", "image/jpeg")},
    )
    error = _error(response, 415)
    assert error["errors"][0]["code"] == "file_type"
    response = api.post(f"/filings/{filing_id}/documents?kind=sponsor_document", data=b"plain text",
                        headers={"Content-Type": "image/jpeg"})
    assert _error(response, 415)["errors"][0]["rule"] == "P5"
    assert counts() == before


@pytest.mark.req("W4")
def test_an_upload_that_is_not_only_what_it_starts_as_is_422_and_nothing_stored(api, counts, object_store,
                                                                               intake_config):
    """Issue 17.5: decoded in full, not sniffed; the hostile bytes never reach the bucket reviewers open."""
    filing_id = api.post("/filings", json=unit_filing()).json()["id"]
    before = counts()
    hostile = hostile_uploads()
    for name, (body, code) in hostile.items():
        response = api.post(f"/filings/{filing_id}/documents?kind=sponsor_document", data=body)
        error = _error(response, 422)
        assert error["errors"] == [{"field": "body", "code": code, "message": error["errors"][0]["message"],
                                    "rule": "P5"}], name
    assert counts() == before
    assert list(object_store.client.list_objects(intake_config["INTAKE_BUCKET"], prefix=f"filings/{filing_id}/",
                                                 recursive=True, include_version=True)) == []


@pytest.mark.req("P1")
@pytest.mark.parametrize("filing_id", [str(uuid.uuid4()), "not-a-uuid", "1%27%20OR%201=1"])
def test_unknown_filing_is_404(api, counts, filing_id):
    before = counts()
    assert _error(api.get(f"/filings/{filing_id}"), 404)["errors"][0]["field"] == "filing_id"
    assert _error(api.post(f"/filings/{filing_id}/submit"), 404)["code"] == "not_found"
    assert _error(api.patch(f"/filings/{filing_id}", json={}), 404)["code"] == "not_found"
    assert counts() == before


@pytest.mark.req("P1")
def test_replayed_idempotency_key_returns_the_first_answer_and_creates_nothing(api, counts):
    first = api.post("/filings", json=unit_filing(), key="create-1")
    assert first.status_code == 201
    after_first = counts()

    replay = api.post("/filings", json=unit_filing(), key="create-1")

    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert counts() == after_first
    different = api.post("/filings", json={"sponsor": {"kind": "individual"}}, key="create-1")
    assert _error(different, 409)["errors"][0]["field"] == "Idempotency-Key"
    assert counts() == after_first


@pytest.mark.req("P1")
def test_post_without_idempotency_key_is_400(api, counts):
    before = counts()
    response = api.http.post(api.base_url + "/filings", json=unit_filing(), headers=api._headers(None))
    assert _error(response, 400)["errors"][0]["field"] == "Idempotency-Key"
    assert counts() == before


@pytest.mark.req("W3")
def test_accepting_another_clause_text_is_400(api, counts):
    filing_id = api.post("/filings", json=unit_filing()).json()["id"]
    before = counts()
    response = api.post(f"/filings/{filing_id}/contract-acceptance", json={"clause_sha256": "0" * 64, "accepted": True})
    assert _error(response, 400)["errors"][0]["field"] == "clause_sha256"
    assert counts() == before


@pytest.mark.req("P1")
def test_submitting_twice_is_409_and_emits_once(api, complete_draft, event_tap):
    filing_id = complete_draft()
    assert api.post(f"/filings/{filing_id}/submit").status_code == 200
    assert _error(api.post(f"/filings/{filing_id}/submit"), 409)["errors"][0]["field"] == "state"
    assert len(event_tap.drain()) == 1


@pytest.mark.req("X6")
def test_a_field_error_is_answered_in_chinese_by_default_and_in_english_when_asked(api, counts):
    """Issue 19: the same bad body, three Accept-Language headers; what a person reads follows the header."""
    before = counts()
    answers = assert_answered_in_the_callers_language(
        lambda headers: api.post("/filings", json={"sponsor": {"kind": 7}, "surprise": 1}, headers=headers),
        "sponsor.kind", "type")
    assert {e["message"] for e in answers[None]["errors"]} == {"主办者类型的类型不正确。",
                                                                 "不认识的字段surprise，请删除。"}
    assert counts() == before
