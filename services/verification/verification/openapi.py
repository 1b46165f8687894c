"""The OpenAPI document of verification's HTTP interface (``/openapi.json``), generated from its schemas."""

from functools import cache

from shared.platform.openapi import IDEMPOTENCY_PARAMETER, error_response, json_body, new_spec, path_parameters
from verification import schemas

_ERRORS = {
    "400": "Malformed JSON, wrong types, unknown fields or a missing header",
    "404": "Unknown filing, sponsor file or object",
    "409": "Not allowed in the case's current state (window closed, already decided), or a reused Idempotency-Key",
    "413": "Body too large",
    "415": "Upload does not start as a JPEG, PNG or PDF",
    "422": "A check failed or is missing (every reason is listed with its rule), or an upload does not decode in "
           "full as its type, carries data after its end or exceeds 40 megapixels, 50 PDF pages or 32 MiB of PDF "
           "content",
}
_BINARY = {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}

# (method, path, summary, request schema | "binary" | None, success status, response schema, error statuses)
ROUTES = [
    ("get", "/cases", "Open on-site windows (or ?state=…), soonest closing first (P3)", None, 200, None, ["400"]),
    ("get", "/filings/{filing_id}", "The on-site case, personal data masked", None, 200, "CaseOutput", ["404"]),
    ("get", "/filings/{filing_id}/steps", "Every on-site step and the staff member who took it (W1)", None, 200,
     None, ["404"]),
    ("get", "/staff-work", "W1: each staff member's on-site steps in ?since=…&until=…", None, 200, None, ["400"]),
    ("get", "/staff", "W1: the verification department: members, roles, the supervisor responsible", None, 200,
     None, []),
    ("put", "/staff/{staff_id}", "W1: add or change a member of the department", "StaffInput", 200, "StaffOutput",
     ["400", "422"]),
    ("get", "/staff-quality", "W1: each member's filing quality in ?since=…&until=… (&format=csv)", None, 200, None,
     ["400"]),
    ("post", "/filings/{filing_id}/appointment", "Book a time inside the window (P3)", "AppointmentInput", 200,
     "CaseOutput", ["400", "404", "409", "422"]),
    ("post", "/filings/{filing_id}/photo", "Upload the counter photo; checked, time-stamped, locked (P4)", "binary",
     200, "CaseOutput", ["400", "404", "409", "413", "422"]),
    ("post", "/filings/{filing_id}/copies/{subject}", "Keep a copy of an original document (P5)", "binary", 200,
     "CaseOutput", ["400", "404", "409", "413", "415", "422"]),
    ("post", "/filings/{filing_id}/originals", "Record the originals; authority check and comparison (P5)",
     "OriginalsInput", 200, "CaseOutput", ["400", "404", "409"]),
    ("post", "/filings/{filing_id}/corrections", "Correct a field on site (P6)", "CorrectionInput", 200,
     "CaseOutput", ["400", "404", "409"]),
    ("post", "/filings/{filing_id}/domain-checks", "Look up each domain's owner by RDAP/WHOIS (P5)", None, 200,
     "CaseOutput", ["400", "404", "409"]),
    ("post", "/filings/{filing_id}/domains/{name}/certificate", "Upload the domain certificate of a redacted owner",
     "binary", 200, "CaseOutput", ["400", "404", "409", "413", "415", "422"]),
    ("post", "/filings/{filing_id}/domains/{name}/confirmation", "Confirm the domain certificate names the sponsor",
     None, 200, "CaseOutput", ["400", "404", "409"]),
    ("put", "/filings/{filing_id}/access", "Enter the access information (R1.8, P5)", "AccessInput", 200,
     "CaseOutput", ["400", "404", "409", "422"]),
    ("post", "/filings/{filing_id}/agreement", "The sponsor signs the security agreement (P6, W3)", "AgreementInput",
     200, "CaseOutput", ["400", "404", "409"]),
    ("post", "/filings/{filing_id}/decision", "Verify (seal the form, send to the bureau) or reject (P5–P7)", None,
     200, "CaseOutput", ["400", "404", "409", "422"]),
    ("get", "/filings/{filing_id}/forms/{copy}/validation", "Validate the sealed form's signature offline (P6)", None,
     200, None, ["404"]),
    ("get", "/archive/{sponsor_ref}", "The sponsor's file: cases and kept objects (W4, recorded)", None, 200, None,
     ["404"]),
    ("get", "/archive/{sponsor_ref}/evidence/{evidence_id}", "A 300 s download link to one object (recorded)", None,
     200, None, ["404"]),
    ("get", "/archive/{sponsor_ref}/export", "Everything in the sponsor's file as a ZIP for an inspection (recorded)",
     None, 200, None, ["404"]),
    ("get", "/archive/{sponsor_ref}/accesses", "Who listed, opened or exported the file, and when (W4)", None, 200,
     None, ["404"]),
]


@cache
def openapi_document() -> dict:
    spec = new_spec("verification", "On-site verification: window, photo, originals, domain owner, access, sealed "
                                    "form, submission to the bureau, the sponsor's file (P3–P7, W4), stock "
                                    "re-verification (W6), the verification department and its quality (W1).",
                    schemas, ("AppointmentInput", "OriginalsInput", "CorrectionInput", "AccessInput",
                              "AgreementInput", "StaffInput", "StaffOutput", "CaseOutput"))
    by_path: dict[str, dict] = {}
    for method, path, summary, body, status, response, errors in ROUTES:
        content = {"schema": {"$ref": f"#/components/schemas/{response}"} if response else {"type": "object"}}
        operation = {"summary": summary, "responses": {str(status): {"description": "OK",
                                                                      "content": {"application/json": content}}}}
        for code in errors:
            operation["responses"][code] = error_response(_ERRORS[code])
        operation["parameters"] = path_parameters(path)
        if path in ("/staff-work", "/staff-quality"):
            operation["parameters"] = [
                {"name": name, "in": "query", "required": True, "schema": {"type": "string", "format": "date-time"}}
                for name in ("since", "until")]
        if path == "/staff-quality":
            operation["parameters"].append({"name": "format", "in": "query", "required": False,
                                            "schema": {"type": "string", "enum": ["json", "csv"]}})
            operation["responses"]["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
        if method == "post":
            operation["parameters"].append(IDEMPOTENCY_PARAMETER)
        if body == "binary":
            operation["requestBody"] = _BINARY
        elif body:
            operation["requestBody"] = json_body(body)
        by_path.setdefault(path, {})[method] = operation
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
