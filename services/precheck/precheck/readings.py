"""X7, an aid to P2 (初步判定主体信息是否真实): what OCR read of the identity documents' scans (intake reads them
as they arrive) compared with what was entered. Pure: the unsealed submission in, findings out.

A difference names the field, what was entered, what was read and the model's confidence; a scan nothing could
be read from asks for a clearer one. Findings of this check are for staff to look at (severity ``review`` in
the rulebook): nothing is decided by OCR alone. Only the documents whose layout OCR knows are compared (a resident
ID card, a business licence, an organisation-code certificate): the scan of a passport or a legal person
certificate gives no finding, since nothing could ever be read from it.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

SUBJECTS = {"sponsor_document": "sponsor", "responsible_person_document": "responsible_person"}
# The document type entered -> the type the scan must show (a licence registration number is on a licence too);
# the types OCR reads (intake.domain.reading), the only ones compared
_READ_AS = {"resident_id": "resident_id", "business_licence": "business_licence",
            "organisation_code_certificate": "organisation_code"}
_BRACKETS = str.maketrans({"（": "(", "）": ")", "【": "[", "】": "]", "〔": "[", "〕": "]"})


def normalised(field: str, value: str | None) -> str:
    """A value as compared: full width to half width (NFKC), brackets unified, spaces, the organisation
    code's hyphen and case ignored (``北京示例（科技）有限公司`` equals ``北京示例 (科技)有限公司``)."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "").translate(_BRACKETS))
    return text.replace("-", "").upper() if field == "document_number" else text.casefold()


def _finding(field: str, code: str, message: str, entered, read, confidence) -> tuple:
    return field, code, message, {"entered": entered, "read": read, "confidence": confidence}


def _compare(subject: str, person: dict, reading: dict, today: date, legal_rep: str | None) -> list[tuple]:
    found = reading.get("found") or {}
    expected = _READ_AS[person["document_type"]]
    if reading.get("document") and reading["document"] != expected:
        return [_finding(f"{subject}.document_type", "scan_other_document",
                         "The scan shows another kind of document than the one entered.",
                         person.get("document_type"), reading["document"], None)]
    pairs = [("name", person.get("name")), ("document_number", person.get("document_number"))]
    if legal_rep is not None:
        pairs.append(("legal_representative", legal_rep))
    differences = []
    for key, entered in pairs:
        read = found.get(key)
        if read and normalised(key, read["value"]) != normalised(key, entered):
            field = "responsible_person.name" if key == "legal_representative" else f"{subject}.{key}"
            differences.append(_finding(field, "scan_differs", "The scan says otherwise than what was entered.",
                                        entered, read["value"], read["confidence"]))
    until = (found.get("valid_until") or {}).get("value")
    if until and until != "长期" and until < today.isoformat():
        differences.append(_finding(f"{subject}.document_number", "scan_expired",
                                    "The document on the scan has expired.", None, until,
                                    found["valid_until"]["confidence"]))
    return differences


def compare_scans(data: dict, today: date) -> list[tuple]:
    """X7: ``(field, code, message, details)`` for each difference between what the scans of ``data``'s
    identity documents say and what was entered (``details``: entered, read, confidence), and one
    ``scan_unreadable`` per scan nothing could be read from. The legal representative a licence names is
    compared with the responsible person when the filing says that is who they are. A field two scans
    contradict (the responsible person's name on the ID card and as the licence's legal representative) is one
    finding, the first scan's."""
    findings = []
    for index, document in enumerate(data.get("documents") or []):
        reading, subject = document.get("reading"), SUBJECTS.get(document.get("kind"))
        if not reading or not subject or (data.get(subject) or {}).get("document_type") not in _READ_AS:
            continue
        if reading["status"] != "read":
            findings.append(_finding(f"documents.{index}", "scan_unreadable",
                                     "Nothing could be read from this scan: please upload a clearer scan.",
                                     None, None, None))
            continue
        person = data.get(subject) or {}
        responsible = data.get("responsible_person") or {}
        legal_rep = responsible.get("name") if (
            subject == "sponsor" and responsible.get("role") == "legal_representative"
            and data["sponsor"].get("kind") == "unit") else None
        findings += [f for f in _compare(subject, person, reading, today, legal_rep)
                     if not any(f[:2] == found[:2] for found in findings)]
    return findings
