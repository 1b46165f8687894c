"""The notify service: entrypoints only — parse, call a use case, commit, answer (design.md §2).

Events in (bounded handlers of ``shared.platform.events``, idempotent on ``meta.id``):

- ``precheck.precheck_passed.v1`` / ``precheck.precheck_failed.v1``: P2's pass / fail SMS, verbatim, to the
  filing's mobile (``data.mobile``, sealed under ``event.mobile``);
- ``precheck.contact_confirmation_requested.v1``: the one-time code by SMS or e-mail (``data.channel``) to
  ``data.recipient`` (``event.recipient``), code ``data.code`` (``event.code``);
- ``verification.onsite_window_expired.v1``: P3's window passed, to ``data.mobile`` (``event.mobile``);
- ``intake.revisit_requested.v1``: W5's revisit, by SMS to ``data.contacts.mobile`` and e-mail to
  ``data.contacts.email`` (``event.contacts.<field>``);
- ``intake.reverification_requested.v1``: W6's invitation to on-site re-verification, by SMS to
  ``data.contacts.mobile`` (``event.contacts.mobile``);
- ``bureau.filing_approved.v1``: P8's filing number, to ``data.filing.contacts.mobile`` (``exchange.contacts.mobile``,
  ADR 0001);
- ``intake.filing_cancelled.v1``: X4's cancellation notice, by SMS and e-mail to ``data.contacts``
  (``event.contacts.<field>``);
- ``intake.draft_expiry_announced.v1`` / ``intake.draft_expired.v1``: X4's draft expiry, by SMS to
  ``data.contacts.mobile`` (``event.contacts.mobile``);
- ``verification.onsite_rejected.v1``: X4's refusal with its reasons, to ``data.mobile`` (``event.mobile``);
- ``verification.onsite_window_nearly_expired.v1``: X4's reminder 3 working days before the on-site window closes,
  to ``data.mobile`` (``event.mobile``);
- ``bureau.filing_returned.v1``: X4's return notice, to ``data.mobile`` (``exchange.contacts.mobile``);
- ``bureau.miit_code_sent.v1`` / ``bureau.miit_code_expiring.v1``: X2's code and X4's reminder, to ``data.mobile``
  (``exchange.miit.mobile``; the code under ``exchange.miit.code``).

Events out (outbox): ``notify.message_delivered.v1``, ``notify.message_failed.v1``.

RPC: ``send_sms`` / ``send_email(recipient, template, params, idempotency_key, correlation_id=None)`` ->
``{"message_id", "state"}``; ``recipient`` and secret parameters are sealed tokens (``rpc.recipient``,
``rpc.<param>``), because personal data never travels in plaintext on the bus (design.md §5). The answer comes
after the first delivery attempt, so the caller's RPC timeout must exceed one gateway call (the HTTP gateway's
``timeout * (1 + retries)`` plus backoff); later attempts run on the timer.

HTTP: ``GET /messages?correlation_id=<filing id>`` (staff and ops: states, attempts, recipients masked),
``/healthz``, ``/metrics``, ``/openapi.json``.

A message is sent once per (cause, recipient, template), and again only when the gateway has no record of it:
see the delivery rule in :mod:`notify.domain`.
"""

import functools

from werkzeug.wrappers import Request

from notify import domain
from notify.dependencies import CorrelationId, Gateways, NotifySettings, setting_timer
from notify.domain import DUE_STATES, EMAIL, SMS
from notify.models import outbox, processed_events
from notify.repository import NotifyUnitOfWork
from notify.schemas import MessagesOutput, MessagesQuery, SendInput
from notify.usecases import common, delivery, events, rpc, views
from shared.contracts.bureau import FILING_APPROVED, FILING_RETURNED, MIIT_CODE_EXPIRING, MIIT_CODE_SENT
from shared.contracts.errors import BadRequest, from_marshmallow
from shared.contracts.intake import (
    DRAFT_EXPIRED,
    DRAFT_EXPIRY_ANNOUNCED,
    FILING_CANCELLED,
    REVERIFICATION_REQUESTED,
    REVISIT_REQUESTED,
)
from shared.contracts.precheck import CONTACT_CONFIRMATION_REQUESTED, PRECHECK_FAILED, PRECHECK_PASSED
from shared.contracts.verification import ONSITE_REJECTED, ONSITE_WINDOW_EXPIRED, ONSITE_WINDOW_EXPIRING
from shared.platform.auth import AUDITOR, OPS, STAFF, Guard, allow
from shared.platform.crypto import DecryptionError
from shared.platform.entrypoints import handles, route, rpc_entry
from shared.platform.events import PoisonEvent
from shared.platform.outbox import OutboxRelay
from shared.platform.service import ServiceBase

