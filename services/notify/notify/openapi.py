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
    error = {"description": "correlation_id is missing",
             "content": {"application/json": {"schema": {"type": "object"}}}}
    spec.path(
        path="/messages",
        operations={
            "get": {
                "summary": "Messages of one filing (correlation id) with their delivery attempts",
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
                },
            }
        },
    )
    return spec.to_dict()
