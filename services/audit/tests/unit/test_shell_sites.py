"""X5: shell-site (空壳) monitoring on the in-memory unit of work: approved sites (from intake's
``approved_sites_changed.v1``) compared with the provider's latest inventory by a periodic check; a site approved
but no longer hosted raises one finding with its rectification window, closed when it is hosted again or no longer
approved. The clock is set by the test."""
import copy
from datetime import datetime, timedelta

import pytest

from audit.usecases.inventories import import_inventory
from audit.usecases.monitoring import check_shell_sites, on_approved_sites_changed, shell_site_report
from shared.contracts import EVENTS
from shared.contracts.audit import SHELL_SITE_CLEARED, SHELL_SITE_FOUND
from shared.contracts.intake import APPROVED_SITES_CHANGED
from shared.testing.clock import Clock

from ..fakes import FakeAuditUnitOfWork

pytestmark = [pytest.mark.unit, pytest.mark.clock, pytest.mark.req("X5")]

PROVIDER = "provider-a"


@pytest.fixture
def clock():
    return Clock("2026-12-07T10:00:00+08:00")


@pytest.fixture
def uow():
    return FakeAuditUnitOfWork()


def sites_changed(uow, revision, added=(), removed=(), provider=PROVIDER):
    envelope = copy.deepcopy(EVENTS.get(APPROVED_SITES_CHANGED).sample_envelope())
    envelope["data"].update(provider_id=provider, revision=revision, added=list(added), removed=list(removed))
    on_approved_sites_changed(uow, EVENTS.load(envelope))


def inventory(uow, clock, *domains, provider=PROVIDER):
    return import_inventory(uow, provider, "domain\n" + "".join(f"{d}\n" for d in domains), now=clock())["import_id"]


def check(uow, clock, days=30):
    return check_shell_sites(uow, window_days=days, now=clock())


def test_a_site_that_leaves_the_inventory_raises_one_finding_and_it_closes_when_hosted_again(uow, clock):
    sites_changed(uow, 1, added=["www.example.com.cn", "shop.example.cn"])
    inventory(uow, clock, "www.example.com.cn", "shop.example.cn", "unfiled.example.cn")
    assert check(uow, clock) == {"found": 0, "cleared": 0}

    import_id = inventory(uow, clock, "www.example.com.cn")  # shop.example.cn moved away
    clock.advance(hours=6)
    assert check(uow, clock, days=15) == {"found": 1, "cleared": 0}
    [found] = uow.outbox.of_type(SHELL_SITE_FOUND)
    assert (found["domain"], found["inventory_import_id"]) == ("shop.example.cn", import_id)
    assert datetime.fromisoformat(found["rectify_by"]) == clock.at + timedelta(days=15)
    for envelope in uow.outbox.envelopes:
        EVENTS.validate_outgoing(envelope)

    clock.advance(hours=6)
    assert check(uow, clock) == {"found": 0, "cleared": 0}  # still a shell: no second finding
    assert shell_site_report(uow, PROVIDER)["open"] == 1

    inventory(uow, clock, "www.example.com.cn", "SHOP.example.cn")
    clock.advance(hours=6)
    assert check(uow, clock) == {"found": 0, "cleared": 1}
    [cleared] = uow.outbox.of_type(SHELL_SITE_CLEARED)
    assert (cleared["finding_id"], cleared["reason"]) == (found["finding_id"], "hosted_again")
    report = shell_site_report(uow, PROVIDER)
    assert report["open"] == 0 and report["findings"][0]["cleared_reason"] == "hosted_again"


def test_a_finding_closes_when_the_site_is_no_longer_approved(uow, clock):
    sites_changed(uow, 1, added=["old.example.cn"])
    inventory(uow, clock, "other.example.cn")
    assert check(uow, clock)["found"] == 1
    sites_changed(uow, 2, removed=["old.example.cn"])  # its filing was cancelled
    assert check(uow, clock) == {"found": 0, "cleared": 1}
    assert uow.outbox.of_type(SHELL_SITE_CLEARED)[0]["reason"] == "no_longer_approved"


def test_a_provider_without_an_inventory_is_not_judged(uow, clock):
    sites_changed(uow, 1, added=["www.example.com.cn"])
    assert check(uow, clock) == {"found": 0, "cleared": 0} and uow.outbox.envelopes == []


def test_an_older_revision_arriving_late_does_not_undo_a_newer_one(uow, clock):
    sites_changed(uow, 3, removed=["late.example.cn"])
    sites_changed(uow, 2, added=["late.example.cn"])  # older: the site stays removed
    inventory(uow, clock, "else.example.cn")
    assert check(uow, clock) == {"found": 0, "cleared": 0}


def test_each_provider_is_compared_with_its_own_inventory(uow, clock):
    sites_changed(uow, 1, added=["a.example.cn"], provider="provider-a")
    sites_changed(uow, 1, added=["b.example.cn"], provider="provider-b")
    inventory(uow, clock, "a.example.cn", provider="provider-a")
    inventory(uow, clock, "a.example.cn", provider="provider-b")
    assert check(uow, clock) == {"found": 1, "cleared": 0}
    assert uow.outbox.of_type(SHELL_SITE_FOUND)[0]["provider_id"] == "provider-b"
