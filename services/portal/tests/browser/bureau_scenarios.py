"""The provincial bureau's pages in a real browser (issue 20), run by ``scenarios.py`` like the others.

``bureau_return`` (P8, B1, X2, X6): two filings reach the bureau, one verified on the counter's pages by a
verifier signed in (photo uploaded, copies and originals, domain owner, access, agreement on the pad, decision),
the other over the services' APIs (the sponsor's steps before the counter too: they are issue 19's scenarios);
the responsible person meets a wrong code on the MIIT SMS check page (no login), is told the tries left, and
passes; the reviewer finds both in the province's queue, nearest deadline first, each deadline in Beijing time;
returns one through its review page naming two fields and their reasons; the sponsor's status page shows the
return with the reasons; on the counter's pages the verifier reads the bureau's reasons, verifies again with the
sponsor present (a new photo), corrects the address on site, has the agreement signed anew and sends it; the
second MIIT check passes on the page; the reviewer sees the second submission with the correction and approves;
the sponsor's status page shows the number. A reviewer of another province sees none of
the filing: not in the queue, no review page, no evidence, no inspection or penalty of this province.

``bureau_oversight`` (B2, A1, X9, X6): after a filing is approved, the public query (no login) finds it by number,
domain and unit name, says when nothing is found and names a malformed number; a visitor past the bureau's limit
a minute is told how long to wait; the reviewer plans an inspection of the provider (a bad sample size refused,
naming the field), sees the drawn sample, records a finding and reads the score; issues a penalty (a past deadline
refused), sees it tracked and closes it. Every page is checked with axe-core."""
import re
import time
import uuid
from datetime import datetime, timedelta

from counter_scenarios import (
    check_domains,
    correct_on_site,
    decide,
    originals,
    photo_taken,
    save_access,
    sign_agreement,
    upload_photo,
)
from playwright.sync_api import expect
from staff_scenarios import staff_sign_in

from shared.i18n import BEIJING, beijing
from shared.testing.http import token
from shared.testing.journey import MIIT_MARK, photo_of
from shared.testing.samples import unit_filing
from shared.testing.system import wait_until

CORRECTED_ADDRESS = "北京市海淀区示例路1号2单元301室"
# The photos of this module's filings (P4: a photo is used once in a deployment), ``PHOTOS[n]``: the returned
# filing's at each visit, the other filing's, and ``bureau_oversight``'s.
FIRST_VISIT, OTHER, SECOND_VISIT, OVERSIGHT = 100, 101, 102, 110


def miit_on_the_page(person, filing, application: str | None = None) -> None:
    """X2: the responsible person enters the code the bureau texted, with the ID document's last six characters,
    on the bureau's public page (no login). With the ``application`` number typed in (as read on the sponsor's
    status page), first a wrong code, to be told the tries left; without, the page opened with the number and the
    code sent again."""
    page, tail = person.page, filing.data["responsible_person"]["document_number"][-6:]
    code = person.code(MIIT_MARK, lambda: person.journey.sms_to(filing), filing.codes_used)
    wrong_first = application is not None
    if wrong_first:
        person.go("/miit-check")
        person.audit("miit-check")
        page.locator("#miit-filing").fill(application)
        page.get_by_label("短信验证码").fill(f"{(int(code) + 1) % 10 ** 6:06d}")
        page.locator("#miit-tail").fill(tail)
        page.get_by_role("button", name="提交核验", exact=True).click()
        expect(page.locator("#miit-error")).to_have_text("验证码不正确，还可尝试4次。")
        expect(page.locator("#miit-tail")).to_have_value(tail)  # kept: only the code is typed again
        assert page.get_by_label("短信验证码").get_attribute("aria-invalid") == "true"
        person.audit("miit-check-wrong")
    else:  # the code asked for again (a new one; the one received before no longer counts)
        person.go(f"/miit-check?filing={filing.id}")
        page.locator("details.resend summary").click()
        page.locator("#resend-tail").fill(tail)
        page.get_by_role("button", name="重新发送验证码").click()
        expect(page.locator("#miit-resent")).to_be_visible()
        person.audit("miit-check-resent")
        code = person.code(MIIT_MARK, lambda: person.journey.sms_to(filing), filing.codes_used)
        expect(page.locator("#miit-tail")).to_have_value(tail)
    expect(page.locator("#miit-filing")).to_have_value(filing.id)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="提交核验", exact=True).click()
    expect(page.locator("#miit-passed")).to_contain_text("核验通过")
    if wrong_first:
        person.audit("miit-check-passed")


