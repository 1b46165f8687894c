"""The sponsor site in a real browser (issue 19): the services the sponsor's pages reach and the portal as
``nameko run`` processes on the real broker (a vhost of their own), one deployment per module; the module's browser
scenarios (``scenarios.py``) run one after another in a plain Python process, because Playwright's sync API does not
work under eventlet's monkey patch, which every pytest process of this project has.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import eventlet
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal.dependencies import ACTORS
from shared.testing.databases import ADMIN_URL
from shared.testing.idp import CLIENT_ID, CLIENT_SECRET, key_set
from shared.testing.journey import PROVINCE
from shared.testing.system import PORTAL, REPO, Deployment, SandboxRegistry, Vhost, free_port

SCENARIOS = Path(__file__).resolve().parent / "scenarios.py"
# What the sponsor's pages reach: intake, precheck (it passes a clean filing on its own), notify (the codes by SMS
# and e-mail) and the portal; verification and the bureau take a filing to its number over their APIs (the staff's
# pages are another issue), for the pages after approval; audit for the filing center's console (issue 20).
SERVICES = ("intake", "precheck", "verification", "bureau", "audit", "notify", PORTAL)
# Revisits (W5) due seconds after approval and opened by a timer that runs every second, so that a revisit is
# there to answer while the scenario runs; the sponsor's address forwarded by the portal is believed (point 4).
INTAKE_ENV = {"INTAKE_REVISIT_INTERVAL_DAYS": str(3 / 86400), "INTAKE_REVISIT_TIMER_SECONDS": "1",
              "INTAKE_TRUSTED_PROXIES": "127.0.0.1"}
# The bureau counts its public query's limit per visitor (X9): it believes the address the portal forwards, and the
# portal believes the X-Forwarded-For of whoever stands in front of it here (as of an ingress), so that a browser
# scenario can be a visitor of its own address.
BUREAU_ENV = {"BUREAU_TRUSTED_PROXIES": "127.0.0.1"}
PORTAL_ENV = {"PORTAL_TRUSTED_PROXIES": "127.0.0.1"}
SCENARIO_SECONDS = 240
# The organisation's identity provider (issue 20, X6): a test OpenID provider (shared.testing.idp) that the scenario
# signing staff in through it serves on a port chosen here, because the portal and the services are configured with
# it when they start; its key is trusted beside the DEVELOPMENT key, so icp-token's tokens still sign people in.
IDP_KEY = Ed25519PrivateKey.generate()


def identity_provider(portal_port: int) -> tuple[dict, dict, dict]:
    """The scenario's IdP (port, private JWK, redirect URI), every service's AUTH_* and the portal's OIDC_*."""
    port = free_port()
    issuer, redirect = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{portal_port}/staff/sign-in/callback"
    idp = {"port": port, "key": json.loads(OKPAlgorithm.to_jwk(IDP_KEY)), "redirect_uri": redirect}
    auth = {"AUTH_PUBLIC_KEYS": key_set(IDP_KEY), "AUTH_ISSUERS": f"icp-verification,{issuer}"}
    oidc = {"PORTAL_OIDC_ISSUER": issuer, "PORTAL_OIDC_CLIENT_ID": CLIENT_ID,
            "PORTAL_OIDC_CLIENT_SECRET": CLIENT_SECRET, "PORTAL_OIDC_REDIRECT_URI": redirect}
    return idp, auth, oidc


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


@pytest.fixture(scope="module")
def system(request):
    """The module's deployment; a module that sets ``READS_SCANS = False`` gets an intake that stores the scans
    without reading them by OCR (about a CPU-second a scan), for scenarios that do not look at X7's findings."""
    work = Path(tempfile.mkdtemp(prefix="icp-portal-"))
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    audit_db = f"portal_audit_{uuid.uuid4().hex[:8]}"  # audit's migrations are PostgreSQL's; the others run on SQLite

    def database(name: str) -> str:
        if name != "audit":
            return f"sqlite:///{work / name}.db"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{audit_db}"'))
        return make_url(ADMIN_URL).set(database=audit_db).render_as_string(hide_password=False)

    reads_scans = getattr(request.module, "READS_SCANS", True)
    portal_port = free_port()
    idp, auth, oidc = identity_provider(portal_port)
    with Vhost("icp-portal") as amqp_uri, SandboxRegistry(work / "registry.log") as registry:
        deployment = Deployment(
            SERVICES, work, amqp_uri, database,
            env={"NOTIFY_RETRY_BASE_SECONDS": "1", "AUTHORITY_MODE": "sandbox", "NOTIFY_POLL_SECONDS": "0.2", **auth},
            service_env={"intake": {**INTAKE_ENV, "INTAKE_READ_SCANS": str(reads_scans)},
                         "verification": registry.verification_env,
                         "bureau": {"BUREAU_PROVINCE": PROVINCE, **BUREAU_ENV},
                         "portal": {"PORTAL_ACTOR": " ".join(ACTORS), **PORTAL_ENV, **oidc}},  # every site and console
            ports={PORTAL: portal_port},
        )
        deployment.idp = idp
        try:
            deployment.start()
            yield deployment
        finally:
            deployment.stop()  # stopping cleanly is tests/system's to prove
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{audit_db}" WITH (FORCE)'))
            admin.dispose()
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def browse(system, tmp_path_factory):
    """``browse(scenario)``: run ``scenarios.py``'s scenario against the deployment in the module's scenario process
    (one for all its scenarios, started at the first; a new one after a scenario that timed out or took the process
    down); a failure shows what the process wrote during the scenario: the traceback and the pages."""
    executable = chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed: bin/setup installs it")
        pytest.skip("chromium not installed (apt-get install chromium; bin/setup does)")
    config = {"portal": system.url(PORTAL), "urls": {name: system.url(name) for name in system.services},
              "sms_sink": str(system.sms_sink), "email_sink": str(system.email_sink), "chromium": executable,
              "idp": system.idp}
    path = os.pathsep.join([str(REPO), *(str(p) for p in sorted((REPO / "services").glob("*"))),
                            os.environ.get("PYTHONPATH", "")])
    log = tmp_path_factory.mktemp("scenarios") / "scenarios.log"
    driver: list[subprocess.Popen] = []

    def started() -> subprocess.Popen:
        if not driver or driver[0].poll() is not None:
            with log.open("a", encoding="utf-8") as written:
                driver[:] = [subprocess.Popen([sys.executable, str(SCENARIOS), json.dumps(config)], cwd=REPO,
                                              env={**os.environ, "PYTHONPATH": path}, stdin=subprocess.PIPE,
                                              stdout=subprocess.PIPE, stderr=written, text=True)]
        return driver[0]

    def run(scenario: str) -> None:
        process, since = started(), log.stat().st_size
        process.stdin.write(scenario + "\n")
        process.stdin.flush()
        answer = f"no answer in {SCENARIO_SECONDS} s"
        with eventlet.Timeout(SCENARIO_SECONDS, False):
            answer = process.stdout.readline().strip() or "the scenario process ended"
        if answer != f"ok {scenario}":
            if answer != f"failed {scenario}":  # timed out or died: the next scenario gets a new process
                process.kill()
                process.wait()
            with log.open(encoding="utf-8") as written:
                written.seek(since)
                pytest.fail(f"{scenario}: {answer}\n{written.read()[-8000:]}", pytrace=False)

    yield run
    if driver and driver[0].poll() is None:
        driver[0].stdin.close()  # the process ends when its stdin does
        try:
            driver[0].wait(timeout=30)
        except subprocess.TimeoutExpired:
            driver[0].kill()
            driver[0].wait()
