"""The browser scenarios of issues 19 and 20, run by a browser test module one after another in a process of its
own: Playwright's sync API does not work in a process that eventlet has monkey-patched (every pytest process of this
project is, by ``shared.testing.plugin``), so the browser runs here, in a plain Python process, and each test reads
its scenario's outcome.

    python scenarios.py '<json config>'   # config: portal, urls, sms_sink, email_sink, chromium, idp
    # then scenario names on stdin, one a line; "ok <name>" or "failed <name>" on stdout after each (:func:`serve`)

Each scenario drives the portal's pages only, through headless Chromium (Debian's, by ``executable_path``); the
provider's staff steps that have no pages yet go over the APIs (:class:`shared.testing.journey.Journey`). Every page
visited is checked with axe-core, and saved as ``<page>.png`` when ``PORTAL_SCREENSHOTS`` names a folder.
"""
import io
import json
import os
import re
import sys
import tempfile
import traceback
from pathlib import Path

from bureau_scenarios import bureau_oversight, bureau_return
from counter_scenarios import camera_args, counter
from PIL import Image
from playwright.sync_api import expect, sync_playwright
from staff_scenarios import center_console, provider_reports, staff_consoles, staff_sign_in_through_the_idp

from shared.i18n import beijing
from shared.testing.documents import scans_of
from shared.testing.journey import APPROVED, CODE, CONTACT_MARK, SIGN_IN_MARK, Journey
from shared.testing.samples import ACCESS, individual_filing, unit_filing
from shared.testing.system import wait_until

AXE = Path(__file__).resolve().parent / "vendor" / "axe-4.14.1.min.js"
BLOCKING = {"serious", "critical"}


class Sponsor:
    """A person at the browser: ``page`` on the portal at ``base``; checks every page it lands on with axe-core
    and, with PORTAL_SCREENSHOTS set, saves it."""

    def __init__(self, page, base: str, journey: Journey, filing, prefix: str):
        self.page, self.base, self.journey, self.filing, self.prefix = page, base, journey, filing, prefix
        self.checked: dict[str, list] = {}
        self.console: list[str] = []
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)
        page.set_default_timeout(30_000)  # a busy CI machine answers slowly

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
            # caret="initial": hiding the caret would inject a style, which the CSP (rightly) refuses
            self.page.screenshot(path=str(Path(directory) / f"{self.prefix}{name}.png"), full_page=True,
                                 caret="initial")

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
        self.settled()

    def settled(self) -> None:
        """htmx has swapped the answer in (a request, swap or settle in progress marks the element)."""
        expect(self.page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)

    def choose(self, label: str, option: str) -> None:
        field = self.page.get_by_label(label, exact=True)
        with self.page.expect_response(lambda r: r.url.endswith("/field")):
            field.select_option(label=option)
            field.press("Tab")
        self.settled()

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


    def await_text(self, text: str, timeout: float = 30) -> None:
        def shown():
            self.page.reload()
            return text in self.page.locator("main").inner_text()

        wait_until(f"the page showing {text}", shown, timeout, interval=0.5)


PHONE = {"width": 375, "height": 667}
MIIT = "https://beian.miit.gov.cn/"
ENUM_ZH = {"business_licence": "营业执照", "resident_id": "居民身份证", "legal_representative": "法定代表人"}


def filing_id_of(sponsor) -> str:
    return re.search(r"/filings/([0-9a-f-]{36})", sponsor.page.url)[1]


def start(sponsor, kind: str) -> None:
    sponsor.go("/filings")
    sponsor.audit("filings")
    sponsor.page.get_by_label("单位" if kind == "unit" else "个人", exact=True).check()
    sponsor.page.get_by_role("button", name="开始", exact=True).click()
    sponsor.page.get_by_role("heading", name="主办者信息", level=1).wait_for()


