"""A failed statement's log line names the error, never the statement's parameters (issue 17 point 4): nameko
logs a failed worker's exception text, and the parameters of a write are request and answer bodies."""
import logging

import pytest
import requests
from sqlalchemy import text

from shared.platform.db import Database
from shared.platform.http import http, json_response, read_json

pytestmark = pytest.mark.service

SECRET = "sponsor-answer-body-" * 10


class Writer:
    name = "writer"
    db = Database()

    @http("POST", "/keys")
    def store(self, request):
        # Longer than the 128-character key column on PostgreSQL: the insert fails with a DataError.
        self.db.execute(text("INSERT INTO idempotency_keys (key, request_hash, status, body, created_at) "
                             "VALUES (:key, 'h', 200, '{}', now())"), {"key": read_json(request)["key"]})
        self.db.commit()
        return json_response(200, {})


def test_a_failed_insert_logs_no_parameter(container_factory, web_config, database_factory, caplog):
    container = container_factory(Writer, {**web_config, "DB_URL": database_factory("intake")})
    container.start()
    with caplog.at_level(logging.DEBUG):
        answer = requests.post(f"http://{web_config['WEB_SERVER_ADDRESS']}/keys", json={"key": SECRET}, timeout=10)
    container.stop()
    assert answer.status_code == 500
    formatter = logging.Formatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "DataError" in logged  # the failure is logged ...
    assert SECRET not in logged  # ... without what was written
