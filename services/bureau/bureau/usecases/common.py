"""What the bureau's use cases share: the personal-data keys, the caller's scope at this province's bureau, and
the one way a review is found."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from bureau.domain import NotAllowed
from bureau.models import Review
from bureau.repository import BureauUnitOfWork
from shared.contracts.errors import Conflict, FieldError, Forbidden, NotFound, field_errors
from shared.kernel.provinces import Province

FILING_CONTEXT = "bureau.filing"  # the bureau's own seal of stored personal fields
CORRECTION_CONTEXT = "bureau.correction"


@dataclass(frozen=True)
class Keys:
    """The personal-data keys: the bureau's own (``cipher``: fields at rest), the exchange ring (``exchange``:
    fields on the bus, ADR 0001) and the exchange lookup key (``lookup``: sponsor keys, X1, ADR 0006)."""

    cipher: object
    exchange: object
    lookup: object


def _everyone(**_scope) -> bool:
    return True


@dataclass(frozen=True)
class Scope:
    """This bureau's ``province`` (R2.1) and what the caller may see (``shared.platform.auth.Caller.may_see``):
    a reviewer sees its own province only; events and timers see all."""

    province: Province
    may_see: Callable[..., bool] = _everyone

    def sees(self, review: Review) -> bool:
        return self.may_see(provider=review.provider_id, province=review.province)

    def require_oversight(self) -> None:
        """Oversight of providers (B2, A1) is this province's reviewers' (and auditors' to read)."""
        if not self.may_see(provider=None, province=self.province.abbr):
            message = "Only this province's reviewers may do this."
            raise Forbidden(message, field_errors(FieldError("Authorization", "forbidden", message, "B1")))

    def of(self, provider_id: str) -> dict:
        """The provider and province every event of the bureau names."""
        return {"provider_id": provider_id, "province": self.province.abbr}


def unknown_filing() -> NotFound:
    return NotFound.about("filing_id", "unknown", "No filing with this id was sent to this bureau.", "P8")


def current_review(uow: BureauUnitOfWork, scope: Scope, filing_id: str, *, lock: bool = False) -> Review:
    """The filing's review the caller may see (``lock``: for a decision); out of scope answers exactly like
    unknown (issue 8)."""
    try:
        uuid.UUID(filing_id)
    except ValueError:
        raise unknown_filing() from None
    review = uow.reviews.current(filing_id, lock=lock)
    if review is None or not scope.sees(review):
        raise unknown_filing()
    return review


def conflict(exc: NotAllowed) -> Conflict:
    return Conflict.about(exc.field, exc.code, exc.message, exc.rule, exc.params)
