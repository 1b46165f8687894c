"""The events that need a message (P2, P3, P8, W5, W6): each opens its sealed recipient and records the message
from its template; the entrypoint claims each event once and makes the first attempt after the commit."""

from __future__ import annotations

from notify import domain
from notify.domain import (
    CONTACT_CODE,
    DUE_STATES,
    EMAIL,
    SMS,
    InvalidRecipient,
    Template,
)
from notify.repository import NotifyUnitOfWork
from notify.usecases.common import EVENT_CONTEXT, EXCHANGE_CONTEXT, Recorder
from notify.usecases.recording import record_undeliverable, request_message
from shared.i18n import error_text, label
from shared.platform.logging import get_logger

log = get_logger(__name__)


def _open_event_field(recorder: Recorder, token: str, field: str) -> str:
    return recorder.cipher.decrypt(token, context=f"{EVENT_CONTEXT}.{field}")


def _from_event(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, template: Template, recipient: str,
    params: dict,
) -> str | None:
    try:
        message, _created = request_message(
            uow, recorder, cause_id=event_id, correlation_id=correlation_id, template=template, recipient=recipient,
            params=params,
        )
    except InvalidRecipient as exc:
        record_undeliverable(
            uow, recorder, cause_id=event_id, correlation_id=correlation_id, template=template, recipient=recipient,
            params=params, error=f"invalid recipient: {exc}",
        )
        return None
    log.info("message_requested", message_id=message.id, template=template.name, channel=template.channel,
             cause_id=event_id, state=message.state)
    return message.id if message.state in DUE_STATES else None


def on_precheck_outcome(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict, *, passed: bool
) -> str | None:
    """P2: the pass or the fail text, verbatim, to the filing's mobile. Returns the message id to deliver
    now, or None (an unreachable number). The entrypoint claims each event once (design.md §4)."""
    name = domain.PRECHECK_PASSED if passed else domain.PRECHECK_FAILED
    mobile = _open_event_field(recorder, data["mobile"], "mobile")
    return _from_event(uow, recorder, event_id, correlation_id, domain.template(name, SMS), mobile, {})


