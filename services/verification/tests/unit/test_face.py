"""X8: the face comparison at the counter on real photographs of real people (``tests/data/faces``, from the
``face_recognition`` source package): the same person matches, another person does not, a picture with no face
is its own outcome; consent comes first, staff keep the decision (a reason to overrule or to compare by eye),
the comparison is kept as evidence, the item blocks the verdict until staff decide, and the verification form
prints it. The use cases run on the in-memory unit of work and object store, the model for real."""
import io
import json
import uuid
from pathlib import Path

import eventlet
import pytest
from eventlet import tpool
from pypdf import PdfReader

from services.verification.tests.unit.events import precheck_passed
from services.verification.tests.unit.test_forms import CONTENT as FORM
from shared.contracts.errors import Conflict, ValidationFailed
from shared.testing.fakes import InMemoryObjectStore
from shared.testing.samples import png
from verification import domain, faces
from verification.domain.face import THRESHOLD, form_items
from verification.forms import render_form
from verification.usecases import face
from verification.usecases.case import checks_of, keep

pytestmark = [pytest.mark.unit, pytest.mark.req("X8")]
PHOTOS = Path(__file__).resolve().parents[1] / "data" / "faces"
STAFF = "onsite_verifier:verifier-1"


def photo(name: str) -> bytes:
    return (PHOTOS / name).read_bytes()


def test_the_same_person_matches_another_does_not_and_no_face_is_its_own_outcome():
    same = faces.compare(photo("obama.jpg"), photo("obama2.jpg"))
    other = faces.compare(photo("obama.jpg"), photo("biden.jpg"))
    nobody = faces.compare(photo("obama.jpg"), png(200, 200))
    assert (same.outcome, other.outcome, nobody.outcome) == ("same_person", "different_person", "no_face")
    assert same.distance < THRESHOLD < other.distance and nobody.distance is None
    assert same.faces == (1, 1) and nobody.faces == (1, 0)


def test_comparisons_asked_at_once_on_tpool_threads_all_answer():
    """Counters comparing at the same time each get their answer: the model's lock is an OS lock, which tpool's
    threads can wait on (a green one hung them)."""
    pool = eventlet.GreenPool()
    pairs = [("obama.jpg", "obama2.jpg"), ("obama.jpg", "biden.jpg"), ("biden.jpg", "obama2.jpg")]
    with eventlet.Timeout(60):
        outcomes = list(pool.imap(lambda pair: tpool.execute(faces.compare, *map(photo, pair)).outcome, pairs))
    assert outcomes == ["same_person", "different_person", "different_person"]


@pytest.fixture
def counter(wired, uow, cipher, clock):
    """An open case whose accepted counter photo is ``obama.jpg`` (kept as evidence as take_photo keeps it)."""
    store = InMemoryObjectStore()
    store.ensure_bucket("evidence", object_lock=True)
    filing_id = str(uuid.uuid4())
    precheck_passed(wired, filing_id, decided_at=clock())
    case = uow.cases.current(filing_id, lock=False)
    kept = keep(uow, case, "photo_original", photo("obama.jpg"), "image/jpeg", "jpg", STAFF, store=store,
                bucket="evidence", now=clock)
    case.photo = {"original": kept.id, "by": STAFF, "taken_at": clock().isoformat()}
    steps = {"may_see": lambda **_: True, "cipher": cipher, "now": clock}
    return filing_id, case, store, steps


def test_consent_first_then_the_comparison_is_evidence_and_staff_decide(counter, uow):
    filing_id, case, store, steps = counter
    with pytest.raises(Conflict) as refused:
        face.compare(uow, filing_id, STAFF, "card_scan", photo("obama2.jpg"), store=store, bucket="evidence",
                     **steps)
    assert refused.value.errors[0]["code"] == "consent_required"

    face.record_consent(uow, filing_id, STAFF, True, **steps)
    shown = face.compare(uow, filing_id, STAFF, "card_scan", photo("obama2.jpg"), store=store, bucket="evidence",
                         **steps)
    item = shown["face"]
    assert (item["outcome"], item["threshold"], item["decision"]) == ("same_person", THRESHOLD, None)
    assert "encoding" not in json.dumps(item) and "descriptor" not in json.dumps(item)  # biometric data not kept
    record = uow.evidence.get(item["evidence"])
    kept = json.loads(store.get(record.bucket, record.key, record.version_id))
    assert kept["outcome"] == "same_person" and kept["consent"]["consent"] is True
    assert ("face.decision", "required") in {(r["field"], r["code"]) for r in domain.blocking_reasons(
        checks_of(uow, case))}

    with pytest.raises(ValidationFailed):  # overruling needs a reason
        face.decide(uow, filing_id, STAFF, False, None, **steps)
    decided = face.decide(uow, filing_id, STAFF, True, None, **steps)["face"]["decision"]
    assert (decided["method"], decided["same_person"], decided["by"]) == ("model_confirmed", True, STAFF)
    assert not [r for r in domain.blocking_reasons(checks_of(uow, case)) if r["field"].startswith("face")]
    [line] = form_items(case.face)
    assert line["item"] == "人脸比对 (X8)" and "same_person" in line["result"] and "确认" in line["result"]
    pdf = render_form({**FORM, "checks": [*FORM["checks"], line]}, "provider", None)  # the form shows the item
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert "人脸比对 (X8)" in text and "same_person" in text


def test_another_person_is_no_match_and_staff_overrule_only_with_a_reason(counter, uow):
    filing_id, case, store, steps = counter
    face.record_consent(uow, filing_id, STAFF, True, **steps)
    shown = face.compare(uow, filing_id, STAFF, "chip_photo", photo("biden.jpg"), store=store, bucket="evidence",
                         **steps)
    assert shown["face"]["outcome"] == "different_person" and shown["face"]["distance"] > THRESHOLD
    face.decide(uow, filing_id, STAFF, True, None, **steps)  # staff agree: not the person on the card
    verdict, reasons = domain.verdict(checks_of(uow, case))
    assert verdict == "rejected" and ("face.decision", "not_same_person") in {(r["field"], r["code"])
                                                                              for r in reasons}


def test_without_consent_staff_compare_by_eye_and_record_it(counter, uow):
    filing_id, case, store, steps = counter
    face.record_consent(uow, filing_id, STAFF, False, **steps)
    with pytest.raises(Conflict):
        face.compare(uow, filing_id, STAFF, "card_scan", photo("obama2.jpg"), store=store, bucket="evidence",
                     **steps)
    with pytest.raises(ValidationFailed):
        face.decide(uow, filing_id, STAFF, True, "  ", **steps)
    decided = face.decide(uow, filing_id, STAFF, True, "目视比对一致", **steps)["face"]["decision"]
    assert (decided["method"], decided["reason"]) == ("by_eye", "目视比对一致")
    assert "目视比对" in form_items(case.face)[0]["result"]
