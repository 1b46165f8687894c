"""shared/platform/auth.py's Guard on a real container (issue 8): the rules declared on the entrypoints
(shared.platform.entrypoints), deny by default, open routes open, the decision taken before the method runs."""
from types import SimpleNamespace

import pytest
import requests
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from shared.contracts.errors import Forbidden, Unauthorized
from shared.platform.auth import PUBLIC, Guard, allow
from shared.platform.entrypoints import route, rpc_entry
from shared.platform.http import http, json_response
from shared.testing.http import token

pytestmark = pytest.mark.service

CALLS: list[str] = []


class Guarded:
    name = "guarded"
    caller = Guard()
    db = SimpleNamespace(commit=lambda: None)  # a declared route commits its unit of work; this one has none

    @route("GET", "/listed", access=allow("supervisor"), summary="listed")
    def listed(self, request):
        CALLS.append("listed")
        return {"actor": self.caller.actor}

    @http("POST", "/forgotten")
    def forgotten(self, request):
        CALLS.append("forgotten")
        return json_response(200, {})

    @route("GET", "/open", access=PUBLIC, summary="open")
    def open(self, request):
        return {"actor": self.caller.actor}

    @rpc_entry(access=allow("auditor", internal=True))
    def ask(self):
        return self.caller.actor

    @rpc
    def unlisted(self):
        CALLS.append("unlisted")
        return "ran"


@pytest.fixture
def guarded(container_factory, rabbit_config, web_config):
    CALLS.clear()
    container = container_factory(Guarded, {**rabbit_config, **web_config, "PROVIDER_ID": "p1"})
    container.start()
    yield f"http://{web_config['WEB_SERVER_ADDRESS']}", rabbit_config["AMQP_URI"]
    container.stop()


def _get(url: str, bearer: str | None = None, method: str = "GET") -> requests.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    with requests.Session() as session:
        return session.request(method, url, headers=headers, timeout=10)


def test_deny_by_default_before_the_method_runs(guarded):
    base, amqp = guarded
    supervisor = token("supervisor", "s1", provider="p1")
    assert _get(f"{base}/listed", supervisor).json() == {"actor": "supervisor:s1"}
    assert _get(f"{base}/listed").status_code == 401
    assert _get(f"{base}/listed", token("supervisor", "s2", provider="p2")).status_code == 403  # other provider
    assert _get(f"{base}/listed", token("auditor", "a1")).status_code == 403
    assert _get(f"{base}/forgotten", supervisor, "POST").status_code == 403  # no rule: denied
    assert _get(f"{base}/open").json() == {"actor": None}
    assert CALLS == ["listed"]
    with ClusterRpcProxy({"AMQP_URI": amqp}, timeout=10) as proxy:
        assert proxy.guarded.ask() is None  # another service of the deployment
        with pytest.raises(Forbidden):
            proxy.guarded.unlisted()
    context = {"authorization": f"Bearer {token('auditor', 'a1')}"}
    with ClusterRpcProxy({"AMQP_URI": amqp}, context_data=context, timeout=10) as proxy:
        assert proxy.guarded.ask() == "auditor:a1"
    context = {"authorization": "Bearer not-a-token"}
    with ClusterRpcProxy({"AMQP_URI": amqp}, context_data=context, timeout=10) as proxy, \
            pytest.raises(Unauthorized):
        proxy.guarded.ask()
    assert CALLS == ["listed"]