def on_contact_confirmation(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """P2: the one-time code that confirms a contact, by SMS or e-mail as the event's ``channel`` says."""
    recipient = _open_event_field(recorder, data["recipient"], "recipient")
    code = _open_event_field(recorder, data["code"], "code")
    template = domain.template(CONTACT_CODE, data["channel"])
    return _from_event(uow, recorder, event_id, correlation_id, template, recipient, {"code": code})


def on_window_expired(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """P3: the month passed without the responsible person coming in; the sponsor is told by SMS."""
    mobile = _open_event_field(recorder, data["mobile"], "mobile")
    template = domain.template(domain.ONSITE_WINDOW_EXPIRED, SMS)
    return _from_event(uow, recorder, event_id, correlation_id, template, mobile, {})


def on_filing_approved(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """P8: the filing number, to the mobile in the approved filing (sealed with the exchange ring, ADR 0001)."""
    mobile = recorder.exchange.decrypt(data["filing"]["contacts"]["mobile"],
                                       context=f"{EXCHANGE_CONTEXT}.contacts.mobile")
    template = domain.template(domain.FILING_APPROVED, SMS)
    params = {"filing_number": data["filing_number"]}
    return _from_event(uow, recorder, event_id, correlation_id, template, mobile, params)


def _shanghai_day(value) -> str:
    return value.astimezone(domain.SHANGHAI).date().isoformat()


def on_revisit_requested(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> list[str]:
    """W5: ask the sponsor to confirm or update its data, by SMS and (when it gave one) e-mail. Returns the ids
    of the messages to deliver now."""
    params = {"filing_number": data["filing_number"], "answer_by": _shanghai_day(data["answer_by"])}
    ids = [_from_event(uow, recorder, event_id, correlation_id, domain.template(domain.REVISIT_REQUESTED, SMS),
                       _open_event_field(recorder, data["contacts"]["mobile"], "contacts.mobile"), params)]
    if data["contacts"].get("email"):
        template = domain.template(domain.REVISIT_REQUESTED, EMAIL)
        ids.append(_from_event(uow, recorder, event_id, correlation_id, template,
                               _open_event_field(recorder, data["contacts"]["email"], "contacts.email"), params))
    return [message_id for message_id in ids if message_id]


def on_reverification_requested(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """W6: invite the responsible person of a stock filing to on-site verification by its deadline (SMS)."""
    mobile = _open_event_field(recorder, data["contacts"]["mobile"], "contacts.mobile")
    params = {"filing_number": data["filing_number"], "deadline": _shanghai_day(data["deadline"])}
    template = domain.template(domain.REVERIFICATION_REQUESTED, SMS)
    return _from_event(uow, recorder, event_id, correlation_id, template, mobile, params)


def _exchange(recorder: Recorder, token: str, path: str) -> str:
    return recorder.exchange.decrypt(token, context=f"{EXCHANGE_CONTEXT}.{path}")


def on_miit_code_sent(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """X2: the bureau's MIIT code to the responsible person's mobile, with its expiry in Beijing time (code and
    mobile sealed with the exchange ring under ``exchange.miit.<field>``)."""
    params = {"code": _exchange(recorder, data["code"], "miit.code"),
              "expires_at": domain.beijing_minute(data["expires_at"])}
    return _from_event(uow, recorder, event_id, correlation_id, domain.template(domain.MIIT_CODE, SMS),
                       _exchange(recorder, data["mobile"], "miit.mobile"), params)


def on_miit_code_expiring(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """X4: four hours before the MIIT code expires, the sponsor is reminded."""
    params = {"expires_at": domain.beijing_minute(data["expires_at"])}
    return _from_event(uow, recorder, event_id, correlation_id, domain.template(domain.MIIT_CODE_EXPIRING, SMS),
                       _exchange(recorder, data["mobile"], "miit.mobile"), params)


def on_window_closing(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """X4: 3 working days before the on-site window closes, the sponsor is reminded by SMS of when it closes
    (Beijing time). An event without the mobile (sent before X4) tells nobody."""
    if not data.get("mobile"):
        return None
    params = {"closes_at": domain.beijing_minute(data["closes_at"])}
    return _from_event(uow, recorder, event_id, correlation_id, domain.template(domain.ONSITE_WINDOW_CLOSING, SMS),
                       _open_event_field(recorder, data["mobile"], "mobile"), params)


def on_filing_returned(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """X4: the bureau returned the filing (a reviewer, or a failed MIIT check); the sponsor is told by SMS. An event
    without the sponsor's mobile (sent before X4) tells nobody."""
    if not data.get("mobile"):
        return None
    return _from_event(uow, recorder, event_id, correlation_id, domain.template(domain.FILING_RETURNED, SMS),
                       _exchange(recorder, data["mobile"], "contacts.mobile"), {})


def on_onsite_rejected(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> str | None:
    """X4: on-site verification refused (不予受理); the sponsor is told why, each reason as the catalogue reads it
    in Chinese (shared/i18n). An event without the mobile (sent before X4) tells nobody."""
    if not data.get("mobile"):
        return None
    reasons = "；".join(f"{label(r['field'])}：{error_text(r).rstrip('。')}" for r in data["reasons"]) or "—"
    return _from_event(uow, recorder, event_id, correlation_id, domain.template(domain.ONSITE_REJECTED, SMS),
                       _open_event_field(recorder, data["mobile"], "mobile"), {"reasons": reasons})


def _to_sponsor(uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, name: str,
                contacts: dict | None, params: dict, channels=(SMS, EMAIL)) -> list[str]:
    """X4: ``name``'s text to each of the sponsor's sealed ``contacts`` (``event.contacts.<field>``) that is given
    and has a template on its channel; nobody when the event carries none (sent before X4)."""
    contacts = contacts or {}
    ids = [_from_event(uow, recorder, event_id, correlation_id, domain.template(name, channel),
                       _open_event_field(recorder, contacts[field], f"contacts.{field}"), params)
           for channel, field in ((SMS, "mobile"), (EMAIL, "email")) if channel in channels and contacts.get(field)]
    return [message_id for message_id in ids if message_id]


def on_filing_cancelled(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> list[str]:
    """X4: the filing was cancelled (注销); the sponsor is told by SMS and (when it gave one) e-mail."""
    params = {"filing_number": data.get("filing_number") or "无"}
    return _to_sponsor(uow, recorder, event_id, correlation_id, domain.FILING_CANCELLED, data.get("contacts"), params)


def on_draft_expiring(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> list[str]:
    """X4: a draft untouched for 30 or 40 days: when it expires (Beijing time), by SMS to the draft's mobile."""
    params = {"expires_at": domain.beijing_minute(data["expires_at"])}
    return _to_sponsor(uow, recorder, event_id, correlation_id, domain.DRAFT_EXPIRING, data["contacts"], params,
                       (SMS,))


def on_draft_expired(
    uow: NotifyUnitOfWork, recorder: Recorder, event_id: str, correlation_id: str, data: dict
) -> list[str]:
    """X4: a draft untouched for 45 days expired, by SMS to the draft's mobile."""
    return _to_sponsor(uow, recorder, event_id, correlation_id, domain.DRAFT_EXPIRED, data["contacts"], {}, (SMS,))
