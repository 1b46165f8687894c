"""A worker whose database session the server ended (a failover, an administrator's ``pg_terminate_backend``)
does not take its container down: the teardown's rollback fails on the dead connection, the session is
invalidated, and the next worker gets a live connection (design.md §5; found by tests/system/test_kill.py)."""
import pytest
import requests
from sqlalchemy import create_engine, text

from shared.platform.db import Database
from shared.platform.http import http, json_response

pytestmark = pytest.mark.service


class Reader:
    name = "reader"
    db = Database()

    @http("GET", "/ended")
    def ended(self, request):
        """Opens a transaction, then has the server end this very session before the worker's teardown."""
        pid = self.db.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(self.db.get_bind().url)
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        return json_response(200, {"pid": pid})

    @http("GET", "/live")
    def live(self, request):
        return json_response(200, {"one": self.db.execute(text("SELECT 1")).scalar_one()})


def test_a_session_the_server_ended_is_dropped_and_the_container_serves_on(container_factory, web_config,
                                                                            database_factory):
    container = container_factory(Reader, {**web_config, "DB_URL": database_factory("intake")})
    container.start()
    base = f"http://{web_config['WEB_SERVER_ADDRESS']}"
    for _ in range(3):
        assert requests.get(f"{base}/ended", timeout=10).status_code == 200
        assert requests.get(f"{base}/live", timeout=10).json() == {"one": 1}
    assert container.started  # a teardown that raised would have killed it
    container.stop()
