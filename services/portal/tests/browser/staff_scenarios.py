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

from jwt.algorithms import OKPAlgorithm
from playwright.sync_api import expect

from shared.i18n import beijing
from shared.kernel.network import validate_domain
from shared.testing.http import token
from shared.testing.idp import TestIdentityProvider
from shared.testing.journey import PROVINCE
from shared.testing.samples import unit_filing
from shared.testing.stock import stock_csv, stock_row
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
    filing.documents = unit_filing()  # its licence has the full name it is corrected to (X7)
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


def center_console(sponsor_at):
    """The filing center's console (C1, C2, C4, P9, X5, X6): a filing approved by this deployment's bureau (京)
    beside the other bureaus' approvals the test published (``shared.testing.approvals.OTHER_BUREAUS``); the
    auditor draws the month's sample and records a phone check, opens the sample again by its seed, verifies the
    trail, reads the bulletin and the statistics as charts, runs the shell-site check after an inventory that
    lacks the filing's site, and reads the quarter's accuracy and filing rate with the provinces in the official
    order. Every page is checked with axe-core."""
    auditor = sponsor_at()
    journey, filing, page = auditor.journey, auditor.filing, auditor.page
    filing.photo_seed = 90  # a photo no other scenario's filing uses (P4)
    journey.happy_path(filing)
    approved = next(e for e in reversed(journey.timeline(filing)) if e["state"] == "approved")
    month = beijing(approved["at"])[:7]  # the month of the approval, in Beijing
    audit_api = journey.client("audit", journey.auditor_token)
    staff_sign_in(auditor, journey.auditor_token)
    # C1: the month's report per provider, the sample drawn, a phone check recorded
    auditor.go(f"/staff/samples?month={month}")
    auditor.await_text("provider-b")  # audit has taken the other bureaus' approvals in
    assert page.locator("nav.console-nav a").all_inner_texts() == ["季度准确率与备案率", "月度抽查", "通报与统计",
                                                                   "核查发现", "审计日志校验"]
    assert page.locator("#draw-month").input_value() == month
    auditor.audit("sample-draw")
    page.get_by_role("button", name="抽取样本").click()
    page.wait_for_url(re.compile(r".*/staff/samples/[0-9a-f-]{36}$"))
    sample_url = page.url
    page.get_by_role("heading", name=f"{month}抽查样本", level=1).wait_for()
    rows = page.locator("#sample-items tbody tr")
    assert rows.count() >= 5  # a stratum per province x provider: each of the five has a filing at least
    row_id = rows.first.get_attribute("id")
    rows.first.get_by_role("button", name="录入").click()  # no result chosen: audit refuses it, naming the field
    expect(page.get_by_role("alert")).to_contain_text("请选择电话核查结果。")
    rows.first.get_by_label(re.compile(r"的电话核查结果$")).select_option(label="无法接通")
    rows.first.get_by_role("button", name="录入").click()
    page.wait_for_url(re.compile(rf".*/staff/samples/[0-9a-f-]{{36}}#{row_id}$"))
    expect(page.locator(f"#{row_id} .phone-result")).to_have_text("无法接通")
    assert page.locator(f"#{row_id} form").count() == 0  # recorded: not offered again
    assert page.locator("#sample-checked").inner_text() == f"1/{rows.count()}"
    auditor.audit("sample-phone-check")
    seed = page.locator("#sample-seed").inner_text()
    auditor.go(f"/staff/samples?month={month}")
    page.get_by_label("抽样种子（选填）").fill(seed)
    page.get_by_role("button", name="抽取样本").click()
    page.wait_for_url(sample_url)  # the same month and seed: the sample drawn already
    expect(page.locator(f"#{row_id} .phone-result")).to_have_text("无法接通")
    # P9: the trail verified from its first entry
    auditor.go("/staff/trail")
    verdict = page.locator("#trail-verdict")
    expect(verdict).to_contain_text("审计日志完整，未被篡改。")
    assert int(re.search(r"已校验(\d+)条记录", verdict.inner_text())[1]) > 10
    auditor.audit("trail")
    # C4: the bulletin by province in the official order, the statistics as charts titled in Chinese, penalties
    auditor.go(f"/staff/bulletin?month={month}")
    provinces = page.locator("#bulletin-provinces tbody th").all_inner_texts()
    assert provinces == ["北京市", "河北省", "上海市", "广东省"], provinces
    assert page.locator("#statistics-province title").text_content() == f"省份（{month}）"
    bars = page.locator("#statistics-province text").all_text_contents()
    assert bars.index("北京市") < bars.index("河北省") < bars.index("上海市") < bars.index("广东省")
    assert "备案数（个）" in bars
    assert "责令限期整改" in page.locator("#penalties").inner_text()
    auditor.audit("bulletin")
    # X5: an inventory without the filing's site; the check run from the page finds it a shell site
    inventory = "domain\nstill-hosted.example.cn\n"
    assert audit_api.put(f"/providers/{journey.provider}/inventory", data=inventory.encode(),
                         headers={"Content-Type": "text/csv", "Idempotency-Key": f"shell-{filing.id}"}).ok
    shell = validate_domain(filing.domains[0]).ascii

    auditor.go(f"/staff/findings?month={month}")
    page.get_by_label("接入服务单位", exact=True).fill(journey.provider)
    page.get_by_role("button", name="查看").first.click()
    page.get_by_role("heading", name=f"{journey.provider}的空壳网站").wait_for()

    def found() -> bool:  # audit follows intake's approved sites from its events: the first runs may find none
        page.get_by_role("button", name="立即核查全部接入服务单位").click()
        page.locator("#shell-check-result").wait_for()
        return shell in page.locator("main").inner_text()

    wait_until("the filing's site found a shell site", found, 30, interval=1)
    row = page.locator("#shell-sites tr", has=page.get_by_role("rowheader", name=shell))
    assert "未整改" in row.inner_text()
    failures = page.locator("#monthly-findings tbody tr").all_inner_texts()
    assert any(line.split("\t")[-1].strip() == "1" for line in failures), failures  # the phone check recorded
    rows = {line.split("\t")[0].strip(): [cell.strip() for cell in line.split("\t")] for line in failures}
    assert rows["provider-b"][2] == "1", failures  # P9: the ID check flagged the person public security does not know
    auditor.audit("findings")
    # C2: the quarter's accuracy per province x provider and the filing rate, with every province in order
    assert audit_api.put("/providers/provider-b/inventory", data=b"domain\nsh-b.example.cn\ngd-b.example.cn\n"
                         b"unfiled-b.example.cn\n", headers={"Content-Type": "text/csv",
                                                             "Idempotency-Key": f"rate-{filing.id}"}).ok
    auditor.go("/staff/reports")
    rows = page.locator("#accuracy-table tbody th").all_inner_texts()
    assert rows == ["北京市", "河北省", "上海市", "广东省", "备案率"], rows
    labels = [t for t in page.locator("#accuracy-chart text").all_text_contents() if " · " in t]
    assert [label.split(" · ")[0] for label in labels] == ["京", "冀", "沪", "粤", "粤"], labels
    assert "66.7%（2/3）" in page.locator("#filing-rate-chart").text_content()
    auditor.audit("quarterly-accuracy")  # the same page as staff_consoles' picture, now with four provinces
    assert not [m for m in auditor.console if "Content Security Policy" in m]


