"""The OpenAPI document of intake's HTTP interface, generated from its marshmallow schemas."""

from functools import cache

from intake import schemas
from shared.platform.openapi import IDEMPOTENCY_PARAMETER, error_response, json_body, new_spec, path_parameters

_ERRORS = {
    "400": "Malformed JSON, wrong types, unknown fields or a missing header",
    "404": "Unknown filing (opening a personal value: or a field that is not personal)",
    "409": "Not allowed in the filing's current state, or an Idempotency-Key reused for another request",
    "413": "Body too large",
    "415": "Upload does not start as a JPEG, PNG or PDF, or a stock import is not text/csv",
    "422": "The filing breaks one or more rules (every problem is listed), or an upload does not decode in full as "
           "its type, carries data after its end or exceeds 40 megapixels, 50 PDF pages or 32 MiB of PDF content",
    "401": "No bearer token, or one that is expired, tampered or not for this system (issue 8)",
    "403": "The token's role may not do this (issue 8)",
    "429": "Too many sign-in codes for this number or from this client; try later (issue 8)",
    "503": "The SMS could not be sent in time; try again",
}
SIGN_IN_PATHS = {"/sign-in/code", "/sign-in"}
PUBLIC_PATHS = SIGN_IN_PATHS | {"/guide", "/contract-clause"}  # W2: readable before signing in (issue 19)
"""Open to anyone, and without Idempotency-Key: a replayed sign-in must never hand out a stored token."""
PERSONAL_VALUE_PATH = "/filings/{filing_id}/personal-data/{field}/access"
UNKEYED_POSTS = SIGN_IN_PATHS | {PERSONAL_VALUE_PATH}
"""POSTs without Idempotency-Key: a stored answer would keep a token or a personal value in the clear."""

# (method, path, summary, request schema or None, success status, response schema, error statuses)
ROUTES = [
    ("post", "/sign-in/code", "A one-time sign-in code to the sponsor's mobile by SMS (P1)", "SignInCodeInput", 202,
     "SignInCodeOutput", ["400", "413", "429", "503"]),
    ("post", "/sign-in", "Mobile and code in, a sponsor token out (P1)", "SignInInput", 200, "TokenOutput",
     ["400", "401", "413"]),
    ("get", "/guide", "Documents and procedure for a kind of sponsor (W2)", None, 200, None, ["400"]),
    (
        "get",
        "/contract-clause",
        "The contract clause shown before submission (W3)",
        None,
        200,
        "ClauseOutput",
        [],
    ),
    ("post", "/filings", "Start a draft filing (P1)", "FilingInput", 201, "FilingOutput", ["400", "409"]),
    ("get", "/filings/{filing_id}", "A filing: in full to its sponsor, personal data masked to staff (issue 17)",
     None, 200, "FilingOutput", ["404"]),
    ("post", PERSONAL_VALUE_PATH,
     "Staff open one personal value in full (e.g. contacts.mobile); every opening is recorded (W4, B1)", None, 200,
     "PersonalValueOutput", ["400", "404"]),
    ("get", "/filings/{filing_id}/documents/{document_id}",
     "A 300 s link to one scan; every opening is recorded (W4, B1)", None, 200, None, ["404"]),
    (
        "patch",
        "/filings/{filing_id}",
        "Edit a draft (only changed fields)",
        "FilingInput",
        200,
        "FilingOutput",
        ["400", "404", "409"],
    ),
    (
        "put",
        "/filings/{filing_id}/access",
        "Provider staff enter access information (R1.8)",
        "AccessInput",
        200,
        "FilingOutput",
        ["400", "404", "409"],
    ),
    (
        "post",
        "/filings/{filing_id}/documents",
        "Upload a document scan (JPEG/PNG/PDF)",
        None,
        201,
        "DocumentOutput",
        ["400", "404", "409", "413", "415", "422"],
    ),
    (
        "post",
        "/filings/{filing_id}/contract-acceptance",
        "Accept the contract clause (W3)",
        "AcceptanceInput",
        200,
        "FilingOutput",
        ["400", "404", "409"],
    ),
    (
        "post",
        "/filings/{filing_id}/submit",
        "Submit: validate everything, emit filing_submitted.v1",
        None,
        200,
        "FilingOutput",
        ["400", "404", "409", "422"],
    ),
    (
        "get",
        "/filings/{filing_id}/timeline",
        "Every state change with time and actor",
        None,
        200,
        "TimelineOutput",
        ["404"],
    ),
    (
        "get",
        "/approved-sites",
        "P8: the domains the provider may connect (JSON, or ?format=nginx for an nginx map)",
        None,
        200,
        "ApprovedSitesOutput",
        [],
    ),
    (
        "post",
        "/filings/{filing_id}/changes",
        "Start a change (备案变更) of an approved filing",
        None,
        201,
        "FilingOutput",
        ["400", "404", "409"],
    ),
    (
        "post",
        "/filings/{filing_id}/cancellation",
        "Cancel (注销) the filing",
        "CancellationInput",
        200,
        "FilingOutput",
        ["400", "404", "409"],
    ),
    (
        "post",
        "/filings/{filing_id}/hosting-changes",
        "W5: staff record a hosting change (IP, location, access method); sent as filing_changed.v1",
        "AccessInput",
        201,
        "FilingOutput",
        ["400", "404", "409", "422"],
    ),
    ("get", "/filings/{filing_id}/revisits", "W5: the filing's regular revisits", None, 200, None, ["404"]),
    (
        "post",
        "/filings/{filing_id}/revisits/{revisit_id}/answer",
        "W5: the sponsor confirms its data or opens a change to update it",
        "RevisitAnswerInput",
        200,
        None,
        ["400", "404", "409"],
    ),
    ("get", "/revisits", "W5: the provider's revisits by state; escalated and open ones listed", None, 200, None, []),
    (
        "post",
        "/stock/imports",
        "W6: import a CSV of stock filings; rejected rows with line, field and rule",
        None,
        201,
        None,
        ["400", "413", "415", "422"],
    ),
    ("get", "/stock/imports/{import_id}", "W6: a stock import's report", None, 200, None, ["404"]),
    ("get", "/stock/progress", "W6: re-verification progress: done, pending, overdue", None, 200, None, []),
]


