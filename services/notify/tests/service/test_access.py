"""Issue 8: notify's routes x every kind of caller over real HTTP, and its send RPC open only to the
deployment's own services (a call carrying a person's identity is refused)."""
import uuid

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from notify.service import NotifyService
from shared.contracts.errors import Forbidden
from shared.platform.entrypoints import routes
from shared.testing.http import allowed_callers, assert_answered_in_the_callers_language, identities

pytestmark = pytest.mark.service

DECLARED = {r.name: r for r in routes(NotifyService)}
REFUSED = {"none": 401, "expired": 401, "tampered": 401}


def test_the_table_covers_every_route_of_the_service():
    assert set(DECLARED) == {"messages"}


@pytest.mark.req("W4")
def test_messages_by_every_caller(notify, api):
    tokens = identities("provider-test")
    readers = allowed_callers(DECLARED["messages"].access, "GET")
    got = {caller: api.as_(token).get(f"/messages?correlation_id={uuid.uuid4()}").status_code
           for caller, token in tokens.items()}
    assert got == {caller: REFUSED.get(caller, 200 if caller in readers else 403) for caller in tokens}
    assert api.as_(None).get("/openapi.json").status_code == 200
    assert api.as_(None).get("/healthz").status_code == 200


@pytest.mark.req("W4")
def test_sending_is_for_the_deployments_services_only(notify, notify_config):
    token = identities("provider-test")["supervisor"]
    context = {"authorization": f"Bearer {token}"}
    with ClusterRpcProxy({"AMQP_URI": notify_config["AMQP_URI"]}, context_data=context, timeout=10) as rpc, \
            pytest.raises(Forbidden):
        rpc.notify.send_sms("v1:x", "precheck_passed", {}, "key-1")


@pytest.mark.req("X6")
def test_a_field_error_is_answered_in_chinese_by_default_and_in_english_when_asked(notify, api):
    assert_answered_in_the_callers_language(
        lambda headers: api.get("/messages", params={"correlation_id": "f", "surprise": "1"}, headers=headers),
        "surprise", "unknown_field")