def provider_reports(sponsor_at):
    """The provider's supervisor (W5, W6, X6): the revisit intake opened after a filing's approval, waiting for the
    sponsor's answer with its time in Beijing; a CSV of stock filings imported with its deadline, the bad row
    reported with its line and field, and the re-verification progress against the plan. Every page is checked
    with axe-core."""
    supervisor = sponsor_at()
    journey, filing, page = supervisor.journey, supervisor.filing, supervisor.page
    filing.photo_seed = 91  # a photo no other scenario's filing uses (P4)
    journey.happy_path(filing)
    staff_sign_in(supervisor, journey.supervisor_token)
    assert page.locator("main .cards a").all_inner_texts() == ["预核验队列", "当面核验", "接入信息", "核验部门与质量",
                                                              "回访与存量核验"]
    page.get_by_role("link", name="回访与存量核验").click()
    page.get_by_role("heading", name="回访", level=1).wait_for()
    # W5: the revisit opened seconds after the approval (the test's interval), waiting for the sponsor's answer
    supervisor.await_text(filing.id[:8])  # the sample unit's other filings share its number: the filing's own id
    row = page.locator("#open tr", has=page.get_by_role("cell", name=filing.id[:8], exact=True))
    assert row.locator("th").inner_text() == filing.number
    asked = next(r for r in journey.client("intake", journey.supervisor_token).get("/revisits").json()["open"]
                 if r["filing_id"] == filing.id)
    assert beijing(asked["answer_by"]) in row.inner_text()  # Beijing time
    assert int(page.locator("#revisit-counts li", has_text="待主办者答复").locator("strong").inner_text()) >= 1
    supervisor.audit("revisits")
    # W6: a CSV of stock filings, one row bad, imported with the day they are to be verified by
    page.get_by_role("link", name="存量网站核验").click()
    page.get_by_role("heading", name="存量网站核验", level=1).wait_for()
    rows = [stock_row(i, prefix="07") for i in range(3)] + [stock_row(3, prefix="07", bad="mobile")]
    page.get_by_label("存量备案CSV文件").set_input_files(
        files=[{"name": "stock.csv", "mimeType": "text/csv", "buffer": stock_csv(rows).encode()}])
    page.get_by_label("当面核验期限").fill("2099-12-31")
    page.get_by_role("button", name="导入", exact=True).click()
    page.wait_for_url(re.compile(r".*/staff/stock/imports/[0-9a-f-]{36}$"))
    assert [page.locator(f"#import-{k}").inner_text() for k in ("rows", "imported", "rejected")] == ["4", "3", "1"]
    rejected = page.locator("#rejections tbody tr")
    assert rejected.locator("th").inner_text() == "5" and "手机号码" in rejected.inner_text()  # line 5: the fourth row
    supervisor.audit("stock-import")
    page.get_by_role("link", name="存量网站核验").last.click()
    totals = page.locator("#stock-totals strong").all_inner_texts()
    assert totals[:3] == ["3", "0", "3"], totals  # planned, done, pending
    assert page.locator("#stock-imports tbody th").first.inner_text() == "2099-12-31 23:59"  # the day's end, Beijing
    assert "0.0%（0/3）" in page.locator("#stock-chart").text_content()
    supervisor.audit("stock")
    assert not [m for m in supervisor.console if "Content Security Policy" in m]


