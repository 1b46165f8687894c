"""Fixtures for notify's unit tests: its use cases on the in-memory unit of work (``tests/fakes.py``) with
scripted gateways, the DEVELOPMENT keys and the test's clock."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from notify.dependencies import GatewaySet
from notify.domain import RetryPolicy
from notify.usecases import common
from services.notify.tests.fakes import FakeNotifyUnitOfWork
from shared.platform.crypto import CryptoConfig
from shared.platform.observability import MetricsRegistry


class ScriptedGateway:
    """Answers each send with the next scripted exception (None: accepted), then accepts."""

    name = "scripted"

    def __init__(self, *script):
        self.script = list(script)
        self.sent: list[tuple] = []

    def send(self, to, *rest):
        self.sent.append((to, *rest))
        step = self.script.pop(0) if self.script else None
        if step is not None:
            raise step


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