def verify_at_the_counter(verifier, filing) -> None:
    """P4–P7 on the counter's pages for ``filing``, its window open: the photo uploaded, copies and originals kept
    and checked, the domain's owner, the access information, the agreement signed, the decision."""
    verifier.go(f"/staff/counter/{filing.id}/steps/photo")
    upload_photo(verifier.page, photo_of(filing))
    photo_taken(verifier, filing)
    originals(verifier, filing.data)
    expect(verifier.page.locator("#differences")).to_have_text("证件持有人、证件类型和号码与原件一致。")
    check_domains(verifier)
    verifier.page.get_by_role("link", name="接入信息", exact=True).click()
    save_access(verifier)
    sign_agreement(verifier, filing, filing.data["responsible_person"]["name"])
    decide(verifier)


def verify_again(verifier, filing) -> None:
    """P8 on the counter's pages: the returned filing's window in today's list, the bureau's reasons on its case,
    the responsible person present again (a new photo), the address the reviewer named corrected on site (P6), the
    agreement signed anew, the decision: sent to the bureau a second time. The evidence kept at the first visit
    (copies, originals, domain owner, access) stays in the file."""
    page = verifier.page
    verifier.go("/staff/counter")
    page.get_by_role("link", name=filing.id[:8]).click()
    expect(page.locator("#bureau-return")).to_contain_text("通信地址：通信地址缺少门牌号，请核对")
    assert "办公电话：办公电话无法接通" in page.locator("#bureau-return").inner_text()
    expect(page.locator("#outstanding")).to_contain_text("信息安全管理协议")  # signed anew at each visit
    verifier.audit("counter-returned")
    filing.photo_seed = SECOND_VISIT
    verifier.go(f"/staff/counter/{filing.id}/steps/photo")
    upload_photo(page, photo_of(filing))
    photo_taken(verifier, filing)
    page.get_by_role("link", name="证件原件", exact=True).click()
    correct_on_site(page, "通信地址", CORRECTED_ADDRESS)
    verifier.audit("counter-corrected")
    sign_agreement(verifier, filing, filing.data["responsible_person"]["name"])
    decide(verifier)