SENDERS = allow(internal=True)
"""Sending is for the deployment's own services: a call carrying a person's identity is refused (issue 8)."""


def _claim(template: str) -> str:
    """The processed-event key of the handler that sends ``template`` (as stored since notify's first release)."""
    return f"{common.SERVICE}.{template}"


class NotifyService(ServiceBase):
    name = "notify"
    description = "Staff and ops see every message of a filing: state, attempts, recipient masked."
    processed_events = processed_events

    caller = Guard()
    gateways = Gateways()
    settings = NotifySettings()
    relay = OutboxRelay(outbox)
    caller_correlation_id = CorrelationId()

    def _uow(self) -> NotifyUnitOfWork:
        return NotifyUnitOfWork(self.db)

    def _recorder(self) -> common.Recorder:
        return common.Recorder(cipher=self.personal.cipher, hasher=self.personal.hasher, now=self.settings.now,
                               metrics=self.metrics, exchange=self.personal.exchange)

    def _courier(self) -> common.Courier:
        return common.Courier(cipher=self.personal.cipher, gateways=self.gateways, policy=self.settings.policy,
                              sending_lease=self.settings.sending_lease, now=self.settings.now, metrics=self.metrics)

    # --- events --------------------------------------------------------------------------------

    @handles("precheck", PRECHECK_PASSED, claim=_claim(domain.PRECHECK_PASSED))
    def on_precheck_passed(self, data: dict, meta: dict):
        self._record_and_send(meta, data, functools.partial(events.on_precheck_outcome, passed=True))

    @handles("precheck", PRECHECK_FAILED, claim=_claim(domain.PRECHECK_FAILED))
    def on_precheck_failed(self, data: dict, meta: dict):
        self._record_and_send(meta, data, functools.partial(events.on_precheck_outcome, passed=False))

    @handles("precheck", CONTACT_CONFIRMATION_REQUESTED, claim=_claim(domain.CONTACT_CODE))
    def on_contact_confirmation_requested(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_contact_confirmation)

    @handles("verification", ONSITE_WINDOW_EXPIRED, claim=_claim(domain.ONSITE_WINDOW_EXPIRED))
    def on_onsite_window_expired(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_window_expired)

    @handles("verification", ONSITE_WINDOW_EXPIRING, claim=_claim(domain.ONSITE_WINDOW_CLOSING))
    def on_onsite_window_closing(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_window_closing)

    @handles("bureau", FILING_APPROVED, claim=_claim(domain.FILING_APPROVED))
    def on_filing_approved(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_filing_approved)

    @handles("intake", FILING_CANCELLED, claim=_claim(domain.FILING_CANCELLED))
    def on_filing_cancelled(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_filing_cancelled)

    @handles("intake", DRAFT_EXPIRY_ANNOUNCED, claim=_claim(domain.DRAFT_EXPIRING))
    def on_draft_expiring(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_draft_expiring)

    @handles("intake", DRAFT_EXPIRED, claim=_claim(domain.DRAFT_EXPIRED))
    def on_draft_expired(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_draft_expired)

    @handles("verification", ONSITE_REJECTED, claim=_claim(domain.ONSITE_REJECTED))
    def on_onsite_rejected(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_onsite_rejected)

    @handles("bureau", FILING_RETURNED, claim=_claim(domain.FILING_RETURNED))
    def on_filing_returned(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_filing_returned)

    @handles("bureau", MIIT_CODE_SENT, claim=_claim(domain.MIIT_CODE))
    def on_miit_code_sent(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_miit_code_sent)

    @handles("bureau", MIIT_CODE_EXPIRING, claim=_claim(domain.MIIT_CODE_EXPIRING))
    def on_miit_code_expiring(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_miit_code_expiring)

    @handles("intake", REVISIT_REQUESTED, claim=_claim(domain.REVISIT_REQUESTED))
    def on_revisit_requested(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_revisit_requested)

    @handles("intake", REVERIFICATION_REQUESTED, claim=_claim(domain.REVERIFICATION_REQUESTED))
    def on_reverification_requested(self, data: dict, meta: dict):
        self._record_and_send(meta, data, events.on_reverification_requested)

    def _record_and_send(self, meta: dict, data: dict, action) -> None:
        """Record the message(s) ``action(uow, recorder, event_id, correlation_id, data)`` asks for with the
        processed-event row the handler claimed (one commit), then make the first attempt: a send starts only once
        its cause is stored."""
        uow = self._uow()
        try:
            message_id = action(uow, self._recorder(), str(meta["id"]), str(meta["correlation_id"]), data)
        except DecryptionError as exc:
            # Sealed with keys this provider does not hold: requeueing cannot help.
            raise PoisonEvent(f"{meta['type']} is sealed with keys this service does not hold: {exc}") from None
        uow.commit()
        courier = self._courier()
        for one in message_id if isinstance(message_id, list) else [message_id]:
            if one is not None:
                delivery.deliver(uow, courier, one)

    @setting_timer("NOTIFY_POLL_SECONDS", 1.0)
    def deliver_due(self):
        """Retries that are due (and pending messages whose first attempt never started); stale sends become
        ``unknown``."""
        delivery.deliver_due(self._uow(), self._courier())

    # --- RPC for other services ----------------------------------------------------------------

    @rpc_entry(access=SENDERS, expected_exceptions=BadRequest)
    def send_sms(self, recipient, template, params=None, idempotency_key=None, correlation_id=None) -> dict:
        """Send SMS ``template`` to the sealed ``recipient`` once per ``idempotency_key``."""
        return self._send(SMS, recipient, template, params, idempotency_key, correlation_id)

    @rpc_entry(access=SENDERS, expected_exceptions=BadRequest)
    def send_email(self, recipient, template, params=None, idempotency_key=None, correlation_id=None) -> dict:
        """Send e-mail ``template`` to the sealed ``recipient`` once per ``idempotency_key``."""
        return self._send(EMAIL, recipient, template, params, idempotency_key, correlation_id)

    def _send(self, channel, recipient, template, params, idempotency_key, correlation_id) -> dict:
        raw = {"recipient": recipient, "template": template, "params": params or {},
               "idempotency_key": idempotency_key, "correlation_id": correlation_id or self.caller_correlation_id}
        errors = SendInput().validate(raw)
        if errors:
            raise BadRequest("invalid send request", from_marshmallow(errors, rule="API"))
        request = SendInput().load(raw)
        if request["correlation_id"]:
            self.log_context(correlation_id=request["correlation_id"])
        uow = self._uow()
        message = rpc.request_by_rpc(uow, self._recorder(), channel=channel, **request)
        uow.commit()
        if message.state in DUE_STATES:
            message = delivery.deliver(uow, self._courier(), message.id) or views.get_message(uow, message.id)
        return {"message_id": message.id, "state": str(message.state)}

    # --- staff and ops HTTP --------------------------------------------------------------------

    @route("GET", "/messages", access=allow(*STAFF, OPS, AUDITOR), query=MessagesQuery(), answer=MessagesOutput(),
           summary="Messages of one filing (correlation id) with their delivery attempts")
    def messages(self, request: Request, query: dict):
        return views.list_messages(self._uow(), self.personal.cipher, query["correlation_id"])
