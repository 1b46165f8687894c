"""Open deadlines and breaches per kind on ``/metrics`` of the running services (issue 7): precheck (P2, 5 working
days), bureau (P8, 20 or 30 working days) and verification (P3, the 1-month on-site window) count them in their
databases at start-up and on every timer tick, as ``icp_deadlines_open`` / ``icp_deadlines_breached{service, kind}``
(the series and labels ``IcpDeadlineBreached`` in deploy/monitoring/alerts.yaml reads).

The databases are seeded before the services start, with one item past its deadline and one within it per service;
the counts are read from the processes' ``/metrics``, as Prometheus scrapes them.
"""
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from shared.platform.crypto import CryptoConfig
from shared.testing.system import Deployment, Vhost, wait_until

pytestmark = pytest.mark.system

NOW = datetime.now(UTC)
LONG_AGO = NOW - timedelta(days=60)
SOON = NOW + timedelta(days=20)
# What each service must report once its first check has run: (service, kind) -> (open, breached).
EXPECTED = {
    ("precheck", "precheck_5_working_days"): (2, 1),
    ("bureau", "bureau_review_working_days"): (2, 1),
    # The overdue window is expired by the check (it is no longer open); a breach stays only if expiry fails.
    ("verification", "onsite_window_1_month"): (1, 0),
}


def _seed_precheck(url: str) -> None:
    from precheck.models import Case

    def case(deadline: datetime) -> Case:
        return Case(id=str(uuid.uuid4()), filing_id=str(uuid.uuid4()), version=1, attempt=1,
                    provider_id="provider-demo", province="京", state="needs_review", sponsor_hmac="0" * 64,
                    mobile_hmac="0" * 64, mobile_token="not-used", findings=[], rulebook_version="2026.1",
                    submitted_at=deadline - timedelta(days=7), deadline_at=deadline,
                    near_at=deadline - timedelta(days=1), deadline_provisional=False, deadline_years=[deadline.year],
                    reasons=[], created_at=deadline - timedelta(days=7))

    _add(url, case(LONG_AGO), case(SOON))


def _seed_bureau(url: str) -> None:
    from bureau.models import Review

    def review(deadline: datetime) -> Review:
        return Review(id=str(uuid.uuid4()), filing_id=str(uuid.uuid4()), version=1, attempt=1, submission=1,
                      provider_id="provider-demo", province="京", state="pending", filing={}, evidence={},
                      corrections=[], form_check={}, sent_at=deadline - timedelta(days=30), sent_by="verification",
                      verified_by="staff:1", received_at=deadline - timedelta(days=30), deadline_at=deadline,
                      near_at=deadline - timedelta(days=1), deadline_provisional=False,
                      deadline_years=[deadline.year], reasons=[])

    _add(url, review(LONG_AGO), review(SOON))


def _seed_verification(url: str) -> None:
    from verification.models import Case, Submission

    cipher = CryptoConfig.from_config({"ALLOW_DEV_KEYS": True}).cipher()  # the deployment runs with dev keys
    rows = []
    for closes in (LONG_AGO, SOON):
        submission = Submission(id=str(uuid.uuid4()), filing_id=str(uuid.uuid4()), version=1, attempt=1,
                                provider_id="provider-demo", province="京", sponsor_hmac="0" * 64, filing={},
                                submitted_at=closes - timedelta(days=40), created_at=closes - timedelta(days=40))
        rows += [submission, Case(
            id=str(uuid.uuid4()), filing_id=submission.filing_id, submission_id=submission.id,
            sponsor_hmac="0" * 64, state="window_open", sending=1,
            mobile_token=cipher.encrypt("13800138000", context="verification.mobile"),
            opens_at=closes - timedelta(days=30), closes_at=closes, warn_at=closes - timedelta(days=3),
            corrections=[], domains=[], access_reasons=[], returned=[], reasons=[],
            created_at=closes - timedelta(days=30))]
    _add(url, *rows)


def _add(url: str, *rows) -> None:
    engine = create_engine(url)
    try:
        with Session(engine) as session:
            for row in rows:  # in order: a case after the submission it references
                session.add(row)
                session.flush()
            session.commit()
    finally:
        engine.dispose()


SEEDS = {"precheck": _seed_precheck, "bureau": _seed_bureau, "verification": _seed_verification}


@pytest.fixture
def seeded(database_factory, tmp_path):
    urls = {service: database_factory(service) for service in SEEDS}
    for service, seed in SEEDS.items():
        seed(urls[service])
    with Vhost("icp-deadlines") as amqp_uri:
        system = Deployment(tuple(SEEDS), tmp_path, amqp_uri, urls.__getitem__,
                            service_env={"bureau": {"BUREAU_PROVINCE": "京"}})
        try:
            system.start()
            yield system, urls
        finally:
            assert system.stop() == []


def _reports(url: str, expected: dict) -> bool:
    return _deadline_samples(url) == expected


def _deadline_samples(url: str) -> dict[tuple[str, str, str], float]:
    text = requests.get(f"{url}/metrics", timeout=5).text
    return {(sample.name, sample.labels["service"], sample.labels["kind"]): sample.value
            for family in text_string_to_metric_families(text)
            if family.name in {"icp_deadlines_open", "icp_deadlines_breached"}
            for sample in family.samples}


@pytest.mark.req("P2")
@pytest.mark.req("P3")
@pytest.mark.req("P8")
def test_services_report_open_and_breached_deadlines_from_their_databases(seeded):
    system, urls = seeded
    for (service, kind), (open_count, breached) in EXPECTED.items():
        expected = {("icp_deadlines_open", service, kind): open_count,
                    ("icp_deadlines_breached", service, kind): breached}
        wait_until(f"{service}'s deadline series {expected}", partial(_reports, system.url(service), expected),
                   timeout=15)

    from verification.models import Case

    engine = create_engine(urls["verification"])
    try:
        with Session(engine) as session:
            states = sorted(session.execute(select(Case.state)).scalars())
    finally:
        engine.dispose()
    assert states == ["expired", "window_open"], "the overdue window was expired, not left open"

