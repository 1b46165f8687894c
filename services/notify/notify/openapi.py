"""The OpenAPI document of notify's HTTP interface (design.md §1: ``/openapi.json`` on every HTTP service)."""

from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from notify import schemas


@cache
def openapi_document() -> dict:
    spec = APISpec(
        title="notify",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Staff and ops see every message of a filing: state, attempts, recipient masked."},
    )
    spec.components.schema("MessagesOutput", schema=schemas.MessagesOutput)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    content = {"application/json": {"schema": {"type": "object"}}}
    error = {"description": "correlation_id is missing", "content": content}
    unauthorized = {"description": "No bearer token, or one that is expired or tampered (issue 8)", "content": content}
    forbidden = {"description": "The token's role may not read messages (issue 8)", "content": content}
    spec.path(
        path="/messages",
        operations={
            "get": {
                "summary": "Messages of one filing (correlation id) with their delivery attempts",
                "security": [{"bearer": []}],
                "parameters": [
                    {"name": "correlation_id", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/MessagesOutput"}}
                        },
                    },
                    "400": error,
                    "401": unauthorized,
                    "403": forbidden,
                },
            }
        },
    )
    return spec.to_dict()
