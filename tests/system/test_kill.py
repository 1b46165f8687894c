"""Killed services lose and duplicate nothing (issue 17 point 9): a handful of filings go through the whole workflow
while each of the six services is killed with SIGKILL right after work for it was handed over and started again,
every connection of the deployment's vhost is closed by the broker, and the sessions of two services' databases are
terminated. Then every filing has exactly one filing number (the sample unit's, X1) and each website its own, the
sponsor received each SMS once, nothing was dead-lettered and the audit chain holds every event, intact.

The services run as ``nameko run`` processes (``tests/system/conftest.py``); the architecture and performance
issues must keep this green.
"""
from collections import Counter
from urllib.parse import quote

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.testing.databases import ADMIN_URL
from shared.testing.journey import (
    APPROVED,
    CODE,
    CONTACT_CODE,
    MIIT_CODE,
    MINUTE,
    PASSED,
    SIGN_IN,
    Filing,
    Journey,
)
from shared.testing.system import MANAGEMENT, wait_until

pytestmark = pytest.mark.system

OWN_DEPLOYMENT = True  # it kills and restarts services
VERIFICATION_WINDOW_SECONDS = 3600  # the deployment's on-site window: long enough for the restarts below
# A send that a killed notify left half done is asked about at the gateway (here the SMS sink) once its lease ends:
# seconds here instead of minutes, so the contact codes arrive within the journey's waits. The scans are stored but
# not read by OCR (X7 is tests/system/test_workflow.py's): a CPU-second each, which the kills do not need.
DEPLOYMENT_ENV = {"NOTIFY_SENDING_LEASE_SECONDS": "5", "INTAKE_READ_SCANS": "false"}
FILINGS = 4


@pytest.fixture(scope="module")
def journey(deployment):
    journey = Journey.of(deployment)
    yield journey
    journey.close()


def restart_killed(deployment, name: str) -> None:
    deployment.kill(name)
    deployment.restart(name)


def close_every_connection(deployment) -> int:
    """The broker closes every client connection of the vhost (as a broker restart or a network cut would)."""
    vhost = quote(deployment.amqp_uri.rsplit("/", 1)[1], safe="")
    connections = requests.get(f"{MANAGEMENT}/api/vhosts/{vhost}/connections", timeout=10).json()
    for connection in connections:
        requests.delete(f"{MANAGEMENT}/api/connections/{quote(connection['name'], safe='')}", timeout=10,
                        headers={"X-Reason": "issue 17 kill test"})
    return len(connections)


def terminate_sessions(deployment, service: str) -> int:
    """PostgreSQL ends every session of the service's database (a failover or an administrator would)."""
    database = make_url(deployment.databases[service]).database
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
                " AND pid <> pg_backend_pid()"), {"name": database}).all())
    finally:
        admin.dispose()


def texts(journey: Journey, filing: Filing) -> list[str]:
    return [MINUTE.sub("{expires_at}", CODE.sub("{code}", m["text"])) for m in journey.sms_to(filing)]


def test_killed_services_lose_and_duplicate_nothing(deployment, journey):
    filings = [journey.new_filing() for _ in range(FILINGS)]
    for filing in filings:
        journey.sign_in(filing)
        journey.draft(filing)
    for filing in filings:
        journey.submit(filing)
    restart_killed(deployment, "precheck")  # filing_submitted.v1 in its queue or half handled
    restart_killed(deployment, "notify")  # the contact codes in its queue or half sent
    for filing in filings:
        journey.confirm_contacts(filing)
    assert close_every_connection(deployment) > 0
    for filing in filings:
        journey.await_state(filing, "precheck_passed")
    restart_killed(deployment, "verification")  # precheck_passed.v1 opening the windows
    assert terminate_sessions(deployment, "verification") > 0
    for filing in filings:
        journey.verify_on_site(filing)
        assert journey.decide_on_site(filing)["state"] == "sent_to_bureau"
    restart_killed(deployment, "bureau")  # filing_sent_to_bureau.v1 with its sealed form
    reviewer = journey.client("bureau", journey.reviewer_token)
    for filing in filings:
        journey.await_review(filing)
        assert reviewer.post(f"/reviews/{filing.id}/approval").status_code == 200
    restart_killed(deployment, "intake")  # filing_approved.v1 on its way to intake
    terminate_sessions(deployment, "intake")
    restart_killed(deployment, "audit")  # the trail of all of it
    for filing in filings:
        filing.number = journey.await_state(filing, "approved")["filing_number"]

    numbers = {filing.number for filing in filings}
    assert all(numbers) and len(numbers) == 1  # the one sample unit has one sponsor number (X1), issued once (P8)
    public = requests.get(f"{deployment.url('bureau')}/public/filings", params={"number": min(numbers)},
                          timeout=10).json()
    sites = {w["domain_ascii"]: w["website_number"] for w in public["websites"]}
    assert {f.domains[0] for f in filings} <= set(sites) and len(set(sites.values())) == len(sites)  # -k once each
    for filing in filings:
        assert [e["state"] for e in journey.timeline(filing)].count("approved") == 1
        assert wait_until(f"the filing number SMS to {filing.id}",
                          lambda filing=filing: APPROVED.format(number=filing.number) in texts(journey, filing))
        assert Counter(texts(journey, filing)) == Counter(
            [SIGN_IN, CONTACT_CODE, PASSED, MIIT_CODE, APPROVED.format(number=filing.number)]), filing.id

    events = {m["body"] for m in deployment.tap.messages() if m["exchange"].endswith(".events")}
    audit = journey.client("audit", journey.auditor_token)
    trail = wait_until("every event in the audit trail",
                       lambda: (t := audit.get("/trail/verification").json())["checked"] >= len(events) and t)
    assert trail == {"checked": len(events), "intact": True, "first_broken": None}
    assert {name: len(bodies) for name, bodies in deployment.dead_letters().items() if bodies} == {}
