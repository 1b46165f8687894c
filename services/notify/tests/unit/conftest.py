"""Fixtures for notify's unit tests: its use cases on the in-memory unit of work (``tests/fakes.py``) with
scripted gateways, the DEVELOPMENT keys and the test's clock."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from notify.dependencies import GatewaySet
from notify.domain import RetryPolicy
from notify.usecases import common
from services.notify.tests.fakes import FakeNotifyUnitOfWork, ScriptedGateway
from shared.platform.crypto import CryptoConfig
from shared.platform.observability import MetricsRegistry


@pytest.fixture(scope="session")
def crypto():
    return CryptoConfig.from_config({})


@dataclass
class World:
    """One test's unit of work and the collaborators the use cases take."""

    uow: FakeNotifyUnitOfWork
    recorder: common.Recorder
    courier: common.Courier
    metrics: MetricsRegistry


@pytest.fixture
def make_deps(crypto, clock):
    """``make(sms=None, email=None, max_attempts=3) -> World``: a fresh fake unit of work and collaborators bound to
    the test's clock, the gateways scripted (accepting everything unless told)."""

    def make(sms=None, email=None, max_attempts=3):
        metrics = MetricsRegistry("notify")
        gateways = GatewaySet(sms or ScriptedGateway(), email or ScriptedGateway())
        policy = RetryPolicy(max_attempts=max_attempts, base=timedelta(seconds=10), cap=timedelta(seconds=60))
        return World(
            uow=FakeNotifyUnitOfWork(),
            recorder=common.Recorder(cipher=crypto.cipher(), hasher=crypto.hasher(), now=clock, metrics=metrics),
            courier=common.Courier(cipher=crypto.cipher(), gateways=gateways, policy=policy,
                                   sending_lease=timedelta(seconds=300), now=clock, metrics=metrics),
            metrics=metrics,
        )

    return make
