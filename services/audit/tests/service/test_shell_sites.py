"""X5 over the real RabbitMQ and PostgreSQL: intake's approved-sites list reaches audit as events, an auditor loads
the provider's inventory, and the shell-site check raises one finding for the approved site the provider no longer
hosts and closes it when the site is back in the inventory."""
import time

import pytest

from shared.contracts import EVENTS
from shared.contracts.audit import SHELL_SITE_CLEARED, SHELL_SITE_FOUND
from shared.contracts.intake import APPROVED_SITES_CHANGED
from shared.testing.http import token

pytestmark = [pytest.mark.service, pytest.mark.req("X5")]

PROVIDER = "provider-a"


def _inventory(api, key: str, *domains: str) -> None:
    body = ("domain\n" + "".join(f"{d}\n" for d in domains)).encode()
    answer = api.put(f"/providers/{PROVIDER}/inventory", data=body,
                     headers={"Content-Type": "text/csv", "Idempotency-Key": key})
    assert answer.ok, answer.text


def _check_until(api, expected: dict, timeout: float = 10.0) -> dict:
    """Run the check until the approved-sites events have been applied (they arrive asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = api.post("/shell-sites/checks").json()
        if counts == expected or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def test_a_site_that_leaves_the_inventory_is_found_once_and_cleared_when_back(api, send, audit_tap):
    sites = {"provider_id": PROVIDER, "revision": 1, "changed_at": "2026-12-07T10:00:00+08:00",
             "added": ["www.example.com.cn", "shop.example.cn"], "removed": [], "count": 2}
    send("intake", APPROVED_SITES_CHANGED, sites, "sites-1")
    _inventory(api, "inv-1", "www.example.com.cn")

    assert _check_until(api, {"found": 1, "cleared": 0}) == {"found": 1, "cleared": 0}
    [found] = [e for e in audit_tap.wait_for(1) if e["meta"]["type"] == SHELL_SITE_FOUND]
    EVENTS.validate_outgoing(found)
    assert (found["data"]["provider_id"], found["data"]["domain"]) == (PROVIDER, "shop.example.cn")
    assert api.post("/shell-sites/checks").json() == {"found": 0, "cleared": 0}  # one finding, not one per round

    reviewer = api.as_(token("reviewer", "reviewer-1", province="京"))
    report = reviewer.get(f"/providers/{PROVIDER}/shell-sites").json()
    assert report["open"] == 1 and report["findings"][0]["rectify_by"] == found["data"]["rectify_by"]

    _inventory(api, "inv-2", "www.example.com.cn", "shop.example.cn")
    assert api.post("/shell-sites/checks").json() == {"found": 0, "cleared": 1}
    [cleared] = [e for e in audit_tap.wait_for(1) if e["meta"]["type"] == SHELL_SITE_CLEARED]
    assert (cleared["data"]["finding_id"], cleared["data"]["reason"]) == (found["data"]["finding_id"], "hosted_again")
    assert api.get(f"/providers/{PROVIDER}/shell-sites").json()["open"] == 0
