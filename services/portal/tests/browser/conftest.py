"""The sponsor site in a real browser (issue 19): every service and the portal as ``nameko run`` processes on the
real broker (a vhost of their own), driven through the portal's pages only by headless Chromium (Debian's
``chromium``, installed by ``bin/setup``; Playwright drives it through ``executable_path`` and downloads no browser
of its own). Staff steps that have no pages yet (the provider's access information, R1.8; precheck's decision) are
taken over the services' APIs by :class:`shared.testing.journey.Journey`.

One deployment serves the module. ``PORTAL_SCREENSHOTS=<dir>`` saves a screenshot of every page visited there
(``tools/portal_screenshots.py`` regenerates ``docs/portal/`` so).
"""
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from shared.testing.journey import CODE, CONTACT_MARK, SIGN_IN_MARK, Journey
from shared.testing.system import ALL_SERVICES, PORTAL, Deployment, PostgresDatabases, Vhost, wait_until

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
NEEDS_POSTGRESQL = ("audit",)  # its migrations alter columns in place, which SQLite cannot (as tools/demo.py)
BLOCKING = {"serious", "critical"}


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


@pytest.fixture(scope="module")
def system():
    work = Path(tempfile.mkdtemp(prefix="icp-portal-"))
    with Vhost("icp-portal") as amqp_uri, PostgresDatabases("portal") as databases:
        deployment = Deployment(
            (*ALL_SERVICES, PORTAL), work, amqp_uri,
            lambda name: databases.make(name) if name in NEEDS_POSTGRESQL else f"sqlite:///{work / name}.db",
            env={"NOTIFY_RETRY_BASE_SECONDS": "1", "AUTHORITY_MODE": "sandbox", "NOTIFY_POLL_SECONDS": "0.2"},
            service_env={"bureau": {"BUREAU_PROVINCE": "京"}})
        try:
            deployment.start()
            yield deployment
        finally:
            deployment.stop()  # stopping cleanly is tests/system's to prove
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="module")
def journey(system):
    journey = Journey.of(system)
    yield journey
    journey.close()


@pytest.fixture(scope="module")
def browser():
    executable = chromium()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed: bin/setup installs it")
        pytest.skip("chromium not installed (apt-get install chromium; bin/setup does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


class Sponsor:
    """A person at the browser: ``page`` on the portal at ``base``; checks every page it lands on with axe-core
    and, with PORTAL_SCREENSHOTS set, saves it."""

    def __init__(self, page, base: str, journey: Journey, filing, prefix: str):
        self.page, self.base, self.journey, self.filing, self.prefix = page, base, journey, filing, prefix
        self.checked: dict[str, list] = {}
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.set_default_timeout(15_000)

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def audit(self, name: str) -> None:
        """axe-core on the page as it is: no serious or critical violation (WCAG 2.1 AA rules and best practice).
        Evaluated through the DevTools protocol, which the page's CSP does not govern."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        blocking = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
                    for v in result["violations"] if v["impact"] in BLOCKING]
        self.checked[name] = blocking
        assert blocking == [], f"{name}: {blocking}"
        if directory := os.environ.get("PORTAL_SCREENSHOTS"):
            Path(directory).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(directory) / f"{self.prefix}{name}.png"), full_page=True)

    def code(self, mark: str, received, used: set) -> str:
        def fresh():
            codes = [CODE.search(m["text"])[1] for m in received() if mark in m["text"] and CODE.search(m["text"])]
            unused = [c for c in codes if c not in used]
            return unused[-1] if unused else None

        found = wait_until(f"a code ({mark})", fresh, 30)
        used.add(found)
        return found

    def sign_in(self) -> None:
        self.go("/sign-in")
        self.audit("sign-in")
        self.page.get_by_label("手机号码").fill(self.filing.mobile)
        self.page.get_by_role("button", name="发送短信验证码").click()
        self.page.get_by_label("收到的验证码").wait_for()
        self.audit("sign-in-code")
        code = self.code(SIGN_IN_MARK, lambda: self.journey.sms_to(self.filing), self.filing.codes_used)
        self.page.get_by_label("收到的验证码").fill(code)
        self.page.get_by_role("button", name="登录", exact=True).click()
        self.page.wait_for_url(re.compile(r".*/filings$"))

    def leave(self, label: str, value: str) -> None:
        """Type ``value`` into the field labelled ``label`` and leave it (Tab), as a person does; wait for the
        field's htmx answer."""
        field = self.page.get_by_label(label, exact=True)
        with self.page.expect_response(lambda r: r.url.endswith("/field")):
            field.fill(value)
            field.press("Tab")

    def choose(self, label: str, option: str) -> None:
        field = self.page.get_by_label(label, exact=True)
        with self.page.expect_response(lambda r: r.url.endswith("/field")):
            field.select_option(label=option)
            field.press("Tab")

    def next_step(self, expected_heading: str) -> None:
        self.page.get_by_role("button", name="保存并继续").click()
        self.page.get_by_role("heading", name=expected_heading, level=1).wait_for()

    def confirm_codes(self) -> None:
        for channel, label, received in (("sms", "手机验证码", lambda: self.journey.sms_to(self.filing)),
                                         ("email", "邮箱验证码", lambda: self.journey.emails_to(self.filing))):
            code = self.code(CONTACT_MARK, received, self.filing.codes_used)
            self.page.get_by_label(label).fill(code)
            self.page.locator(f"form[action$='/contacts/{channel}'] button").click()
            self.page.wait_for_load_state()

    def state(self) -> str:
        return self.page.locator("#state").inner_text()

    def await_state(self, text: str, timeout: float = 30) -> None:
        def shown():
            self.page.reload()
            return self.state() == text

        wait_until(f"the status page showing {text}", shown, timeout, interval=0.5)


@pytest.fixture
def sponsor_at(system, journey, browser):
    """``sponsor_at(data, viewport)``: a new browser context (its own cookies) for a new sponsor of ``data``."""
    contexts = []

    def make(data: dict | None = None, viewport: dict | None = None, prefix: str = "", **options) -> Sponsor:
        context = browser.new_context(viewport=viewport or {"width": 1366, "height": 768}, locale="zh-CN",
                                      timezone_id="Asia/Shanghai", **options)
        contexts.append(context)
        filing = journey.new_filing(data)
        return Sponsor(context.new_page(), system.url(PORTAL), journey, filing, prefix)

    yield make
    for context in contexts:
        context.close()

