"""X5: shell-site (空壳) monitoring on the in-memory unit of work, the clock set by the test. The inventory: approved
sites (from intake's ``approved_sites_changed.v1``) compared with the provider's latest inventory by a periodic
check; a site approved but no longer hosted raises one finding with its rectification window, closed when it is
hosted again or no longer approved. The probe: each approved domain of a provider with configured ranges resolved
(CNAMEs followed) and asked for HEAD; a site resolving outside the ranges or not answering for the configured days
raises one finding, closed when it resolves and answers again or is no longer approved; a resolver that did not
answer judges nothing. The world's answers come from a scripted prober (the port of ``audit.prober.SiteProber``,
tested against DNS and HTTP on loopback in tests/integration/test_prober.py)."""
import copy
from datetime import datetime, timedelta

import pytest

from audit.shell_sites import judge
from audit.usecases.inventories import import_inventory
from audit.usecases.monitoring import check_shell_sites, on_approved_sites_changed, probe_shell_sites, shell_site_report
from shared.contracts import EVENTS
from shared.contracts.audit import SHELL_SITE_CLEARED, SHELL_SITE_FOUND
from shared.contracts.intake import APPROVED_SITES_CHANGED
from shared.kernel.network import parse_ranges
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


# --- the probe ---------------------------------------------------------------------------------------------------

RANGES = {PROVIDER: parse_ranges("111.13.100.0/24, 240e:e9:6002::/48") + parse_ranges("61.160.0.0/16")}  # + CDN
HOME, CDN, ELSEWHERE = "111.13.100.91", "61.160.3.4", "203.0.113.10"


class ScriptedProber:
    """What the world answers: domain -> (addresses or None, answered HEAD)."""

    def __init__(self):
        self.world: dict[str, tuple[list[str] | None, bool]] = {}
        self.asked: list[list[str]] = []

    def probe_all(self, domains, ranges):
        self.asked.append(list(domains))
        return {d: self.world.get(d, ([], False)) for d in domains}


@pytest.fixture
def prober():
    return ScriptedProber()


def probe(uow, prober, clock, ranges=RANGES):
    return probe_shell_sites(uow, prober, ranges, window_days=30, failing_days=3, now=clock())


def test_judgement_counts_the_cdn_ranges_as_the_providers_own():
    ranges = RANGES[PROVIDER]
    assert judge([CDN], ranges, answered=True) == "hosted"
    assert judge(["240e:e9:6002:15c::ff"], ranges, answered=True) == "hosted"
    assert judge([ELSEWHERE, HOME], ranges, answered=True) == "hosted"  # one of its addresses is the provider's
    assert judge([ELSEWHERE], ranges, answered=True) == "resolves_outside"
    assert judge([], ranges, answered=False) == "resolves_outside"  # resolves to nothing
    assert judge([HOME], ranges, answered=False) == "no_answer"
    assert judge(None, ranges, answered=False) == "unknown"


def test_a_site_that_moves_out_raises_one_finding_after_the_days_and_closes_when_back(uow, prober, clock):
    sites_changed(uow, 1, added=["www.example.com.cn", "cdn.example.com.cn"])
    prober.world = {"www.example.com.cn": ([HOME], True), "cdn.example.com.cn": ([CDN], True)}
    assert probe(uow, prober, clock) == {"found": 0, "cleared": 0}

    prober.world["www.example.com.cn"] = ([ELSEWHERE], False)
    moved_at = clock.advance(hours=6)
    assert probe(uow, prober, clock) == {"found": 0, "cleared": 0}
    clock.advance(days=3, seconds=-1)
    assert probe(uow, prober, clock) == {"found": 0, "cleared": 0}  # not yet 3 days
    clock.advance(seconds=1)
    assert probe(uow, prober, clock) == {"found": 1, "cleared": 0}
    [found] = uow.outbox.of_type(SHELL_SITE_FOUND)
    assert (found["domain"], found["reason"], found["addresses"]) == ("www.example.com.cn", "resolves_outside",
                                                                      [ELSEWHERE])
    assert datetime.fromisoformat(found["failing_since"]) == moved_at
    assert datetime.fromisoformat(found["rectify_by"]) == clock() + timedelta(days=30)
    assert found["inventory_import_id"] is None
    clock.advance(hours=6)
    assert probe(uow, prober, clock) == {"found": 0, "cleared": 0}  # still out: no second finding

    prober.world["www.example.com.cn"] = ([HOME], True)
    clock.advance(hours=6)
    assert probe(uow, prober, clock) == {"found": 0, "cleared": 1}
    [cleared] = uow.outbox.of_type(SHELL_SITE_CLEARED)
    assert (cleared["finding_id"], cleared["reason"]) == (found["finding_id"], "resolves_again")
    report = shell_site_report(uow, PROVIDER)
    assert report["open"] == 0 and report["findings"][0]["reason"] == "resolves_outside"
    for envelope in uow.outbox.envelopes:
        EVENTS.validate_outgoing(envelope)


