"""The delivery protocol through the use cases on the in-memory unit of work (``tests/fakes.py``), with scripted
gateways and a controlled clock: at most once, retries with backoff, final reports, unknown outcomes and their
reconciliation by the delivery rule (design.md §4)."""

import uuid
from datetime import timedelta

import pytest

from notify.gateways import GatewayOutcomeUnknown, GatewayRejected, GatewayUnavailable, HttpSmsGateway
from notify.usecases import common, delivery, events, rpc, views
from services.notify.tests.fakes import FILING, MOBILE, ScriptedGateway, record_pass
from shared.contracts.errors import BadRequest
from shared.contracts.notify import MESSAGE_DELIVERED, MESSAGE_FAILED

pytestmark = [pytest.mark.unit, pytest.mark.clock]

CODE = "482913"
PASS_TEXT = "您提交的网站备案信息已通过预核验，请在1个月内由网站负责人本人携带有关证件原件到我单位备案现场办理核验手续"


def published(deps) -> list[dict]:
    """The outcome events committed to the outbox (the fake checks each against its contract)."""
    return deps.uow.outbox.envelopes


def attempts_of(deps, message_id) -> list[tuple]:
    return [(a.number, a.outcome) for a in views.get_message(deps.uow, message_id).delivery_attempts]


def outcomes_counted(deps) -> dict:
    counter = deps.metrics.counter("icp_notify_message_outcomes_total", "", ("channel", "template", "outcome"))
    return {s.labels["outcome"]: s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total")}


@pytest.mark.req("P2")
def test_an_event_makes_one_message_and_one_send_and_its_redelivery_nothing(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    event_id = str(uuid.uuid4())

    message_id = record_pass(deps, crypto, event_id)
    message = delivery.deliver(deps.uow, deps.courier, message_id)

    assert message.state == "delivered" and message.attempts == 1
    assert sms.sent == [(MOBILE, PASS_TEXT, message_id)]
    assert record_pass(deps, crypto, event_id) is None  # redelivered: claimed already
    assert delivery.deliver(deps.uow, deps.courier, message_id) is None  # and the message itself is not due any more
    assert delivery.deliver_due(deps.uow, deps.courier) == 0
    assert len(sms.sent) == 1
    assert deps.uow.messages.rows == [message]
    [envelope] = published(deps)
    assert envelope["meta"]["type"] == MESSAGE_DELIVERED and envelope["meta"]["correlation_id"] == FILING
    assert envelope["data"]["recipient_hmac"] == crypto.hasher().digest(MOBILE, kind="mobile")
    assert envelope["data"]["cause_event_id"] == event_id and envelope["data"]["attempts"] == 1


def test_unavailable_twice_then_delivered_after_backoff(make_deps, crypto, clock):
    sms = ScriptedGateway(GatewayUnavailable("gateway answered 503"), GatewayUnavailable("gateway answered 502"))
    deps = make_deps(sms)
    message_id = record_pass(deps, crypto)

    first = delivery.deliver(deps.uow, deps.courier, message_id)
    assert first.state == "retry_wait" and first.next_attempt_at == clock() + timedelta(seconds=10)
    clock.advance(seconds=9)
    assert delivery.deliver_due(deps.uow, deps.courier) == 0  # not due yet
    clock.advance(seconds=1)
    assert delivery.deliver_due(deps.uow, deps.courier) == 1
    assert views.get_message(deps.uow, message_id).next_attempt_at == clock() + timedelta(seconds=20)
    clock.advance(seconds=20)
    assert delivery.deliver_due(deps.uow, deps.courier) == 1

    message = views.get_message(deps.uow, message_id)
    assert message.state == "delivered" and message.attempts == 3 and len(sms.sent) == 3
    assert attempts_of(deps, message_id) == [(1, "unavailable"), (2, "unavailable"), (3, "delivered")]
    assert [(e["meta"]["type"], e["data"]["attempts"]) for e in published(deps)] == [(MESSAGE_DELIVERED, 3)]
    assert outcomes_counted(deps) == {"retry": 2, "delivered": 1}


def test_always_unavailable_fails_after_max_attempts_and_is_reported(make_deps, crypto, clock):
    sms = ScriptedGateway(*[GatewayUnavailable("gateway answered 503 (3 tries)")] * 10)
    deps = make_deps(sms, max_attempts=3)
    message_id = record_pass(deps, crypto)

    delivery.deliver(deps.uow, deps.courier, message_id)
    for _ in range(5):
        clock.advance(seconds=60)
        delivery.deliver_due(deps.uow, deps.courier)

    message = views.get_message(deps.uow, message_id)
    assert message.state == "failed" and message.attempts == 3 and len(sms.sent) == 3
    [envelope] = published(deps)
    assert envelope["meta"]["type"] == MESSAGE_FAILED
    assert envelope["data"]["error"] == "gateway answered 503 (3 tries)" and envelope["data"]["attempts"] == 3


def test_a_rejected_message_fails_at_once(make_deps, crypto):
    deps = make_deps(ScriptedGateway(GatewayRejected("gateway answered 400")))
    message = delivery.deliver(deps.uow, deps.courier, record_pass(deps, crypto))

    assert message.state == "failed" and message.attempts == 1
    assert [e["meta"]["type"] for e in published(deps)] == [MESSAGE_FAILED]


@pytest.mark.parametrize("error", [GatewayOutcomeUnknown("smtp connection lost"), RuntimeError(f"boom {MOBILE}")])
def test_an_unknown_outcome_is_never_retried(make_deps, crypto, clock, error):
    sms = ScriptedGateway(error)
    deps = make_deps(sms)
    message = delivery.deliver(deps.uow, deps.courier, record_pass(deps, crypto))
    clock.advance(seconds=3600)
    delivery.deliver_due(deps.uow, deps.courier)

    assert message.state == "unknown" and len(sms.sent) == 1
    assert MOBILE not in message.last_error
    assert published(deps) == []
    assert outcomes_counted(deps) == {"unknown": 1}


def test_a_send_cut_off_mid_way_is_marked_unknown_and_not_resent(make_deps, crypto, clock):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    message_id = record_pass(deps, crypto)
    # Committed 'sending' ... and the process dies before the gateway answers.
    delivery._claim(deps.uow, deps.courier, message_id)

    clock.advance(seconds=299)
    delivery.deliver_due(deps.uow, deps.courier)
    assert views.get_message(deps.uow, message_id).state == "sending"  # within the lease: maybe still sending
    clock.advance(seconds=2)
    delivery.deliver_due(deps.uow, deps.courier)
    clock.advance(seconds=3600)
    delivery.deliver_due(deps.uow, deps.courier)

    message = views.get_message(deps.uow, message_id)
    assert message.state == "unknown" and "did not finish" in message.last_error
    assert sms.sent == []
    assert attempts_of(deps, message_id) == [(1, "unknown")]
    assert outcomes_counted(deps) == {"unknown": 1}


def killed_mid_send(deps, message_id, *, reached_the_gateway: bool) -> None:
    """A worker claims the message and calls the gateway (or not yet), then dies before recording the answer."""
    message, _number = delivery._claim(deps.uow, deps.courier, message_id)
    if reached_the_gateway:
        delivery._hand_over(deps.courier, message)


@pytest.mark.req("P2")
def test_a_send_killed_after_it_reached_the_gateway_is_confirmed_by_the_status_query_and_not_resent(
    make_deps, crypto, clock, sms_gateway
):
    deps = make_deps(HttpSmsGateway(sms_gateway.url, "secret", timeout=2.0, retries=0))
    message_id = record_pass(deps, crypto)
    killed_mid_send(deps, message_id, reached_the_gateway=True)

    clock.advance(seconds=301)  # the lease is over: the restarted process sweeps and reconciles
    delivery.deliver_due(deps.uow, deps.courier)
    clock.advance(seconds=3600)
    delivery.deliver_due(deps.uow, deps.courier)

    message = views.get_message(deps.uow, message_id)
    assert message.state == "delivered"
    assert [body["message_id"] for body in sms_gateway.bodies()] == [message_id], "not resent"
    assert sms_gateway.status_queries == [message_id]
    assert attempts_of(deps, message_id) == [(1, "delivered")]
    assert [e["meta"]["type"] for e in published(deps)] == [MESSAGE_DELIVERED]
    assert outcomes_counted(deps) == {"unknown": 1, "delivered": 1}


@pytest.mark.req("P2")
def test_a_send_killed_before_the_gateway_got_it_is_resent_exactly_once(make_deps, crypto, clock,
                                                                        sms_gateway):
    deps = make_deps(HttpSmsGateway(sms_gateway.url, "secret", timeout=2.0, retries=0))
    message_id = record_pass(deps, crypto)
    killed_mid_send(deps, message_id, reached_the_gateway=False)

    clock.advance(seconds=301)
    delivery.deliver_due(deps.uow, deps.courier)
    clock.advance(seconds=3600)
    delivery.deliver_due(deps.uow, deps.courier)

    message = views.get_message(deps.uow, message_id)
    assert message.state == "delivered" and message.attempts == 2
    assert [(body["message_id"], body["text"]) for body in sms_gateway.bodies()] == [(message_id, PASS_TEXT)]
    assert sms_gateway.status_queries == [message_id]
    assert attempts_of(deps, message_id) == [(1, "unavailable"), (2, "delivered")]
    assert [e["meta"]["type"] for e in published(deps)] == [MESSAGE_DELIVERED]


def test_a_status_query_the_gateway_cannot_answer_is_asked_again_later(make_deps, crypto, clock,
                                                                        sms_gateway):
    deps = make_deps(HttpSmsGateway(sms_gateway.url, "secret", timeout=2.0, retries=0))
    message_id = record_pass(deps, crypto)
    killed_mid_send(deps, message_id, reached_the_gateway=True)
    gateway_url = sms_gateway.url
    deps.courier.gateways.sms.status_url = "http://127.0.0.1:9/sms/status"  # nothing listens: the query fails

    clock.advance(seconds=301)
    delivery.deliver_due(deps.uow, deps.courier)
    assert views.get_message(deps.uow, message_id).state == "unknown"
    deps.courier.gateways.sms.status_url = gateway_url + "/status"
    clock.advance(seconds=60)
    delivery.deliver_due(deps.uow, deps.courier)

    assert views.get_message(deps.uow, message_id).state == "delivered"
    assert len(sms_gateway.bodies()) == 1


def test_without_a_status_query_a_template_that_resends_when_in_doubt_is_sent_again(make_deps, crypto,
                                                                                     clock):
    email = ScriptedGateway(GatewayOutcomeUnknown("smtp connection lost during the message"))
    sms = ScriptedGateway(GatewayOutcomeUnknown("lost"))
    deps = make_deps(sms, email)
    data = {"filing_id": FILING, "confirmation_id": f"{uuid.uuid4()}:1", "channel": "email",
            "recipient": crypto.cipher().encrypt("zhangsan@example.com.cn", context="event.recipient"),
            "code": crypto.cipher().encrypt(CODE, context="event.code"), "expires_at": "2026-11-24T09:00:00+08:00"}
    code_id = events.on_contact_confirmation(deps.uow, deps.recorder, str(uuid.uuid4()), FILING, data)
    pass_id = record_pass(deps, crypto)
    deps.uow.commit()
    delivery.deliver(deps.uow, deps.courier, code_id)
    delivery.deliver(deps.uow, deps.courier, pass_id)

    delivery.deliver_due(deps.uow, deps.courier)
    clock.advance(seconds=3600)
    delivery.deliver_due(deps.uow, deps.courier)

    assert views.get_message(deps.uow, code_id).state == "delivered" and len(email.sent) == 2, "a duplicate code"
    assert views.get_message(deps.uow, pass_id).state == "unknown" and len(sms.sent) == 1, "staff check the rest"


def test_pending_messages_whose_first_attempt_never_started_are_sent_by_the_timer(make_deps, crypto, clock):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    message_id = record_pass(deps, crypto)  # committed, then the worker died before delivering

    assert delivery.deliver_due(deps.uow, deps.courier) == 0  # the recording worker may still be about to deliver it
    clock.advance(seconds=common.FIRST_ATTEMPT_GRACE.total_seconds())
    assert delivery.deliver_due(deps.uow, deps.courier) == 1
    assert [m[2] for m in sms.sent] == [message_id]


def test_an_unreachable_number_fails_at_once_without_a_send(make_deps, crypto):
    sms = ScriptedGateway()
    deps = make_deps(sms)
    assert record_pass(deps, crypto, mobile="010-62345678") is None

    [message] = deps.uow.messages.rows
    assert message.state == "failed" and message.attempts == 0 and sms.sent == []
    assert message.last_error == "invalid recipient: recipient is not a mainland mobile number"
    assert [e["meta"]["type"] for e in published(deps)] == [MESSAGE_FAILED]


def test_rpc_requests_take_sealed_recipients_and_are_idempotent(make_deps, crypto):
    deps = make_deps()
    cipher = crypto.cipher()

    def request(recipient, **overrides):
        arguments = {"channel": "sms", "recipient": recipient, "template": "contact_code",
                     "params": {"code": cipher.encrypt(CODE, context="rpc.code")}, "idempotency_key": "k-1",
                     "correlation_id": FILING, **overrides}
        return rpc.request_by_rpc(deps.uow, deps.recorder, **arguments)

    sealed = cipher.encrypt("+86 138 0013 8000", context="rpc.recipient")
    first = request(sealed)
    deps.uow.commit()
    again = request(cipher.encrypt(MOBILE, context="rpc.recipient"))
    assert again.id == first.id and first.state == "pending" and first.cause_id == "rpc:k-1"

    problems = {
        "recipient": dict(recipient=MOBILE),  # plaintext on the bus is refused
        "template": dict(recipient=sealed, template="no_such_template"),
        "params.code": dict(recipient=sealed, params={"code": CODE}),  # a code must be sealed too
    }
    for field, arguments in problems.items():
        with pytest.raises(BadRequest) as refused:
            request(**arguments)
        assert refused.value.errors[0]["field"] == field
        assert MOBILE not in str(refused.value.errors) and CODE not in str(refused.value.errors)
    with pytest.raises(BadRequest) as missing:
        request(sealed, params={}, idempotency_key="k-2")
    assert missing.value.errors[0]["field"] == "params.code"
    with pytest.raises(BadRequest) as unreachable:
        request(cipher.encrypt("12345", context="rpc.recipient"), idempotency_key="k-3")
    assert unreachable.value.errors[0]["field"] == "recipient"