def fill_steps(sponsor, *, audit: bool = False, typo_first: bool = False) -> None:
    """The sponsor, person, contacts and website steps from ``sponsor.filing.data``, each field typed and left."""
    data, unit = sponsor.filing.data, sponsor.filing.data["sponsor"]["kind"] == "unit"
    s, person, contacts, site = data["sponsor"], data["responsible_person"], data["contacts"], data["websites"][0]
    sponsor.leave("主办者名称", s["name"])
    sponsor.choose("主办者证件类型", ENUM_ZH[s["document_type"]])
    sponsor.leave("主办者证件号码", s["document_number"])
    sponsor.choose("所在省份", s["province"])
    if audit:
        sponsor.audit("step-sponsor")
    sponsor.next_step("网站负责人")
    sponsor.leave("网站负责人姓名", person["name"])
    sponsor.choose("负责人证件类型", ENUM_ZH[person["document_type"]])
    if typo_first:
        number = person["document_number"]
        wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
        sponsor.leave("负责人证件号码", wrong)
        error = sponsor.page.locator("#f-responsible_person-document_number-error")
        expect(error).to_contain_text("校验位不符")  # beside the field, in Chinese, as soon as it was left
        assert sponsor.page.get_by_label("负责人证件号码", exact=True).get_attribute("aria-invalid") == "true"
        if audit:
            sponsor.audit("step-person-error")
    sponsor.leave("负责人证件号码", person["document_number"])
    expect(sponsor.page.locator("#f-responsible_person-document_number-error")).to_have_count(0)
    if unit:
        sponsor.choose("负责人身份", ENUM_ZH[person["role"]])
    sponsor.next_step("联系方式")
    phone = ("办公电话", contacts["office_phone"]) if unit else ("住宅电话", contacts["home_phone"])
    for label, value in (("手机号码", contacts["mobile"]), phone, ("电子邮箱", contacts["email"]),
                         ("通信地址", contacts["postal_address"])):
        sponsor.leave(label, value)
    if audit:
        sponsor.audit("step-contacts")
    sponsor.next_step("网站信息")
    for label, value in (("网站名称", site["name"]), ("网站域名", "\n".join(site["domains"])),
                         ("服务内容", "\n".join(site["service_content"]))):
        sponsor.leave(label, value)
    if audit:
        sponsor.audit("step-website")
    sponsor.next_step("接入信息")


def scans_clause_submit(sponsor, *, audit: bool = False) -> None:
    """Access information (entered by the provider's staff over the API), the scans, the clause, submit."""
    page, journey = sponsor.page, sponsor.journey
    filing_id = sponsor.filing.id = filing_id_of(sponsor)
    assert page.get_by_text("由接入服务单位填写").first.is_visible()  # R1.8: not the sponsor's to fill
    if audit:
        sponsor.audit("step-access")
    staff = journey.client("intake", journey.verifier_token)
    assert staff.put(f"/filings/{filing_id}/access", json=ACCESS).status_code == 200
    page.get_by_role("button", name="下一步").click()
    page.get_by_role("heading", name="证件扫描件", level=1).wait_for()
    # the scans say what the filing's documents say (X7: intake reads them by OCR, precheck compares them)
    scans = scans_of(sponsor.filing.documents or sponsor.filing.data)
    kinds = [("主办者证件", "sponsor_document"), ("网站负责人证件", "responsible_person_document")]
    kinds = kinds if sponsor.filing.data["sponsor"]["kind"] == "unit" else kinds[1:]
    for number, (label, kind) in enumerate(kinds):
        page.get_by_label("证件种类").select_option(label=label)
        page.get_by_label("文件", exact=True).set_input_files(
            files=[{"name": f"scan-{number}.jpg", "mimeType": "image/jpeg", "buffer": scans[kind]}])
        page.get_by_role("button", name="上传").click()
        page.locator(".scans img").nth(number).wait_for()
    previews = page.locator(".scans img")
    assert previews.count() == len(kinds)
    for i, (_label, kind) in enumerate(kinds):  # the preview shows the scan itself, as wide as uploaded
        expect(previews.nth(i)).to_have_js_property("naturalWidth", Image.open(io.BytesIO(scans[kind])).width)
    if audit:
        sponsor.audit("step-documents")
    page.get_by_role("link", name="下一步").click()
    page.get_by_role("heading", name="合同条款", level=1).wait_for()
    assert "如备案信息不真实，将关闭网站并注销备案" in page.locator("blockquote.clause").inner_text()
    if audit:
        sponsor.audit("step-clause")
    page.get_by_label("我已阅读上述条款，承诺所提交的备案信息真实有效。").check()
    page.get_by_role("button", name="同意并继续").click()
    page.get_by_role("heading", name="核对并提交", level=1).wait_for()
    assert page.get_by_text("信息已齐全").is_visible(), page.locator("main").inner_text()
    if audit:
        sponsor.audit("step-submit")
    page.get_by_role("button", name="提交备案").click()
    page.wait_for_url(re.compile(r".*/filings/[0-9a-f-]{36}$"))
    assert sponsor.state() == "已提交，预核验中"


