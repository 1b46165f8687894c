"""The OpenAPI document of audit's HTTP interface (``/openapi.json``), generated from its schemas."""

import re
from functools import cache

from audit import schemas
from shared.platform.openapi import IDEMPOTENCY_PARAMETER, error_response, json_body, new_spec

_ERRORS = {
    "400": "Malformed JSON or CSV, wrong types, unknown fields, a bad month or quarter, or a missing header",
    "401": "No valid bearer token",
    "403": "The caller's role may not do this",
    "404": "Unknown sample or sample item",
    "409": "A different phone-check result is recorded already, or a reused Idempotency-Key",
    "413": "Body too large",
}
_STAFF = ["401", "403"]
_MONTH = {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2026-11"}
_QUARTER = {"type": "string", "pattern": "^[0-9]{4}Q[1-4]$", "example": "2026Q4"}
_PARAMETERS = {"month": _MONTH, "quarter": _QUARTER, "item_id": {"type": "integer", "minimum": 0},
               "provider_id": {"type": "string", "minLength": 1, "maxLength": 64}}
_CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}}

# (method, path, summary, request schema | "csv" | None, success status, success content types, error statuses)
ROUTES = [
    ("get", "/trail/verification", "Verify the hash-chained audit trail from its first entry", None, 200, None,
     _STAFF),
    ("post", "/samples", "Draw the month's stratified spot-check sample (C1)", "SampleInput", 201, None,
     ["400", *_STAFF]),
    ("get", "/samples/{sample_id}", "One sample and its items with their phone checks (C1)", None, 200, None,
     [*_STAFF, "404"]),
    ("post", "/samples/{sample_id}/items/{item_id}/phone-check", "Record the phone check of a sampled sponsor (C1)",
     "PhoneCheckInput", 200, None, ["400", *_STAFF, "404", "409"]),
    ("get", "/reports/monthly/{month}", "Per provider: new filings, ID-check failures, phone checks (C1, P9)", None,
     200, None, ["400", *_STAFF]),
    ("put", "/providers/{provider_id}/inventory", "Replace a provider's hosted-site inventory (CSV, P10)", "csv",
     200, None, ["400", *_STAFF, "409", "413"]),
    ("get", "/reports/quarterly/{quarter}", "The quarterly inventory comparison report (P10, C2)", None, 200, None,
     ["400", *_STAFF]),
    ("get", "/statistics/{month}", "Counts by category: JSON, ?format=csv or ?format=png (C4)", None, 200,
     ("application/json", "text/csv", "image/png"), ["400", *_STAFF]),
    ("get", "/bulletin/{month}", "The monthly bulletin by province (C4)", None, 200, None, ["400", *_STAFF]),
    ("get", "/penalties/summary", "Penalties and rectifications by provider (A1, C4)", None, 200, None, _STAFF),
    ("get", "/rules", "The check standards and sampling rule in force (C3)", None, 200, None, _STAFF),
]


def _parameters(method: str, path: str) -> list[dict]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": _PARAMETERS.get(name, {"type": "string"})}
                  for name in re.findall(r"{([^}]+)}", path)]
    if path == "/statistics/{month}":
        parameters.append({"name": "format", "in": "query", "required": False,
                           "schema": {"type": "string", "enum": ["json", "csv", "png"], "default": "json"}})
    if method in ("post", "put"):
        parameters.append(IDEMPOTENCY_PARAMETER)
    return parameters


@cache
def openapi_document() -> dict:
    spec = new_spec("audit", "The filing center's audit: hash-chained trail, monthly spot checks, inventories and "
                             "reports, statistics and bulletin, rules (C1–C4, P9, P10).", schemas,
                    ("SampleInput", "PhoneCheckInput"))
    by_path: dict[str, dict] = {}
    for method, path, summary, body, status, types, errors in ROUTES:
        content = {kind: {"schema": {"type": "object"} if kind == "application/json" else {"type": "string"}}
                   for kind in types or ("application/json",)}
        operation = {"summary": summary, "parameters": _parameters(method, path),
                     "responses": {str(status): {"description": "OK", "content": content}}}
        for code in errors:
            operation["responses"][code] = error_response(_ERRORS[code])
        if body == "csv":
            operation["requestBody"] = {"required": True, **_CSV}
        elif body:
            operation["requestBody"] = {"required": True, **json_body(body)}
        by_path.setdefault(path, {})[method] = operation
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
