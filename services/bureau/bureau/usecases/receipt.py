"""A verified filing received for review, and a filing cancelled (P8, B1, R2.1)."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bureau import domain
from bureau.domain import ReviewState
from bureau.forms import FormCheck, Trust, check_form
from bureau.models import Review
from bureau.repository import BureauUnitOfWork
from bureau.usecases import register
from bureau.usecases.common import CORRECTION_CONTEXT, FILING_CONTEXT, Keys, Scope
from shared.contracts.intake import personal_paths
from shared.contracts.verification import EXCHANGE_CONTEXT
from shared.platform.calendar import deadline_fields
from shared.platform.crypto import DecryptionError
from shared.platform.events import PoisonEvent
from shared.platform.sealing import seal, unseal
from shared.platform.storage import ObjectNotFound, ObjectStore


def _in_line(fn, *args):
    return fn(*args)


@dataclass(frozen=True)
class FormChecker:
    """The seal check of P6/B1 on the form in the provider's evidence store: a missing object is a finding on the
    review, an unavailable store an error (the event is retried). ``run_cpu`` runs the PDF check off the eventlet
    hub in the service (design.md §4)."""

    store: ObjectStore
    trusted_seals: Trust
    run_cpu: Callable = _in_line

    def __call__(self, ref: dict) -> FormCheck:
        try:
            content = self.store.get(ref["bucket"], ref["key"], ref.get("version_id"))
        except ObjectNotFound:
            return FormCheck(False, None, [{"field": "evidence.form_bureau_copy", "code": "missing",
                                            "message": "The form is not in the provider's evidence store.",
                                            "rule": "P6"}])
        return self.run_cpu(check_form, content, ref["sha256"], self.trusted_seals)


def on_sent_to_bureau(uow: BureauUnitOfWork, data: dict, *, scope: Scope, keys: Keys,
                      check_form: Callable[[dict], FormCheck], review_days: int,
                      now: Callable[[], datetime]) -> Review | None:
    """P8: a verified filing enters the review queue with a deadline of the province's review time (20 working days
    from receipt unless the province sets more); its form's seal is checked at once (P6, B1). The same submission
    under another event id, or an older submission arriving late adds nothing (a redelivered event is not handled
    twice: the entrypoint claims it). A later submission supersedes open reviews of the filing (a return and
    re-send, P8). Answers the review opened (None: nothing new)."""
    if data["province"] != scope.province.abbr:
        raise PoisonEvent("filing_sent_to_bureau.v1 for another province")  # R2.1: never stored here
    if not domain.is_newer((data["version"], data["submission"]), uow.reviews.newest_submission(data["filing_id"])):
        return None
    paths = personal_paths(data["filing"]["sponsor"]["kind"])
    try:
        plain = unseal(data["filing"], paths, keys.exchange, EXCHANGE_CONTEXT)
    except DecryptionError:
        raise PoisonEvent("filing_sent_to_bureau.v1 sealed with keys this bureau does not hold") from None
    stored = seal(plain, paths, keys.cipher, FILING_CONTEXT)
    corrections = [_reseal_correction(keys, c) for c in data["corrections"]]
    for review in uow.reviews.open_of(data["filing_id"]):
        review.state = ReviewState.SUPERSEDED
    received = now()
    review = Review(
        id=str(uuid.uuid4()),
        filing_id=data["filing_id"],
        version=data["version"],
        attempt=data["attempt"],
        submission=data["submission"],
        provider_id=data["provider_id"],
        province=data["province"],
        change_of=data["change_of"],
        state=ReviewState.PENDING,
        filing=stored,
        evidence=data["evidence"],
        corrections=corrections,
        form_check=check_form(data["evidence"]["form_bureau_copy"]).to_dict(),
        sent_at=data["sent_at"],
        sent_by=data["sent_by"],
        verified_by=data["verified_by"],
        received_at=received,
        **deadline_fields(uow.calendar.working(), received, review_days),
        reasons=[],
        miit_tries=0,
        miit_resends=0,
    )
    uow.reviews.add(review)
    return review


def _reseal_correction(keys: Keys, correction: dict) -> dict:
    """P6: a correction made on site, its before/after values (sealed with the exchange ring under
    ``exchange.correction``) re-sealed with the bureau's own keys."""
    out = dict(correction)
    for side in ("before", "after"):
        if isinstance(out.get(side), str):
            try:
                plain = keys.exchange.decrypt(out[side], context=f"{EXCHANGE_CONTEXT}.correction")
            except DecryptionError:
                raise PoisonEvent("a correction is not sealed with the exchange ring") from None
            out[side] = keys.cipher.encrypt(plain, context=CORRECTION_CONTEXT)
    return out


def on_cancelled(uow: BureauUnitOfWork, data: dict, *, scope: Scope, now: Callable[[], datetime]) -> None:
    """A cancelled filing (注销主体): an open review ends, and the sponsor's number with every website under it is
    retired for good (never issued again: the counter only grows), whichever filings its websites came through."""
    if data["province"] != scope.province.abbr:
        raise PoisonEvent("filing_cancelled.v1 for another province")
    for review in uow.reviews.open_of(data["filing_id"]):
        decision = domain.cancel(review.state, data["cancelled_by"], now())
        if decision is not None:
            review.state, review.decided_by, review.decided_at = decision.state, decision.by, decision.at
    record = uow.numbers.of_filing(data["filing_id"], lock=True)
    if record is None or record.retired_at is not None:
        return
    register.retire_number(uow, record, scope, "cancelled: " + data["reason"], now())