@cache
def openapi_document() -> dict:
    spec = new_spec("intake", "Sponsors file, staff complete access information, the system says exactly why not.",
                    schemas, (
        "DocumentOutput",
        "FilingInput",
        "AccessInput",
        "AcceptanceInput",
        "CancellationInput",
        "RevisitAnswerInput",
        "FilingOutput",
        "TimelineOutput",
        "PersonalValueOutput",
        "ApprovedSitesOutput",
        "ClauseOutput",
        "SignInCodeInput",
        "SignInInput",
        "SignInCodeOutput",
        "TokenOutput",
    ))
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    by_path: dict[str, dict] = {}
    for method, path, summary, body, status, response, errors in ROUTES:
        operation = {"summary": summary, "responses": {str(status): _response(response)}}
        if path in PUBLIC_PATHS:
            operation["security"] = []
        else:
            operation["security"] = [{"bearer": []}]
            errors = [*errors, "401", "403"]
        for code in errors:
            operation["responses"][code] = error_response(_ERRORS[code])
        operation["parameters"] = path_parameters(path)
        if path == "/guide":
            operation["parameters"] = [
                {
                    "name": "kind",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string", "enum": ["unit", "individual"]},
                },
                {"name": "unit_type", "in": "query", "required": False, "schema": {"type": "string"}},
            ]
        if method == "post" and path not in UNKEYED_POSTS:
            operation["parameters"].append(IDEMPOTENCY_PARAMETER)
        if path == "/stock/imports":
            operation["parameters"].append(
                {"name": "deadline", "in": "query", "required": False, "schema": {"type": "string", "format": "date"}}
            )
            operation["requestBody"] = {"content": {"text/csv": {"schema": {"type": "string"}}}}
        elif path.endswith("/documents"):
            operation["parameters"].append(
                {"name": "kind", "in": "query", "required": True, "schema": {"type": "string"}}
            )
            operation["requestBody"] = {
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
            }
        elif body:
            operation["requestBody"] = json_body(body)
        by_path.setdefault(path, {})[method] = operation
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _response(schema: str | None) -> dict:
    if schema is None:
        return {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    return {
        "description": "OK",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }
