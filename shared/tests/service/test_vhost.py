"""shared/testing/system.py's ``Vhost`` on the real broker's management API (issue 17 point 8c): when the answer
to its create request is lost after the broker made the vhost, ``Vhost`` still removes it."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import requests

from shared.testing.system import MANAGEMENT, Vhost

pytestmark = pytest.mark.service

UPSTREAM = urlsplit(MANAGEMENT)


class LosesTheCreateAnswer(BaseHTTPRequestHandler):
    """Forwards every request to the management API; the answer to ``PUT /api/vhosts/...`` never comes back."""

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name: value for name, value in self.headers.items() if name.lower() != "host"}
        answer = requests.request(self.command, f"{UPSTREAM.scheme}://{UPSTREAM.hostname}:{UPSTREAM.port}"
                                  f"{self.path}", headers=headers, data=body, timeout=30)
        if self.command == "PUT" and self.path.startswith("/api/vhosts/"):
            self.close_connection = True  # the broker made it; the caller hears nothing
            return
        self.send_response(answer.status_code)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_PUT = do_DELETE = _forward

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def lossy_management():
    server = ThreadingHTTPServer(("127.0.0.1", 0), LosesTheCreateAnswer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{UPSTREAM.username}:{UPSTREAM.password}@127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _exists(name: str) -> bool:
    return requests.get(f"{MANAGEMENT}/api/vhosts/{name}", timeout=30).status_code == 200


def test_a_vhost_whose_create_answer_is_lost_is_removed(lossy_management):
    vhost = Vhost("lost-answer", management=lossy_management)
    try:
        with pytest.raises(requests.ConnectionError), vhost:
            pytest.fail("entered a vhost whose creation was not confirmed")
        assert not _exists(vhost.name)
    finally:
        requests.delete(f"{MANAGEMENT}/api/vhosts/{vhost.name}", timeout=30)


def test_a_vhost_is_made_and_removed():
    with Vhost("made") as amqp_uri:
        name = amqp_uri.rsplit("/", 1)[1]
        assert _exists(name)
    assert not _exists(name)
