"""The verification form's seal (P6, B1): the provider seals the PDF form with its certificate; the bureau checks
the signature automatically before a reviewer sees the filing.

pyHanko validates offline against the providers' certificates the bureau trusts (``BUREAU_TRUSTED_SEAL_CERTS``;
the DEVELOPMENT provider seal while ``ALLOW_DEV_KEYS`` is true). Validation is CPU work: callers run it off the
eventlet hub (design.md §4).
"""

import hashlib
import io
import logging
from dataclasses import dataclass
from pathlib import Path

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleTrustManager

DEV_SEAL_CERT = Path(__file__).resolve().parents[3] / "shared" / "platform" / "data" / "dev_seal_cert.pem"

# pyHanko logs a traceback for every untrusted certificate; the outcome is recorded on the review instead.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class FormCheck:
    """``valid``: the file is the one referenced (sha256), carries exactly the signatures that cover it whole, the
    last one intact and from a trusted provider certificate. ``problems`` lists ``{field, code, message, rule}``."""

    valid: bool
    signer: str | None
    problems: list[dict]

    def to_dict(self) -> dict:
        return {"valid": self.valid, "signer": self.signer, "problems": self.problems}


def _problem(code: str, message: str) -> dict:
    return {"field": "evidence.form_bureau_copy", "code": code, "message": message, "rule": "P6"}


Trust = SimpleTrustManager
"""The providers' certificates the bureau trusts, parsed (:func:`load_trusted`)."""


def load_trusted(paths: list[str]) -> Trust:
    """The trusted provider certificates, parsed once at start-up into the trust manager every check reuses
    (each check still gets a validation context of its own, so nothing one check learns leaks into another)."""
    return SimpleTrustManager.build(trust_roots=[load_cert_from_pemder(path) for path in paths])


def check_form(data: bytes, sha256: str, trusted: Trust) -> FormCheck:
    """Check the bureau's copy of the verification form (P6) against its reference and the trusted seals."""
    if hashlib.sha256(data).hexdigest() != sha256:
        return FormCheck(False, None, [_problem("digest_mismatch", "The stored form is not the one sent.")])
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:  # noqa: BLE001 - any parse failure means "not a readable PDF"
        return FormCheck(False, None, [_problem("unreadable", "The form is not a readable PDF.")])
    if not signatures:
        return FormCheck(False, None, [_problem("unsigned", "The form carries no seal (PDF signature).")])
    status = validate_pdf_signature(signatures[-1], ValidationContext(trust_manager=trusted, allow_fetching=False))
    signer = status.signing_cert.subject.human_friendly if status.signing_cert is not None else None
    problems = []
    if not (status.intact and status.valid):
        problems.append(_problem("tampered", "The form was changed after it was sealed."))
    if not status.trusted:
        problems.append(_problem("untrusted_seal", "The seal is not from a provider certificate the bureau trusts."))
    if status.coverage is None or status.coverage.name != "ENTIRE_FILE":
        problems.append(_problem("partial_coverage", "The seal does not cover the whole form."))
    return FormCheck(not problems, signer, problems)
