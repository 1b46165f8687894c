"""Open deadlines and breaches per kind on ``/metrics`` of the running services (issue 7): precheck (P2, 5 working
days), bureau (P8, 20 or 30 working days) and verification (P3, the 1-month on-site window) count them in their
databases at start-up and on every timer tick, as ``icp_deadlines_open`` / ``icp_deadlines_breached{service, kind}``
(the series and labels ``IcpDeadlineBreached`` in deploy/monitoring/alerts.yaml reads).

The databases are seeded before the services start, with one item past its deadline and one within it per service,
and for precheck and the bureau one more whose working days reach into the first year without the State Council's
schedule (provisional, issue 16); the counts are read from the processes' ``/metrics``, as Prometheus scrapes them.
``icp-ops calendar load`` then loads that year (and the ones up to next year, test data) into both services, and the
provisional deadlines are recomputed and counted as official.
"""
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from precheck.domain import PRECHECK_WORKING_DAYS
from shared.kernel.workdays import SHANGHAI, WorkingCalendar
from shared.platform.calendar import deadline_fields
from shared.platform.crypto import CryptoConfig
from shared.platform.migrations import upgrade
from shared.testing.clock import first_unofficial_year, sample_schedule
from shared.testing.http import token
from shared.testing.system import REPO, Deployment, PostgresDatabases, Vhost, wait_until

pytestmark = [pytest.mark.system, pytest.mark.clock]

NOW = datetime.now(UTC)
LONG_AGO = NOW - timedelta(days=60)
SOON = NOW + timedelta(days=20)
# Started on 28 December of the last year with a shipped schedule: the days counted reach into the next year.
PROVISIONAL_START = datetime(first_unofficial_year() - 1, 12, 28, 10, tzinfo=SHANGHAI)
PRECHECK_PROVISIONAL = deadline_fields(WorkingCalendar.shipped(), PROVISIONAL_START, PRECHECK_WORKING_DAYS)
BUREAU_PROVISIONAL = deadline_fields(WorkingCalendar.shipped(), PROVISIONAL_START, 20)
# What each service must report once its first check has run: (service, kind) -> (open, breached, provisional);
# whether the provisional deadline is past depends on the clock the run has.
EXPECTED = {
    ("precheck", "precheck_5_working_days"): (3, 1 + (PRECHECK_PROVISIONAL["deadline_at"] <= NOW), 1),
    ("bureau", "bureau_review_working_days"): (3, 1 + (BUREAU_PROVISIONAL["deadline_at"] <= NOW), 1),
    # The overdue window is expired by the check (it is no longer open); a breach stays only if expiry fails.
    ("verification", "onsite_window_1_month"): (1, 0, 0),
}


def _seed_precheck(url: str) -> None:
    from precheck.models import Case

    def case(submitted_at: datetime, **deadline) -> Case:
        return Case(id=str(uuid.uuid4()), filing_id=str(uuid.uuid4()), version=1, attempt=1,
                    provider_id="provider-demo", province="京", state="needs_review", sponsor_hmac="0" * 64,
                    mobile_hmac="0" * 64, mobile_token="not-used", findings=[], rulebook_version="2026.1",
                    submitted_at=submitted_at, reasons=[], created_at=submitted_at, **deadline)

    _add(url, *(case(at - timedelta(days=7), **_official(at)) for at in (LONG_AGO, SOON)),
         case(PROVISIONAL_START, **PRECHECK_PROVISIONAL))


def _seed_bureau(url: str) -> None:
    from bureau.models import Review

    def review(received_at: datetime, **deadline) -> Review:
        return Review(id=str(uuid.uuid4()), filing_id=str(uuid.uuid4()), version=1, attempt=1, submission=1,
                      provider_id="provider-demo", province="京", state="pending", filing={}, evidence={},
                      corrections=[], form_check={}, sent_at=received_at, sent_by="verification",
                      verified_by="staff:1", received_at=received_at, reasons=[], **deadline)

    _add(url, *(review(at - timedelta(days=30), **_official(at)) for at in (LONG_AGO, SOON)),
         review(PROVISIONAL_START, **BUREAU_PROVISIONAL))