def staff_sign_in_through_the_idp(sponsor_at):
    """X6: a reviewer opens the review console, is sent to sign in, signs in through the organisation's identity
    provider (the code flow with PKCE, against the test IdP served here on the deployment's port) and lands on the
    review console; W4: the console of another role stays closed; the IdP's refusal is a page naming it."""
    idp_config = sponsor_at.config["idp"]
    key = OKPAlgorithm.from_jwk(idp_config["key"])
    with TestIdentityProvider(key, idp_config["redirect_uri"], port=idp_config["port"]) as idp:
        idp.person = {"sub": "reviewer-oidc-1", "role": "reviewer", "province": PROVINCE}
        reviewer = sponsor_at()
        page = reviewer.page
        reviewer.go("/staff/reviews")
        page.get_by_role("heading", name="工作人员登录", level=1).wait_for()
        reviewer.audit("staff-sign-in-idp")
        page.get_by_role("link", name="使用单位统一身份认证登录").click()
        page.get_by_role("heading", name="备案审核", level=1).wait_for()
        assert page.url == reviewer.base + "/staff/reviews", page.url
        assert "eyJ" not in page.content()  # the IdP's token stays in the encrypted session
        reviewer.go("/staff")
        assert page.locator("main .cards a").all_inner_texts() == ["备案审核"]
        reviewer.go("/staff/counter")  # W4: not a reviewer's console
        assert page.get_by_role("heading", level=1).inner_text() == "无权访问此工作台"
        # the IdP refuses the next person: an error page in Chinese naming it, nobody signed in
        idp.deny = "access_denied"
        refused = sponsor_at()
        refused.go("/staff/sign-in")
        refused.page.get_by_role("link", name="使用单位统一身份认证登录").click()
        refused.page.get_by_role("heading", name="登录失败", level=1).wait_for()
        expect(refused.page.locator("main")).to_contain_text("统一身份认证未同意登录")
        refused.audit("staff-sign-in-refused")
        refused.go("/staff")
        refused.page.get_by_role("heading", name="工作人员登录", level=1).wait_for()
