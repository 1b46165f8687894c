"""Unit-tier fixtures: verification's unit of work in memory (tests/fakes.py) and the window's and the department's
use cases bound to it with the collaborators service.py passes (the development keys, the test's clock)."""
from functools import partial
from types import SimpleNamespace

import pytest

from services.verification.tests.fakes import FakeVerificationUnitOfWork
from shared.kernel.network import parse_ranges
from shared.platform.crypto import CryptoConfig
from verification import department
from verification.usecases import onsite, reading, window
from verification.usecases.case import record_quality

PROVIDER = "provider-test"
IP_RANGES = parse_ranges("111.13.100.0/24, 240e:e9:6002::/48")


def everyone(**_scope) -> bool:
    return True


@pytest.fixture
def uow():
    return FakeVerificationUnitOfWork()


@pytest.fixture
def cipher():
    return CryptoConfig.from_config({}).cipher()


@pytest.fixture
def wired(uow, cipher, clock):
    """The use cases as the entrypoints call them, each with only what it takes; no object store, sources or seal.
    The caller may see everything (a caller's scope: :func:`scoped`)."""
    hasher = CryptoConfig.from_config({}).hasher()
    facts = {"provider_id": PROVIDER, "now": clock}
    return SimpleNamespace(
        on_precheck_passed=partial(window.on_precheck_passed, uow, cipher=cipher, hasher=hasher, window_length=None,
                                   **facts),
        on_reverification_requested=partial(window.on_reverification_requested, uow, cipher=cipher, hasher=hasher,
                                            now=clock),
        on_cancelled=partial(window.on_cancelled, uow, now=clock),
        on_returned=partial(window.on_returned, uow, window_length=None, **facts),
        check_windows=partial(window.check_windows, uow, cipher=cipher, **facts),
        open_deadlines=partial(window.open_deadlines, uow, now=clock),
        register=partial(department.register, uow, cipher=cipher, **facts),
        department=partial(department.department, uow, may_see=everyone, cipher=cipher, provider_id=PROVIDER),
        quality=partial(department.quality, uow, may_see=everyone, cipher=cipher, provider_id=PROVIDER),
        on_precheck_failed=partial(department.on_precheck_failed, uow, **facts),
        on_precheck_deadline_breached=partial(department.on_precheck_deadline_breached, uow, **facts),
        on_finding=partial(department.on_finding, uow, **facts),
        record_quality=partial(record_quality, uow, **facts),
        book_appointment=partial(onsite.book_appointment, uow, may_see=everyone, cipher=cipher, now=clock),
        set_access=partial(onsite.set_access, uow, may_see=everyone, cipher=cipher, ip_ranges=IP_RANGES, now=clock),
        get_case=partial(reading.get_case, uow, may_see=everyone, cipher=cipher),
    )