def _official(deadline: datetime) -> dict:
    return {"deadline_at": deadline, "near_at": deadline - timedelta(days=1), "deadline_provisional": False,
            "deadline_years": [deadline.year]}


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


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The three services started on the seeded databases, once for the module (starting them costs seconds): the
    first test only reads what they count, the second (after it, in file order) loads the calendar."""
    with PostgresDatabases("deadlines") as databases, Vhost("icp-deadlines") as amqp_uri:
        urls = {service: databases.make(service) for service in SEEDS}
        for service, seed in SEEDS.items():
            upgrade(REPO / "services" / service, urls[service])
            seed(urls[service])
        system = Deployment(tuple(SEEDS), tmp_path_factory.mktemp("deadlines"), amqp_uri, urls.__getitem__,
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
    return {(sample.name, sample.labels["service"], sample.labels.get("kind", "")): sample.value
            for family in text_string_to_metric_families(text)
            if family.name in {"icp_deadlines_open", "icp_deadlines_breached", "icp_deadlines_provisional",
                               "icp_calendar_official_days_left"}
            for sample in family.samples}


def _expected(service: str, kind: str, open_count: int, breached: int, provisional: int, days_left: int) -> dict:
    series = {("icp_deadlines_open", service, kind): open_count, ("icp_deadlines_breached", service, kind): breached,
              ("icp_deadlines_provisional", service, kind): provisional}
    if service != "verification":  # a calendar month knows no holidays: no working-day calendar to report
        series[("icp_calendar_official_days_left", service, "")] = days_left
    return series


@pytest.mark.req("P2")
@pytest.mark.req("P3")
@pytest.mark.req("P8")
def test_services_report_open_and_breached_deadlines_from_their_databases(seeded):
    system, urls = seeded
    days_left = WorkingCalendar.shipped().official_days_left(NOW.astimezone(SHANGHAI).date())
    for (service, kind), counts in EXPECTED.items():
        expected = _expected(service, kind, *counts, days_left)
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



@pytest.mark.req("P2")
@pytest.mark.req("P8")
def test_one_command_loads_the_next_years_schedule_into_every_service_and_the_deadlines_follow(seeded, tmp_path):
    """``icp-ops calendar load`` with the notices of the first year without shipped data up to next year: both
    services recompute their provisional deadline, count none provisional, and have more than a year left."""
    system, _urls = seeded
    notices = []
    for year in range(first_unofficial_year(), NOW.astimezone(SHANGHAI).year + 2):
        notices.append(tmp_path / f"{year}.json")
        notices[-1].write_text(json.dumps(sample_schedule(year), ensure_ascii=False), encoding="utf-8")
    services = [arg for service in ("precheck", "bureau") for arg in ("--service", system.url(service))]
    command = [sys.executable, "-m", "shared.ops.cli", "--json", "calendar", "load", *map(str, notices), *services]
    ops = {**os.environ, "ICP_OPS_TOKEN": token("ops", "ops-1", provider="provider-demo")}
    answers = []
    for attempt in ("first", "again"):  # the second run replays the first answers: nothing is recomputed twice
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=ops)
        assert result.returncode == 0, (attempt, result.stdout, result.stderr)
        answers.append([json.loads(line) for line in result.stdout.splitlines()])
    assert answers[0] == answers[1]
    years = [(item["service"], item["year"]) for item in answers[0]]
    assert years == [(system.url(service), int(notice.stem)) for notice in notices
                     for service in ("precheck", "bureau")]
    # The seeded provisional deadline of each service depends on the first year loaded (so may others, run ahead).
    assert all(item["recomputed_deadlines"] >= 1 for item in answers[0] if item["year"] == first_unofficial_year())

    days_left = WorkingCalendar.shipped().official_days_left(NOW.astimezone(SHANGHAI).date())
    for (service, kind), (open_count, _breached, _provisional) in EXPECTED.items():
        if service == "verification":
            continue
        series = _deadline_samples(system.url(service))
        assert series[("icp_deadlines_open", service, kind)] == open_count
        wait_until(f"{service} counts no provisional deadline",
                   lambda service=service, kind=kind: _deadline_samples(system.url(service))[
                       ("icp_deadlines_provisional", service, kind)] == 0, timeout=15)
        assert _deadline_samples(system.url(service))[("icp_calendar_official_days_left", service, "")] > max(
            days_left, 365)
