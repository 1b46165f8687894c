"""The OpenAPI document of precheck's HTTP interface (design.md §1: ``/openapi.json`` on every HTTP service)."""

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from precheck import schemas
from shared.contracts.calendar import CalendarYearInput
from shared.platform.openapi import IDEMPOTENCY_PARAMETER

_ERRORS = {
    "400": "Malformed JSON, wrong types, unknown fields or a missing header",
    "401": "No bearer token, or one that is expired, tampered or not for this system (issue 8)",
    "403": "The token's role may not do this (issue 8)",
    "404": "No such filing in pre-verification, or not open to the caller",
    "409": "Not allowed in the case's current state, or an Idempotency-Key reused",
    "413": "Body too large",
    "422": "Wrong code, or a decision or schedule that breaks a rule",
    "429": "Too many codes sent for this contact; try later",
}
_FILING = {"name": "filing_id", "in": "path", "required": True, "schema": {"type": "string"}}
_CHANNEL = {"name": "channel", "in": "path", "required": True, "schema": {"type": "string", "enum": ["sms", "email"]}}

# (method, path, summary, request schema or None, path parameters, success status, error statuses)
ROUTES = [
    ("get", "/filings/{filing_id}", "The pre-verification case of a filing (P2)", None, [_FILING], 200, ["404"]),
    ("post", "/filings/{filing_id}/contacts/{channel}/confirmation", "Confirm a contact with its one-time code (P2)",
     "CodeInput", [_FILING, _CHANNEL], 200, ["400", "404", "409", "422"]),
    ("post", "/filings/{filing_id}/contacts/{channel}/resend", "Send the one-time code again (P2)", None,
     [_FILING, _CHANNEL], 200, ["400", "404", "409", "429"]),
    ("get", "/queue", "Filings that need a human, oldest deadline first", None, [], 200, []),
    ("post", "/queue/{filing_id}/claim", "Staff claim a filing to review", None, [_FILING], 200,
     ["400", "404", "409"]),
    ("post", "/queue/{filing_id}/decision", "Staff pass or fail a claimed filing, with reasons", "DecisionInput",
     [_FILING], 200, ["400", "404", "409", "422"]),
    ("post", "/calendar/years", "Load a year's State Council schedule (administrators)", "CalendarYearInput", [], 200,
     ["400", "409", "422"]),
    ("get", "/rulebook", "The check standards in force (C3)", None, [], 200, []),
]


@cache
def openapi_document() -> dict:
    spec = APISpec(title="precheck", version="1.0.0", openapi_version="3.0.3", plugins=[MarshmallowPlugin()],
                   info={"description": "P2 pre-verification: sponsors confirm contacts, staff review the queue."})
    for name in ("CodeInput", "DecisionInput"):
        spec.components.schema(name, schema=getattr(schemas, name))
    spec.components.schema("CalendarYearInput", schema=CalendarYearInput)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    error = {"application/json": {"schema": {"type": "object", "required": ["error"],
                                             "properties": {"error": {"type": "object"}}}}}
    by_path: dict[str, dict] = {}
    for method, path, summary, body, parameters, status, errors in ROUTES:
        operation = {
            "summary": summary,
            "security": [{"bearer": []}],
            "parameters": list(parameters),
            "responses": {
                str(status): {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}},
                **{code: {"description": _ERRORS[code], "content": error}
                   for code in [*errors, "401", "403", "413"] if code != "413" or method == "post"},
            },
        }
        if method == "post":
            operation["parameters"].append(IDEMPOTENCY_PARAMETER)
        if body:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
            }
        by_path.setdefault(path, {})[method] = operation
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
