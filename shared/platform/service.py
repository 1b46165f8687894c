"""What every service class has (design.md §2, §5): its own database, the provider's personal-data keys,
metrics, a log context per worker, ``/healthz``, ``/metrics``, ``/openapi.json`` (generated from the service's
declared routes and its ``description``: :func:`shared.platform.entrypoints.openapi_document`), a health check
of its database that never touches the broker, and an AMQP consumer that lets SIGTERM stop the process without
a broker (``shared.platform.consumers``)."""
from sqlalchemy import text
from werkzeug.wrappers import Request

from shared.platform.auth import PUBLIC
from shared.platform.consumers import SharedQueueConsumer
from shared.platform.crypto import PersonalData
from shared.platform.db import Database
from shared.platform.entrypoints import openapi_document, route
from shared.platform.logging import LogContext
from shared.platform.observability import Metrics, OpsEndpoints

_SELECT_1 = text("SELECT 1")


class ServiceBase(OpsEndpoints):
    description = ""
    """What the service does, in a sentence: its OpenAPI document's description."""

    # Named to sort before every other dependency: nameko binds dependencies in name order, then entrypoints.
    _amqp_consumer = SharedQueueConsumer()
    db = Database()
    personal = PersonalData()
    metrics = Metrics()
    log_context = LogContext()

    def health_checks(self):
        return {"database": lambda: self.db.execute(_SELECT_1)}

    @route("GET", "/openapi.json", access=PUBLIC, summary="This service's OpenAPI document")
    def openapi(self, request: Request):
        return openapi_document(type(self), self.description)
