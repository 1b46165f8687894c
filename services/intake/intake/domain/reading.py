"""What a document scan says (X7, an aid to P2): the fields its document type carries, picked out of the lines
OCR read (:mod:`intake.ocr`). Pure: the lines in, the reading out.

- a resident ID card's front: ``name``, ``document_number``; its back: ``valid_until`` (有效期限);
- a business licence (营业执照): ``name`` (名称), ``document_number`` (统一社会信用代码), ``legal_representative``;
- an organisation-code certificate (组织机构代码证): ``name`` (机构名称), ``document_number`` (代码),
  ``legal_representative``.

Each field keeps the lowest confidence of the lines it came from. A scan none of whose lines give a field of a
known document is ``unreadable``: pre-verification asks for a clearer scan (precheck's rule ``X7.scan``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

READ = "read"
UNREADABLE = "unreadable"
READ_KINDS = ("sponsor_document", "responsible_person_document")
"""The scan kinds that are identity documents, read when they arrive (a prior approval is not compared)."""

_RESIDENT_ID = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dX]")
_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
_ORGANISATION_CODE = re.compile(r"[0-9A-Z]{8}-?[0-9X](?![0-9A-Z])")
_VALIDITY = re.compile(r"(\d{4})[.\-年](\d{2})[.\-月](\d{2})日?[-—~至]+(\d{4}[.\-年]\d{2}[.\-月]\d{2}|长期)")

# document type -> (words that mark it, {field: labels it is printed after})
_LAYOUTS = {
    "business_licence": (("营业执照", "统一社会信用代码"),
                         {"name": ("名称",), "document_number": ("统一社会信用代码",),
                          "legal_representative": ("法定代表人", "负责人", "经营者")}),
    "organisation_code": (("组织机构代码", "代码证"),
                          {"name": ("机构名称",), "document_number": ("代码",),
                           "legal_representative": ("法定代表人", "负责人")}),
    "resident_id": (("公民身份号码", "居民身份证", "有效期限"),
                    {"name": ("姓名",), "document_number": ("公民身份号码",)}),
}
_PATTERNS = {"resident_id": _RESIDENT_ID, "business_licence": _USCC, "organisation_code": _ORGANISATION_CODE}


@dataclass(frozen=True)
class Line:
    """One line of text OCR found: the text, the model's confidence (0–1), its left and right edges, the
    height of its middle and its own height, in pixels."""

    text: str
    confidence: float
    left: float
    right: float
    middle: float
    height: float


@dataclass(frozen=True)
class Reading:
    """``status`` ``read`` or ``unreadable``; ``document`` the type recognised; ``fields`` name -> (value,
    confidence)."""

    status: str
    document: str | None = None
    fields: dict[str, tuple[str, float]] = field(default_factory=dict)


def _clean(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def document_type(lines: list[Line]) -> str | None:
    text = "".join(_clean(line.text) for line in lines)
    for kind, (marks, _labels) in _LAYOUTS.items():
        if any(mark in text for mark in marks):
            return kind
    return "resident_id" if _RESIDENT_ID.search(text.upper()) else None


def _after(label: str, line: Line, lines: list[Line]) -> tuple[str, float] | None:
    """The text printed after ``label``: the rest of its own line, else the lines to its right on its row."""
    text = _clean(line.text)
    rest = text[text.index(label) + len(label):].lstrip(":：")
    if rest:
        return rest, line.confidence
    row = sorted((other for other in lines if other is not line and other.left > line.right - 2
                  and abs(other.middle - line.middle) < 0.6 * max(line.height, other.height)),
                 key=lambda other: other.left)
    if not row:
        return None
    return "".join(_clean(other.text) for other in row), min(other.confidence for other in row)


def _labelled(lines: list[Line], labels: tuple[str, ...]) -> tuple[str, float] | None:
    for label in labels:
        for line in lines:
            text = _clean(line.text)
            # a label starts its line ("名称" is not the tail of "机构名称"); the ID card prints the number's
            # label and the number on one line when they are close
            if text.startswith(label) and (found := _after(label, line, lines)):
                return found
    return None


def _number(kind: str, lines: list[Line]) -> tuple[str, float] | None:
    for line in lines:
        match = _PATTERNS[kind].search(_clean(line.text).upper())
        if match:
            return match.group(0), line.confidence
    return None


def _validity(lines: list[Line]) -> tuple[str, float] | None:
    for line in lines:
        match = _VALIDITY.search(_clean(line.text))
        if match:
            until = match.group(4)
            return (until if until == "长期" else re.sub(r"\D", "-", until)[:10]), line.confidence
    return None


def read(lines: list[Line]) -> Reading:
    """The fields of the document ``lines`` show, or an unreadable reading."""
    kind = document_type(lines)
    if kind is None:
        return Reading(UNREADABLE)
    _marks, labels = _LAYOUTS[kind]
    fields = {}
    for name, its_labels in labels.items():
        found = _number(kind, lines) if name == "document_number" else _labelled(lines, its_labels)
        if found and found[0]:
            fields[name] = found
    if kind == "resident_id" and (validity := _validity(lines)):
        fields["valid_until"] = validity
    return Reading(READ, kind, fields) if fields else Reading(UNREADABLE, kind)