def test_a_site_that_does_not_answer_raises_a_finding_and_a_good_day_restarts_the_count(uow, prober, clock):
    sites_changed(uow, 1, added=["dead.example.cn"])
    prober.world = {"dead.example.cn": ([HOME], False)}
    probe(uow, prober, clock)
    clock.advance(days=2)
    prober.world["dead.example.cn"] = ([HOME], True)  # it answered once: the count starts again
    probe(uow, prober, clock)
    prober.world["dead.example.cn"] = ([HOME], False)
    probe(uow, prober, clock)
    clock.advance(days=2)
    assert probe(uow, prober, clock) == {"found": 0, "cleared": 0}
    clock.advance(days=1)
    assert probe(uow, prober, clock) == {"found": 1, "cleared": 0}
    assert uow.outbox.of_type(SHELL_SITE_FOUND)[0]["reason"] == "no_answer"


def test_a_resolver_that_does_not_answer_judges_nothing(uow, prober, clock):
    sites_changed(uow, 1, added=["www.example.com.cn"])
    prober.world = {"www.example.com.cn": ([ELSEWHERE], False)}
    probe(uow, prober, clock)
    prober.world = {"www.example.com.cn": (None, False)}
    clock.advance(days=5)
    assert probe(uow, prober, clock) == {"found": 0, "cleared": 0}  # nothing known today
    prober.world = {"www.example.com.cn": ([ELSEWHERE], False)}
    assert probe(uow, prober, clock) == {"found": 1, "cleared": 0}  # still out since 5 days ago


def test_a_provider_without_ranges_is_not_probed_and_a_site_no_longer_approved_closes(uow, prober, clock):
    sites_changed(uow, 1, added=["old.example.cn"])
    assert probe(uow, prober, clock, ranges={}) == {"found": 0, "cleared": 0} and prober.asked == []
    prober.world = {"old.example.cn": ([ELSEWHERE], False)}
    probe(uow, prober, clock)
    clock.advance(days=3)
    assert probe(uow, prober, clock) == {"found": 1, "cleared": 0}
    import_inventory(uow, PROVIDER, "domain\nold.example.cn\n", now=clock())
    assert check_shell_sites(uow, window_days=30, now=clock()) == {"found": 0, "cleared": 0}  # not the inventory's
    sites_changed(uow, 2, removed=["old.example.cn"])  # its filing was cancelled
    assert probe(uow, prober, clock) == {"found": 0, "cleared": 1}
    assert uow.outbox.of_type(SHELL_SITE_CLEARED)[0]["reason"] == "no_longer_approved"
    assert uow.shell_sites.probes(PROVIDER) == {}


@pytest.mark.req("X5")
def test_every_provider_is_probed_before_a_finding_is_locked_and_each_check_locks_only_its_own(uow, prober, clock):
    sites_changed(uow, 1, added=["a.example.cn"], provider=PROVIDER)
    sites_changed(uow, 1, added=["b.example.cn"], provider="provider-b")
    inventory(uow, clock, "other.example.cn", provider="provider-b")  # b.example.cn is not in it: a finding
    assert check(uow, clock) == {"found": 1, "cleared": 0}
    ranges = {**RANGES, "provider-b": RANGES[PROVIDER]}
    locked, probed_with_locks = [], []
    reads = uow.shell_sites.findings

    def findings(provider_id, open_only=True, probed=None):
        locked.append((provider_id, probed))
        return reads(provider_id, open_only, probed)

    def probe_all(domains, provider_ranges):
        probed_with_locks.append(list(locked))
        return ScriptedProber.probe_all(prober, domains, provider_ranges)

    uow.shell_sites.findings, prober.probe_all = findings, probe_all
    probe(uow, prober, clock, ranges)
    assert probed_with_locks == [[], []]  # both providers asked before any finding was read for update
    assert sorted(locked) == [(PROVIDER, True), ("provider-b", True)]  # the inventory's finding left unlocked