def unit_from_nothing(sponsor_at):
    sponsor = sponsor_at(unit_filing())
    page = sponsor.page
    # W2, W3: the guide and the clause before signing in
    sponsor.go("/")
    sponsor.audit("home")
    page.get_by_role("link", name="单位备案指南").click()
    assert page.get_by_role("heading", name="备案须知").is_visible()
    assert "营业执照" in page.locator("main").inner_text()
    sponsor.audit("guide")
    sponsor.go("/clause")
    sponsor.audit("clause")
    # the bearer token never reaches page script: the session cookie is HttpOnly (and SameSite)
    sponsor.sign_in()
    cookies = page.context.cookies()
    assert cookies and all(c["httpOnly"] and c["sameSite"] == "Lax" for c in cookies)
    assert "eyJ" not in page.content() and "Bearer" not in page.content()  # no JWT anywhere in the page
    start(sponsor, "unit")
    fill_steps(sponsor, audit=True, typo_first=True)
    scans_clause_submit(sponsor, audit=True)
    sponsor.audit("status-submitted")
    sponsor.confirm_codes()
    sponsor.await_state("已通过预核验，待当面核验")
    next_step = page.locator("#next-step").inner_text()
    assert "1个月内" in next_step and "原件" in next_step  # the on-site invitation (P2, P3)
    timeline = sponsor.journey.timeline(sponsor.filing)
    shown = page.locator(".timeline time").all_inner_texts()
    assert shown == [beijing(entry["at"]) for entry in timeline]  # Beijing time, entry by entry
    sponsor.audit("status-passed")
    assert not [m for m in sponsor.console if "Content Security Policy" in m], sponsor.console


def precheck_failure(sponsor_at):
    data = unit_filing()
    data["sponsor"]["name"] = "有限公司"  # not a full unit name: precheck staff review it and fail it
    sponsor = sponsor_at(data, prefix="failure-")
    sponsor.filing.documents = unit_filing()  # its licence has the full name (X7: one more finding for staff)
    sponsor.sign_in()
    start(sponsor, "unit")
    fill_steps(sponsor)
    scans_clause_submit(sponsor)
    sponsor.confirm_codes()
    reason = {"field": "sponsor.name", "code": "incomplete_name", "message": "单位名称不完整", "rule": "P2"}
    journey, filing = sponsor.journey, sponsor.filing
    journey.precheck_decide(filing, "fail", [reason])
    sponsor.await_state("未通过预核验")
    page = sponsor.page
    assert "主办者名称：单位名称不完整，请填写营业执照上的全称。" in page.locator("main").inner_text()
    sponsor.audit("status-failed")
    page.get_by_role("link", name="修改并提交").click()
    page.get_by_role("link", name="主办者信息").click()
    sponsor.leave("主办者名称", unit_filing()["sponsor"]["name"])
    page.get_by_role("link", name="核对并提交").click()
    page.get_by_role("button", name="提交备案").click()
    page.wait_for_url(re.compile(r".*/filings/[0-9a-f-]{36}$"))
    sponsor.await_state("已通过预核验，待当面核验")  # contacts confirmed before: it passes on its own
    states = [entry["state"] for entry in journey.timeline(filing)]
    assert states == ["draft", "submitted", "precheck_failed", "submitted", "precheck_passed"]


