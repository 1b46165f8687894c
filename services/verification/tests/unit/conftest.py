"""Unit-tier fixtures: verification's unit of work in memory (tests/fakes.py) and the use cases' collaborators
on it, with the development keys and the test's clock."""
import pytest

from services.verification.tests.fakes import FakeVerificationUnitOfWork
from shared.platform.crypto import CryptoConfig
from verification.usecases.case import Deps


@pytest.fixture
def uow():
    return FakeVerificationUnitOfWork()


@pytest.fixture
def deps(uow, clock):
    """What the window's and the department's use cases need; no object store, sources or seal."""
    crypto = CryptoConfig.from_config({})
    return Deps(uow=uow, provider_id="provider-test", cipher=crypto.cipher(), hasher=crypto.hasher(),
                exchange=crypto.exchange(), store=None, bucket="evidence", authorities=None, registrar=None,
                sealer=None, ip_ranges=(), logo=None, now=clock)
