"""The staff's consoles in a real browser (issue 20), run by ``scenarios.py`` like the sponsor's scenarios: the
provider's pre-verification officer signs in with a token minted by ``icp-token`` and fails a filing with a field
reason; the sponsor corrects it (over intake's API: the sponsor's pages are issue 19's scenarios); the on-site
steps before the decision go over verification's API (their pages are ``counter_scenarios.py``'s); the verifier
decides at the counter and opens the sealed form; the bureau's reviewer opens the sealed form through
the recorded short-lived link and approves; a reviewer of another province sees none of the filing. Every console
page is checked with axe-core."""
import re
import subprocess
import sys

from playwright.sync_api import expect

from shared.i18n import beijing
from shared.testing.http import token
from shared.testing.samples import unit_filing
from shared.testing.system import wait_until


def icp_token(*args: str) -> str:
    """A token as a developer mints it: the ``icp-token`` command (shared.platform.auth's main)."""
    done = subprocess.run([sys.executable, "-c", "import sys; from shared.platform.auth import main; "
                           "sys.exit(main(sys.argv[1:]))", *args], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def staff_sign_in(person, bearer: str) -> None:
    person.go("/staff/sign-in")
    person.page.get_by_label("您的令牌").fill(bearer)
    person.page.get_by_role("button", name="登录", exact=True).click()
    person.page.get_by_role("heading", name="工作台", level=1).wait_for()


def staff_consoles(sponsor_at):
    data = unit_filing()
    data["sponsor"]["name"] = "有限公司"  # not a full unit name: it waits for a person at pre-verification
    officer = sponsor_at(data)
    journey, filing, page = officer.journey, officer.filing, officer.page
    filing.photo_seed = 50  # each scenario is a process of its own: the others' first photo is taken (P4, reused)
    journey.sign_in(filing)
    journey.draft(filing)
    journey.submit(filing)
    journey.confirm_contacts(filing)
    # X6: a bad token is refused on the sign-in page, naming the field; a good one shows only the role's consoles
    officer.go("/staff/sign-in")
    officer.audit("staff-sign-in")
    page.get_by_label("您的令牌").fill("not-a-token")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("令牌：令牌无效或已过期")
    staff_sign_in(officer, icp_token("precheck", "precheck-7", "--provider", journey.provider))
    assert page.locator("main .cards a").all_inner_texts() == ["预核验队列", "接入信息"]
    assert "eyJ" not in page.content()  # the token stays in the encrypted session
    officer.audit("staff-home")
    officer.go("/staff/reviews")  # not a pre-verification officer's console
    assert page.get_by_role("heading", level=1).inner_text() == "无权访问此工作台"
    # P2: the queue, the deadline in Beijing time, claim, fail with the field and the reason
    case = wait_until("the filing in the precheck queue", lambda: next(
        (c for c in journey.client("precheck", journey.precheck_token).get("/queue").json()["items"]
         if c["filing_id"] == filing.id), None), 30)
    officer.go("/staff/precheck")
    row = page.locator("tr", has=page.get_by_role("link", name=filing.id[:8]))
    expect(row.locator(".deadline strong")).to_have_text(beijing(case["deadline"]))
    officer.audit("precheck-queue")
    row.get_by_role("link").click()
    page.get_by_role("button", name="认领").click()
    page.get_by_role("button", name="不予通过").wait_for()
    officer.audit("precheck-decision")
    page.get_by_role("button", name="不予通过").click()  # a fail without a reason: precheck names what is missing
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("字段").select_option(label="主办者名称")
    page.get_by_label("原因").fill("单位名称不完整，请填写营业执照上的全称")
    page.get_by_role("button", name="不予通过").click()
    page.wait_for_url(re.compile(r".*/staff/precheck$"))
    journey.await_state(filing, "precheck_failed")
    reasons = [e for e in journey.timeline(filing) if e.get("reasons")][-1]["reasons"]
    assert reasons[0]["field"] == "sponsor.name" and reasons[0]["message"].startswith("单位名称不完整")
    # the sponsor corrects the name and submits again; it passes on its own (contacts confirmed before)
    journey.edit(filing, {"sponsor": {"name": unit_filing()["sponsor"]["name"]}})
    journey.submit(filing)
    journey.await_state(filing, "precheck_passed")
    journey.verify_on_site(filing)
    # P5, P6: the counter: every check with its outcome, the decision, the sealed form
    verifier = sponsor_at()
    staff_sign_in(verifier, journey.verifier_token)
    assert verifier.page.locator("main .cards a").all_inner_texts() == ["当面核验", "接入信息"]
    verifier.go("/staff/counter")
    verifier.audit("counter")
    verifier.page.get_by_role("link", name=filing.id[:8]).click()
    counter = verifier.page
    expect(counter.locator("#case-state")).to_have_text("待当面核验")
    checks = counter.locator("table.checks").inner_text()
    assert "已拍摄" in checks and "已与权威数据源核对" in checks and "已签署" in checks, checks
    assert counter.locator("#outstanding").count() == 0  # nothing outstanding: it may be decided
    verifier.audit("counter-decision")
    counter.get_by_role("button", name="作出核验决定").click()
    expect(counter.locator("#case-state")).to_have_text("已报送通信管理局")
    form_link = counter.get_by_role("link", name="核验单（接入服务单位留存）", exact=True)
    pdf = counter.request.get(verifier.base + form_link.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
    verifier.audit("counter-decided")
    # P8, B1: the reviewer of the filing's province: the queue, the review, the evidence, the approval
    reviewer = sponsor_at()
    staff_sign_in(reviewer, journey.reviewer_token)
    journey.await_review(filing)
    reviewer.go("/staff/reviews")
    reviewer.audit("review-queue")
    reviewer.page.get_by_role("link", name=filing.id[:8]).click()
    review = reviewer.page
    expect(review.locator("#review-state")).to_have_text("待审核")
    assert review.locator("#seal").inner_text() == "电子签章有效"
    reviewer.audit("review-decision")
    with review.expect_response(lambda r: "/evidence/form_bureau_copy" in r.url) as opened:
        review.get_by_role("button", name="核验单（报送通信管理局）").click()
    assert opened.value.status == 200 and opened.value.headers["content-type"] == "application/pdf"
    accesses = journey.client("bureau", journey.reviewer_token).get(f"/reviews/{filing.id}/evidence-accesses")
    assert [a["item"] for a in accesses.json()["items"]] == ["form_bureau_copy"]  # the opening is recorded
    reviewer.go(f"/staff/reviews/{filing.id}")
    review.get_by_role("button", name="审核通过并分配备案号").click()
    expect(review.locator("#review-state")).to_have_text("已通过")
    number = review.locator("#review-number").inner_text()
    reviewer.audit("review-approved")
    assert journey.await_state(filing, "approved")["filing_number"] == number
    # B1: a reviewer of another province sees none of the filing
    other = sponsor_at(prefix="staff-other-")
    staff_sign_in(other, token("reviewer", "reviewer-9", province="粤"))
    other.go("/staff/reviews")
    assert filing.id[:8] not in other.page.locator("main").inner_text()
    answer = other.page.goto(other.base + f"/staff/reviews/{filing.id}")
    assert answer.status == 404
    # C2, X6: the filing center's auditor: the quarter's accuracy per province x provider and the filing rate, as
    # a table and as charts titled in Chinese, provinces in the official order
    auditor = sponsor_at()
    inventory = "domain\n" + "\n".join([*filing.domains, "unfiled.example.cn"]) + "\n"  # P10: hosted, one unfiled
    assert journey.client("audit", journey.auditor_token).put(
        f"/providers/{journey.provider}/inventory", data=inventory.encode(),
        headers={"Content-Type": "text/csv", "Idempotency-Key": filing.id}).status_code == 200
    staff_sign_in(auditor, journey.auditor_token)
    assert auditor.page.locator("main .cards a").all_inner_texts() == ["备案信息核查"]
    auditor.go("/staff/reports")
    auditor.await_text("北京市")  # audit has taken the approval in
    table = auditor.page.locator("#accuracy-table")
    rows = table.locator("tbody th").all_inner_texts()
    assert rows[-1] == "备案率" and rows[0] == "北京市", rows
    assert re.search(r"\d+\.\d%（\d+/\d+）", table.inner_text())
    assert table.locator("tbody tr").last.inner_text().endswith("50.0%（1/2）")  # the filing rate of the inventory
    title = auditor.page.locator("#accuracy-chart title").text_content()
    assert re.fullmatch(r"\d{4}年第[1-4]季度备案信息准确率（按省份、接入服务单位）", title), title
    assert "准确率（%）" in auditor.page.locator("#accuracy-chart").text_content()  # SVG: no innerText
    assert re.fullmatch(r"\d+\.\d%（\d+/\d+）", auditor.page.locator("#accuracy-chart .value").first.text_content())
    assert auditor.page.locator("#filing-rate-chart .value").first.text_content() == "50.0%（1/2）"
    assert auditor.page.locator("#filing-rate-chart title").text_content().endswith("备案率（按接入服务单位）")
    auditor.audit("quarterly-accuracy")
    assert not [m for s in (officer, verifier, reviewer, auditor) for m in s.console
                if "Content Security Policy" in m]
