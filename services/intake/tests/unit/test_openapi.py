"""intake's OpenAPI document (``/openapi.json``) against the service's real ``@http`` routes."""

import pytest

from intake.openapi import ROUTES, UNKEYED_POSTS, openapi_document
from intake.service import IntakeService
from shared.testing.openapi_conformance import OpenApiConformance

pytestmark = pytest.mark.unit


class TestIntakeOpenApi(OpenApiConformance):
    service = IntakeService
    routes = ROUTES
    document = staticmethod(openapi_document)
    known_routes = {("post", "/filings/{filing_id}/submit"), ("patch", "/filings/{filing_id}")}
    route_count = 24
    unkeyed_posts = frozenset(UNKEYED_POSTS)