def bureau_return(sponsor_at):
    sponsor = sponsor_at(unit_filing(), prefix="returned-")
    journey, filing = sponsor.journey, sponsor.filing
    filing.photo_seed = FIRST_VISIT  # each scenario's filings take photos of their own (P4: a photo is used once)
    other = journey.new_filing()
    other.photo_seed = OTHER
    journey.pass_precheck(filing)  # the sponsor's steps (P1–P3) over the services' APIs
    verifier = sponsor_at(prefix="returned-")
    staff_sign_in(verifier, journey.verifier_token)
    verify_at_the_counter(verifier, filing)
    journey.send_to_bureau(other)  # the provider's steps (P1–P7) over the services' APIs
    # X2: the sponsor's status page gives the application number the MIIT check asks for
    sponsor.sign_in()
    sponsor.go(f"/filings/{filing.id}")
    sponsor.await_state("通信管理局审核中")
    application = sponsor.page.locator("#application-number").inner_text()
    assert application == filing.id and "24小时内" in sponsor.page.locator("#miit-note").inner_text()
    sponsor.audit("status-in-review")
    # the responsible person, no login: a wrong code and the tries left, then the right one
    person = sponsor_at(prefix="")
    miit_on_the_page(person, filing, application)
    journey.await_review(other)  # its check passed over the bureau's public API
    # P8: the province's queue, nearest deadline first, each deadline in Beijing time
    reviewer = sponsor_at()
    staff_sign_in(reviewer, journey.reviewer_token)
    reviewer.go("/staff/reviews")
    reviewer.await_text(filing.id[:8])
    queue = journey.client("bureau", journey.reviewer_token).get("/reviews").json()["items"]
    rows = reviewer.page.locator("#review-queue tbody tr")
    shown = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert shown == [r["filing_id"][:8] for r in queue] and {filing.id[:8], other.id[:8]} <= set(shown)
    deadlines = [r["deadline"] for r in queue]
    assert deadlines == sorted(deadlines, key=datetime.fromisoformat)  # the nearest first
    assert reviewer.page.locator("#review-queue .deadline strong").all_inner_texts() == [beijing(d) for d in deadlines]
    reviewer.audit("review-queue")
    # B1, P8: the review page; a return without a reason is refused, then two fields with their reasons
    reviewer.page.get_by_role("link", name=filing.id[:8]).click()
    review = reviewer.page
    expect(review.locator("#review-state")).to_have_text("待审核")
    expect(review.locator("#miit-state")).to_have_text("已通过")
    expect(review.locator("#review-submission")).to_have_text("第1次")
    reviewer.audit("review-decision")
    review.get_by_role("button", name="退回", exact=True).click()
    expect(review.get_by_role("alert")).to_contain_text("请至少写明一项退回原因")
    form = review.locator("form.reason")
    form.locator("#field-0").select_option(label="通信地址")
    form.locator("#message-0").fill("通信地址缺少门牌号，请核对")
    form.locator("#field-1").select_option(label="办公电话")
    form.locator("#message-1").fill("办公电话无法接通")
    review.get_by_role("button", name="退回", exact=True).click()
    expect(review.locator("#review-state")).to_have_text("已退回")
    reasons = review.locator("#return-reasons").inner_text()
    assert "通信地址：通信地址缺少门牌号，请核对" in reasons and "办公电话：办公电话无法接通" in reasons, reasons
    reviewer.audit("review-return")
    # X4: the sponsor's status page says the bureau returned it, with the reasons
    sponsor.await_state("通信管理局退回")
    assert "通信地址：通信地址缺少门牌号，请核对" in sponsor.page.locator("main").inner_text()
    sponsor.audit("status")
    # P8: the counter verifies again on its pages, the sponsor present: the address corrected on site, sent anew
    case = journey.await_window(filing)
    assert case["sending"] == 2 and [r["field"] for r in case["returned"][0]["reasons"]] == [
        "contacts.postal_address", "contacts.office_phone"]
    verify_again(verifier, filing)
    case = journey.case(filing)
    assert [c["field"] for c in case["corrections"]] == ["contacts.postal_address"], case["corrections"]
    wait_until("the second review", lambda: journey.review(filing)["submission"] == 2, 30)
    miit_on_the_page(person, filing)
    # the second submission, with the correction, approved on the page; the number on the sponsor's status page
    reviewer.go(f"/staff/reviews/{filing.id}")
    expect(review.locator("#review-submission")).to_have_text("第2次")
    assert "通信地址" in review.locator("#corrections").inner_text()
    reviewer.audit("review-corrected")
    review.get_by_role("button", name="审核通过并分配备案号").click()
    expect(review.locator("#review-state")).to_have_text("已通过")
    number = review.locator("#review-number").inner_text()
    sponsor.await_state("已备案")
    assert sponsor.page.locator("#filing-number").inner_text() == number
    sponsor.audit("status-approved")
    states = [e["state"] for e in journey.timeline(filing)]
    assert states == ["draft", "submitted", "precheck_passed", "onsite_verified", "in_bureau_review",
                      "returned_by_bureau", "onsite_verified", "in_bureau_review", "approved"], states
    # B1: a reviewer of another province sees none of it: queue, review, evidence, oversight
    stranger = sponsor_at(prefix="other-")
    staff_sign_in(stranger, token("reviewer", "reviewer-9", province="粤"))
    stranger.go("/staff/reviews")
    assert filing.id[:8] not in stranger.page.locator("main").inner_text()
    assert stranger.page.goto(stranger.base + f"/staff/reviews/{filing.id}").status == 404
    csrf = stranger.page.locator("input[name=csrf]").first.input_value()
    opened = stranger.page.request.post(stranger.base + f"/staff/reviews/{filing.id}/evidence/photo",
                                        form={"csrf": csrf})
    assert opened.status == 404 and opened.headers["content-type"].startswith("text/html")
    accesses = journey.client("bureau", journey.reviewer_token).get(f"/reviews/{filing.id}/evidence-accesses")
    assert all(a["viewer"] != "bureau:京:reviewer-9" for a in accesses.json()["items"])
    for path in ("/staff/inspections", "/staff/penalties"):
        assert stranger.page.goto(stranger.base + path).status == 403
    assert not [m for s in (sponsor, verifier, person, reviewer) for m in s.console if "Content Security Policy" in m]


def query(person, by: str, asked: str) -> None:
    page = person.page
    person.go("/query")
    page.get_by_label({"number": "备案号", "domain": "域名", "name": "单位名称"}[by], exact=True).check()
    page.get_by_label("备案号、域名或单位名称").fill(asked)
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url(re.compile(r".*/query\?"))


