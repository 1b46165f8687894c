"""Fixtures for intake's unit tests of its use cases: the in-memory unit of work, the provider's keys, a viewer,
and a draft made complete the way the HTTP interface makes one (data, access information, scans, the clause)."""
import uuid

import pytest

from intake.domain.filing import Scan
from intake.domain.guide import CONTRACT_CLAUSE_SHA256
from intake.usecases import filings
from intake.usecases.filings import Viewer
from services.intake.tests.fakes import FakeIntakeUnitOfWork
from shared.platform.crypto import CryptoConfig
from shared.testing.clock import Clock
from shared.testing.samples import ACCESS, unit_filing

PROVIDER = "provider-test"
SPONSOR = "sponsor:owner"


@pytest.fixture
def uow() -> FakeIntakeUnitOfWork:
    return FakeIntakeUnitOfWork()


@pytest.fixture(scope="session")
def crypto() -> CryptoConfig:
    return CryptoConfig.from_config({})


@pytest.fixture
def at(clock: Clock):
    return clock()


@pytest.fixture
def viewer() -> Viewer:
    return Viewer(PROVIDER, in_full=True)


@pytest.fixture
def draft(uow, viewer, at):
    """``make(data=None, complete=True) -> filing id``: a sponsor's draft; complete: with the access information,
    both scans and the accepted clause."""

    def make(data: dict | None = None, complete: bool = True) -> str:
        filing_id = filings.create_draft(uow, viewer, SPONSOR, data or unit_filing(), at)["id"]
        if complete:
            filings.set_access(uow, viewer, filing_id, ACCESS, at)
            for kind in ("sponsor_document", "responsible_person_document"):
                uow.filings.add_scan(Scan(str(uuid.uuid4()), filing_id, 1, kind, "bucket",
                                          f"filings/{filing_id}/{kind}", None, "0" * 64, "image/png", 100, SPONSOR, at))
            filings.accept_contract(uow, viewer, SPONSOR, filing_id, CONTRACT_CLAUSE_SHA256, at)
        return filing_id

    return make
