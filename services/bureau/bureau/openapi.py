"""The OpenAPI document of the bureau's HTTP interface (``/openapi.json``), generated from its schemas."""

from functools import cache

from bureau import schemas
from shared.contracts.calendar import CalendarYearInput, CalendarYearLoaded
from shared.platform.openapi import IDEMPOTENCY_PARAMETER, error_response, json_body, new_spec, path_parameters

_ERRORS = {
    "400": "Malformed JSON, wrong types, unknown fields or a missing header",
    "401": "No valid bearer token",
    "403": "The caller's role or province may not do this",
    "404": "Unknown filing, evidence, inspection or penalty (or another province's)",
    "409": "Not allowed in the current state (already decided, form seal failed), or a reused Idempotency-Key",
    "413": "Body too large",
    "422": "A rule failed; every reason is listed with its rule",
}
_STAFF = ["401", "403"]

# (method, path, summary, request schema | None, success status, response schema, error statuses)
ROUTES = [
    ("get", "/reviews", "Open reviews, oldest deadline first (P8, B1)", None, 200, None, _STAFF),
    ("get", "/reviews/{filing_id}", "One review: key data masked, form seal check, deadline", None, 200, None,
     [*_STAFF, "404"]),
    ("post", "/reviews/{filing_id}/approval", "Approve: issue the filing number and website numbers (P8)", None, 200,
     None, ["400", *_STAFF, "404", "409"]),
    ("post", "/reviews/{filing_id}/return", "Return to the provider with field-level reasons (P8)", "ReturnInput",
     200, None, ["400", *_STAFF, "404", "409", "422"]),
    ("post", "/reviews/{filing_id}/evidence/{item}/link", "A presigned link of at most 300 s, recorded (B1)", None,
     200, None, ["400", *_STAFF, "404"]),
    ("get", "/reviews/{filing_id}/evidence-accesses", "Who opened which evidence, when (B1)", None, 200, None,
     [*_STAFF, "404"]),
    ("post", "/inspections", "Plan an inspection with a reproducible random sample (B2)", "InspectionInput", 201,
     None, ["400", *_STAFF, "422"]),
    ("get", "/inspections/{inspection_id}", "One inspection, its sample and findings (B2)", None, 200, None,
     [*_STAFF, "404"]),
    ("post", "/inspections/{inspection_id}/findings", "Record the findings and score (B2)", "FindingsInput", 200,
     None, ["400", *_STAFF, "404", "409", "422"]),
    ("get", "/providers/{provider_id}/compliance/{year}", "A provider's compliance score for a year (B2)", None, 200,
     None, _STAFF),
    ("post", "/penalties", "Penalise a provider with a rectification deadline (A1)", "PenaltyInput", 201, None,
     ["400", *_STAFF, "422"]),
    ("post", "/penalties/{penalty_id}/closure", "Close a rectification order (A1)", "ClosureInput", 200, None,
     ["400", *_STAFF, "404", "409"]),
    ("get", "/penalties", "Penalties (?provider_id=), tracked to closure (A1)", None, 200, None, _STAFF),
    ("post", "/calendar/years", "Load a year's State Council schedule; open review deadlines follow it (P8)",
     "CalendarYearInput", 200, "CalendarYearLoaded", ["400", *_STAFF, "409", "422"]),
    ("get", "/public/filings", "Public query by ?domain= or ?number=, no login, public fields only", None, 200,
     "PublicFilingOutput", ["404", "422"]),
]


@cache
def openapi_document() -> dict:
    spec = new_spec("bureau", "A provincial bureau: review within 20 working days, filing numbers, evidence spot "
                              "checks, inspections, penalties, public query (P8, B1, B2, A1).", schemas,
                    ("ReturnInput", "InspectionInput", "FindingsInput", "PenaltyInput", "ClosureInput",
                     "PublicFilingOutput"))
    spec.components.schema("CalendarYearInput", schema=CalendarYearInput)
    spec.components.schema("CalendarYearLoaded", schema=CalendarYearLoaded)
    by_path: dict[str, dict] = {}
    for method, path, summary, body, status, response, errors in ROUTES:
        content = {"schema": {"$ref": f"#/components/schemas/{response}"} if response else {"type": "object"}}
        operation = {"summary": summary, "responses": {str(status): {"description": "OK",
                                                                      "content": {"application/json": content}}}}
        for code in errors:
            operation["responses"][code] = error_response(_ERRORS[code])
        operation["parameters"] = path_parameters(path)
        if method == "post":
            operation["parameters"].append(IDEMPOTENCY_PARAMETER)
        if body:
            operation["requestBody"] = json_body(body)
        by_path.setdefault(path, {})[method] = operation
    for path, operations in by_path.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