def bureau_oversight(sponsor_at):
    visitor = sponsor_at(prefix="")
    journey, filing = visitor.journey, visitor.filing
    filing.photo_seed = OVERSIGHT
    journey.happy_path(filing)
    # X9: the public query, no login: by number (older forms too), by domain, by the unit's name
    page = visitor.page
    query(visitor, "number", f"{filing.number}-1")
    expect(page.locator("#found-number")).to_have_text(filing.number)
    assert filing.domains[0] in page.locator("#found-websites").inner_text()
    assert filing.mobile not in page.content() and filing.data["responsible_person"]["name"] not in page.content()
    visitor.audit("public-query")
    query(visitor, "domain", filing.domains[0])
    expect(page.locator("#found-number")).to_have_text(filing.number)
    query(visitor, "name", filing.data["sponsor"]["name"])
    expect(page.locator("#found-sponsor")).to_have_text(filing.data["sponsor"]["name"])
    query(visitor, "number", "京ICP备05012345号")  # an older number this bureau never issued
    expect(page.locator("#query-result")).to_have_text("未查询到“京ICP备05012345号”的有效备案信息。")
    visitor.audit("public-query-none")
    query(visitor, "number", "ICP-12")
    expect(page.locator("#query-error")).to_contain_text("备案号")
    visitor.audit("public-query-error")
    # X9: a visitor past the limit a minute is told when to ask again (its address forwarded by the portal)
    crowd = sponsor_at(prefix="", extra_http_headers={"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250 + 1}"})
    while time.time() % 60 > 40:  # the bureau counts a calendar minute: all 31 queries in the same one
        time.sleep(1)
    for _ in range(30):
        assert crowd.page.request.get(crowd.base + f"/query?by=domain&q={filing.domains[0]}").status == 200
    answer = crowd.page.goto(crowd.base + f"/query?by=domain&q={filing.domains[0]}")
    assert answer.status == 429
    limited = crowd.page.locator("#query-error").inner_text()
    assert re.search(r"查询过于频繁：每分钟最多查询30次，请于\d+秒后再试。", limited), limited
    crowd.audit("public-query-limit")
    visitor.go(f"/query?by=domain&q={filing.domains[0]}")  # another visitor is still answered
    expect(page.locator("#found-number")).to_have_text(filing.number)
    # B2: an inspection of the provider: a bad sample size refused by field, then the sample, a finding, the score
    reviewer = sponsor_at()
    staff_sign_in(reviewer, journey.reviewer_token)
    reviewer.go("/staff/inspections")
    review = reviewer.page
    review.locator("#plan-provider").fill(journey.provider)
    review.get_by_label("抽样数量").fill("0")
    review.get_by_role("button", name="安排检查并抽样").click()
    expect(review.get_by_role("alert")).to_contain_text("抽样数量超出允许的范围")
    review.get_by_label("抽样数量").fill("20")  # every filing of the provider here this year
    review.get_by_role("button", name="安排检查并抽样").click()
    review.wait_for_url(re.compile(r".*/staff/inspections/[0-9a-f-]{36}$"))
    sample = review.locator("#sample code").all_inner_texts()
    assert filing.id in sample, sample
    reviewer.audit("inspection")
    review.get_by_label("检查方面").first.select_option(label="留存资料")
    review.get_by_label("严重程度").first.select_option(label="严重")
    review.get_by_label("涉及的抽样备案（选填）").first.select_option(label=filing.id[:8])
    review.get_by_label("检查发现", exact=True).first.fill("现场照片未见背景板标识")
    review.get_by_role("button", name="记录检查结果").click()
    expect(review.locator("#inspection-score strong")).to_have_text("90.0")
    assert "留存资料" in review.locator("#findings").inner_text()
    assert "90.0" in review.locator("#compliance").inner_text()
    reviewer.audit("inspection-recorded")
    reviewer.go("/staff/inspections")
    assert "90.0" in review.locator("#inspections tbody tr").first.inner_text()
    reviewer.audit("inspections")
    # A1: a penalty with a rectification deadline (one in the past refused), tracked, then closed
    reviewer.go("/staff/penalties")
    review.locator("#issue-provider").fill(journey.provider)
    review.get_by_label("涉及的备案（选填）").fill(filing.id)
    review.locator("#issue-kind").select_option(label="责令限期整改")
    review.locator("#issue-reason").fill("未当面核验网站负责人")
    today = datetime.now(BEIJING).date()
    review.get_by_label("整改期限").fill((today - timedelta(days=1)).isoformat())
    review.get_by_role("button", name="作出处罚").click()
    expect(review.get_by_role("alert")).to_contain_text("整改期限不能是过去的时间")
    due = today + timedelta(days=30)
    review.get_by_label("整改期限").fill(due.isoformat())
    review.get_by_role("button", name="作出处罚").click()
    review.wait_for_url(re.compile(r".*/staff/penalties$"))
    row = review.locator("#penalties tbody tr", has_text="未当面核验网站负责人").first
    expect(row.locator(".penalty-state")).to_have_text("整改中")
    assert f"{due.isoformat()} 23:59" in row.inner_text()
    reviewer.audit("penalties")
    row.locator("summary").click()
    row.get_by_label("整改情况").fill("已补做当面核验并更新核验单")
    row.get_by_role("button", name="关闭整改要求").click()
    review.wait_for_url(re.compile(r".*/staff/penalties$"))
    row = review.locator("#penalties tbody tr", has_text="未当面核验网站负责人").first
    expect(row.locator(".penalty-state")).to_have_text("已整改")
    reviewer.audit("penalties-closed")
    assert not [m for s in (visitor, crowd, reviewer) for m in s.console if "Content Security Policy" in m]
