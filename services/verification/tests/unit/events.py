"""Other services' events as verification's bounded handlers hand them to the use cases (through the contract),
sealed with the development keys, for the unit tests on the fakes."""
from datetime import datetime

from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.precheck import PRECHECK_PASSED_V2
from shared.platform.crypto import CryptoConfig
from shared.testing.samples import filing_submitted_data

CRYPTO = CryptoConfig.from_config({})


def loaded(event_type: str, source: str, data: dict) -> dict:
    """``data`` as the bounded handler hands it to the use case: through the contract."""
    return EVENTS.load(make_envelope(event_type, source, data, data["filing_id"]))


def submission_data(filing_id: str, data: dict | None = None, attempt: int = 1, **changes) -> dict:
    return {**filing_submitted_data(CRYPTO.cipher(), CRYPTO.hasher(), data, filing_id=filing_id, attempt=attempt),
            **changes}


def precheck_passed(wired, filing_id: str, submission: dict | None = None, *, decided_at: datetime,
                    decided_by: str = "precheck:auto") -> dict:
    """Precheck passed ``submission`` (by default a fresh one of ``filing_id``): the window opens (P3)."""
    submission = submission or submission_data(filing_id)
    mobile = CRYPTO.cipher().decrypt(submission["contacts"]["mobile"], context="event.contacts.mobile")
    data = loaded(PRECHECK_PASSED_V2, "precheck", {
        "filing_id": filing_id, "version": submission["version"], "attempt": submission["attempt"],
        "decided_at": decided_at.isoformat(), "decided_by": decided_by, "reasons": [],
        "mobile": CRYPTO.cipher().encrypt(mobile, context="event.mobile"), "rulebook_version": "2026.1",
        "submission": submission})
    wired.on_precheck_passed(data)
    return data
