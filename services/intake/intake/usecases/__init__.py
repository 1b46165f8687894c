"""Intake's use cases, one module per requirement (design.md §2): drafts and what a caller sees of a filing
(:mod:`.filings`, P1), submission, changes and cancellation (:mod:`.submission`), the workflow's outcomes on the
timeline (:mod:`.status`, P2–P8), the approved sites (:mod:`.sites`, P8), evidence openings (:mod:`.evidence`, W4,
B1) and revisits (:mod:`.revisits`, W5). Sign-in is :mod:`intake.sign_in` (P1), the stock :mod:`intake.stock` (W6).

Each takes the unit of work (:class:`intake.repository.IntakeUnitOfWork`) and only the collaborators it uses, and
never commits: the entrypoint does.

The stock job (:mod:`intake.stock`, W6) still takes its collaborators in one :class:`Deps` on a bare session, and
reads the names below from here; it moves onto the unit of work with its next change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from intake.repository import ALL_PERSONAL_PATHS, SERVICE, STORE_CONTEXT, IntakeUnitOfWork
from intake.usecases import sites
from intake.usecases.filings import SHANGHAI


def _all_personal_paths() -> tuple[str, ...]:
    return ALL_PERSONAL_PATHS


@dataclass
class Deps:
    """What the stock job takes: its session, the keys, the provider, the clock and the default deadline."""

    session: Session
    cipher: object
    hasher: object
    provider_id: str
    now: Callable[[], datetime]
    store: object = None
    bucket: str = ""
    reverification: timedelta = timedelta(days=90)  # W6: default deadline of a stock import's re-verification


def bump_sites_revision(deps: Deps, provider_id: str, added: list[str], removed: list[str], correlation_id: str):
    """A new revision of the approved-sites list, announced (:func:`intake.usecases.sites.announce`)."""
    sites.announce(IntakeUnitOfWork(deps.session, deps.cipher), provider_id, added, removed, correlation_id,
                   deps.now())


__all__ = ["SERVICE", "SHANGHAI", "STORE_CONTEXT", "Deps", "_all_personal_paths", "bump_sites_revision"]