def individual_on_a_phone(sponsor_at):
    sponsor = sponsor_at(individual_filing(), viewport=PHONE, prefix="phone-", is_mobile=True, has_touch=True)
    page = sponsor.page
    sponsor.sign_in()
    start(sponsor, "individual")
    assert page.get_by_label("单位性质", exact=True).count() == 0  # an individual has no unit type
    fill_steps(sponsor)
    scans_clause_submit(sponsor)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # no sideways scrolling
    sponsor.audit("status-submitted")
    sponsor.confirm_codes()
    sponsor.await_state("已通过预核验，待当面核验")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")



def after_approval(sponsor_at):
    """The pages after the number (P8, W5): the number with the footer to show, a revisit answered, a change
    submitted, the filing cancelled; and a URL no page has. The filing reaches its number over the services' APIs
    (the steps before are the other scenarios'; the staff's pages are another issue)."""
    sponsor = sponsor_at(unit_filing(), prefix="approved-")
    journey, filing, page = sponsor.journey, sponsor.filing, sponsor.page
    journey.happy_path(filing)
    sponsor.sign_in()
    sponsor.go(f"/filings/{filing.id}")
    assert sponsor.state() == "已备案"
    # P8: the number, and the footer the number SMS tells the sponsor to show, linked to MIIT's platform
    assert page.locator("#filing-number").inner_text() == filing.number
    sms = APPROVED.format(number=filing.number)
    assert sms in [m["text"] for m in journey.sms_to(filing)]
    shown = page.locator(".number-box").inner_text()
    assert "请在网站首页底部标注备案号，并链接至工业和信息化部政务服务平台" in shown
    link = page.locator(".footer-demo a")
    assert link.inner_text() == filing.number and link.get_attribute("href") == MIIT
    footer = page.locator("#footer-code").input_value()
    assert f'href="{MIIT}"' in footer and f">{filing.number}</a>" in footer
    sponsor.audit("status-approved")
    # W5: the revisit the provider opened after approval, answered on the status page
    sponsor.await_text("您的备案信息是否仍然准确？")
    staff_view = journey.client("intake", journey.supervisor_token)
    asked = next(r for r in staff_view.get(f"/filings/{filing.id}/revisits").json()["revisits"] if r["state"] == "open")
    assert page.locator(".answer-by").first.inner_text() == beijing(asked["answer_by"])  # Beijing time
    sponsor.audit("status-revisit")
    page.get_by_role("button", name="是，信息准确").first.click()
    page.wait_for_url(re.compile(r".*/filings/[0-9a-f-]{36}$"))
    answered = {r["id"]: r["state"] for r in staff_view.get(f"/filings/{filing.id}/revisits").json()["revisits"]}
    assert answered[asked["id"]] == "confirmed"
    # 备案变更: the approved filing changed in the same steps, the clause accepted again, submitted
    page.get_by_role("button", name="变更备案").click()
    page.get_by_role("heading", name="主办者信息", level=1).wait_for()
    assert journey.intake_view(filing)["state"] == "change_draft"
    page.get_by_role("link", name="网站信息").click()
    page.get_by_role("heading", name="网站信息", level=1).wait_for()
    sponsor.leave("网站名称", "示例科技官方网站")
    sponsor.audit("step-change")
    page.get_by_role("link", name="合同条款").click()
    page.get_by_label("我已阅读上述条款，承诺所提交的备案信息真实有效。").check()
    page.get_by_role("button", name="同意并继续").click()
    page.get_by_role("heading", name="核对并提交", level=1).wait_for()
    page.get_by_role("button", name="提交备案").click()
    page.wait_for_url(re.compile(r".*/filings/[0-9a-f-]{36}$"))
    assert sponsor.state() in ("已提交，预核验中", "已通过预核验，待当面核验")  # it may pass at once
    changed = journey.intake_view(filing)
    assert changed["version"] == 2 and changed["data"]["websites"][0]["name"] == "示例科技官方网站"
    assert page.locator("#filing-number").inner_text() == filing.number  # the site stays filed meanwhile
    # 注销: cancelled from the status page, with its reason
    page.locator("details.cancel summary").click()
    page.get_by_label("注销原因").fill("网站不再运营")
    page.get_by_role("button", name="确认注销").click()
    page.wait_for_url(re.compile(r".*/filings/[0-9a-f-]{36}$"))
    assert sponsor.state() == "已注销"
    assert f"备案号{filing.number}已注销" in page.locator("#number-retired").inner_text()
    assert page.locator(".number-box").count() == 0 and page.locator("details.cancel").count() == 0
    states = [e["state"] for e in journey.timeline(filing)]
    assert states[-1] == "cancelled" and states[states.index("change_draft") + 1] == "submitted", states
    sponsor.audit("status-cancelled")
    # a URL no page has: the 404 page, in Chinese, not the API's JSON
    answer = page.goto(sponsor.base + "/no-such-page")
    assert answer.status == 404 and answer.headers["content-type"].startswith("text/html")
    page.get_by_role("heading", name="页面不存在", level=1).wait_for()
    sponsor.audit("not-found")


