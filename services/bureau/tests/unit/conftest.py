"""Fixtures for the bureau's unit tests: its use cases on the in-memory unit of work (``tests/fakes.py``), the
DEVELOPMENT keys, a settable clock, evidence references that need no object store and a form check that says
what the test wants."""

import hashlib
import uuid
from datetime import datetime

import pytest

from bureau.forms import FormCheck
from bureau.usecases import receipt
from bureau.usecases.common import Keys, Scope
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.verification import FILING_SENT_TO_BUREAU
from shared.kernel.provinces import province_by_abbr
from shared.kernel.workdays import SHANGHAI
from shared.testing.clock import Clock

from ..conftest import filing_sent_data
from ..fakes import FakeBureauUnitOfWork

RECEIVED = datetime(2026, 9, 28, 10, 0, tzinfo=SHANGHAI)  # a Monday before the National Day holiday
REVIEWER = "bureau:京:reviewer-1"


def ref(key: str, content_type: str = "application/pdf") -> dict:
    """An object reference as the provider's evidence store gives it."""
    return {"bucket": "verification-evidence", "key": key, "sha256": hashlib.sha256(key.encode()).hexdigest(),
            "content_type": content_type, "size": 1, "version_id": None}


@pytest.fixture
def uow():
    return FakeBureauUnitOfWork()


@pytest.fixture
def keys(crypto):
    return Keys(crypto.cipher(), crypto.exchange(), crypto.exchange_lookup())


@pytest.fixture
def at():
    """The clock the use cases read, at :data:`RECEIVED` unless moved."""
    return Clock(RECEIVED)


@pytest.fixture
def scope():
    """京's bureau as its reviewers (and its events and timers) see it."""
    return Scope(province_by_abbr("京"))


@pytest.fixture
def evidence():
    prefix = f"filings/{uuid.uuid4().hex[:8]}"
    form = ref(f"{prefix}/form-bureau.pdf")
    return {"form_provider_copy": form, "form_bureau_copy": form, "photo": ref(f"{prefix}/photo.png", "image/png"),
            "document_copies": [ref(f"{prefix}/copy-sponsor.png", "image/png")],
            "domain_lookups": [ref(f"{prefix}/rdap.json", "application/json")],
            "security_agreement": ref(f"{prefix}/agreement.pdf")}


@pytest.fixture
def form_check():
    """The seal check's verdict on every form received; a test sets ``form_check.verdict`` to another."""

    class Verdict:
        verdict = FormCheck(True, "CN=provider-demo (DEVELOPMENT)", [])

        def __call__(self, ref: dict) -> FormCheck:
            return self.verdict

    return Verdict()


@pytest.fixture
def receive(uow, keys, at, scope, evidence, form_check):
    """``receive(filing_id=None, province="京", review_days=20, **filing_sent_data kwargs) -> (filing id, data)``:
    verification's event read as the handler reads it, handled by the use case."""

    def receive_one(filing_id=None, province="京", review_days=20, corrections=None, **kwargs):
        filing_id = filing_id or str(uuid.uuid4())
        data = filing_sent_data(keys.exchange, evidence, filing_id=filing_id, province=province, **kwargs)
        if corrections is not None:
            data["corrections"] = corrections
        read = EVENTS.load(make_envelope(FILING_SENT_TO_BUREAU, "verification", data, filing_id))
        receipt.on_sent_to_bureau(uow, read, scope=Scope(province_by_abbr(province)), keys=keys,
                                  check_form=form_check, review_days=review_days, now=at)
        return filing_id, data

    return receive_one
