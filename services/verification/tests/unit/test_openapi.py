"""verification's OpenAPI document (``/openapi.json``) against the service's real ``@http`` routes."""

import pytest

from shared.testing.openapi_conformance import OpenApiConformance
from verification.openapi import ROUTES, openapi_document
from verification.service import VerificationService

pytestmark = pytest.mark.unit


class TestVerificationOpenApi(OpenApiConformance):
    service = VerificationService
    routes = ROUTES
    document = staticmethod(openapi_document)
    known_routes = {("post", "/filings/{filing_id}/decision"), ("put", "/filings/{filing_id}/access")}
    route_count = 23