SCENARIOS = {"unit_from_nothing": unit_from_nothing, "precheck_failure": precheck_failure,
             "individual_on_a_phone": individual_on_a_phone, "after_approval": after_approval,
             "staff_consoles": staff_consoles, "center_console": center_console,
             "provider_reports": provider_reports, "bureau_return": bureau_return, "bureau_oversight": bureau_oversight,
             "counter": counter, "staff_sign_in_through_the_idp": staff_sign_in_through_the_idp}
LAUNCH_ARGS = {"counter": camera_args}  # what a scenario's browser needs besides (the counter's fake camera)


def play(name: str, config: dict, browser_with) -> None:
    """Scenario ``name`` against the deployment ``config`` in a browser of ``browser_with(extra launch args)``, each
    person in a context of their own, closed at the end; a failure's report says where each person was."""
    journey = Journey(config["urls"], Path(config["sms_sink"]), Path(config["email_sink"]))
    with tempfile.TemporaryDirectory() as scratch:
        browser = browser_with(LAUNCH_ARGS[name](Path(scratch)) if name in LAUNCH_ARGS else [])
        sponsors = []

        def sponsor_at(data: dict | None = None, viewport: dict | None = None, prefix: str = "", **options):
            context = browser.new_context(viewport=viewport or {"width": 1366, "height": 768}, locale="zh-CN",
                                          timezone_id="Asia/Shanghai", **options)
            sponsors.append(Sponsor(context.new_page(), config["portal"], journey, journey.new_filing(data), prefix))
            return sponsors[-1]

        sponsor_at.config = config  # the deployment's, for a scenario that serves a part of it (the IdP)
        try:
            SCENARIOS[name](sponsor_at)
        except BaseException:
            for sponsor in sponsors:  # where the person was, and what the page said, for the failure's report
                print(f"at {sponsor.page.url}:\n{sponsor.page.locator('body').inner_text()[:3000]}", file=sys.stderr)
            raise
        finally:
            for sponsor in sponsors:
                sponsor.page.context.close()
            journey.close()


def serve(config: dict) -> None:
    """The scenarios named on stdin, a name a line, one after another in one Playwright and one browser per set of
    launch arguments (a process, a driver and a browser cost about 2 CPU-seconds to start, issue 18); after each,
    one line on stdout: ``ok <name>`` or ``failed <name>``, the traceback and the pages on stderr. Anything a
    scenario prints goes to stderr, so that stdout carries only these lines."""
    answers, sys.stdout = sys.stdout, sys.stderr
    with sync_playwright() as playwright:
        browsers = {}

        def browser_with(extra: list[str]):
            if tuple(extra) not in browsers:
                browsers[tuple(extra)] = playwright.chromium.launch(
                    executable_path=config["chromium"], headless=True,
                    args=["--no-sandbox", "--disable-dev-shm-usage", *extra])
            return browsers[tuple(extra)]

        for line in sys.stdin:
            name = line.strip()
            print(f"=== scenario {name}", file=sys.stderr, flush=True)
            try:
                play(name, config, browser_with)
            except BaseException:
                traceback.print_exc()
                outcome = "failed"
            else:
                outcome = "ok"
            print(f"=== scenario {name} {outcome}", file=sys.stderr, flush=True)
            print(f"{outcome} {name}", file=answers, flush=True)
        for browser in browsers.values():
            browser.close()


if __name__ == "__main__":
    serve(json.loads(sys.argv[1]))
