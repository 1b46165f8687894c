"""Fixtures for precheck's unit tests: its use cases on the in-memory unit of work (``tests/fakes.py``), the
DEVELOPMENT keys, a settable clock, and intake's events as the handler reads them."""

import pytest

from precheck.domain import shipped_rulebook
from precheck.usecases import contacts, submission
from services.precheck.tests.fakes import FakePrecheckUnitOfWork
from shared.contracts import EVENTS
from shared.contracts.envelope import make_envelope
from shared.contracts.intake import FILING_CHANGED, FILING_SUBMITTED, SEAL_CONTEXT
from shared.kernel.province_rules import shipped_province_rules
from shared.platform.crypto import CryptoConfig
from shared.testing.clock import Clock
from shared.testing.samples import filing_submitted_data

SUBMITTED_AT = "2026-11-02T09:30:00+08:00"  # a Monday


@pytest.fixture
def uow():
    return FakePrecheckUnitOfWork()


@pytest.fixture(scope="session")
def crypto():
    return CryptoConfig.from_config({})


@pytest.fixture
def clock():
    return Clock(SUBMITTED_AT)


@pytest.fixture
def received(crypto):
    """``received(data=None, filing_id=..., changes=None) -> data``: intake's ``filing_submitted.v1`` (or, with
    ``changes={"filing_number", "previous_version", "version"}``, ``filing_changed.v1``) as the handler reads it."""

    def make(data=None, *, filing_id="6f1c1c7e-3a43-4c1e-9d1e-2b7f4f0a9b10", attempt=1, changes=None):
        payload = {**filing_submitted_data(crypto.cipher(), crypto.hasher(), data, filing_id=filing_id,
                                           attempt=attempt, submitted_at=SUBMITTED_AT), **(changes or {})}
        return EVENTS.load(make_envelope(FILING_CHANGED if changes else FILING_SUBMITTED, "intake", payload,
                                         filing_id))

    return make


@pytest.fixture
def cipher(crypto):
    return crypto.cipher()


@pytest.fixture
def precheck(uow, crypto, clock):
    """Precheck's use cases bound to the fake unit of work, the keys and the clock, as the service binds them."""

    class Precheck:
        cipher = crypto.cipher()

        @staticmethod
        def submit(data: dict, auto_pass: bool = True) -> None:
            submission.on_submitted(uow, data, cipher=crypto.cipher(), hasher=crypto.hasher(),
                                  rulebook=shipped_rulebook(), province_rules=shipped_province_rules(),
                                  auto_pass=auto_pass, now=clock)

        @staticmethod
        def codes() -> dict[str, str]:
            """The last one-time code sent on each channel, opened as notify opens it."""
            return {e["channel"]: crypto.cipher().decrypt(e["code"], context=f"{SEAL_CONTEXT}.code")
                    for e in uow.outbox.of_type("contact_confirmation_requested.v1")}

        @staticmethod
        def resend(filing_id: str, channel: str) -> dict:
            return contacts.resend_code(uow, filing_id, channel, cipher=crypto.cipher(), now=clock)

        @staticmethod
        def confirm(filing_id: str, channel: str, code: str, auto_pass: bool = True) -> dict:
            return contacts.confirm_contact(uow, filing_id, channel, code, cipher=crypto.cipher(),
                                            auto_pass=auto_pass, now=clock)

    return Precheck()
