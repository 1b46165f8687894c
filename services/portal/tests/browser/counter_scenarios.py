"""The on-site counter in a real browser (issue 20; P3–P7, X8), run by ``scenarios.py`` like the others: the
sponsor files and passes pre-verification (over the APIs: its pages are issue 19's scenarios); then through the
counter's pages only, the verifier finds the window in today's list with its deadline in Beijing time, books the
appointment, has a photo refused with each check's reason, takes the photo with the counter's camera (Chromium's
fake camera playing a real photograph), runs the face comparison with the person's consent and confirms it, keeps
the copies, records the originals (checked against the sandbox authorities), corrects on site the name the
sponsor mistyped, looks up the domain's owner, enters the access information (a foreign IP refused first), has the
agreement signed on the signature pad and decides; the sealed form opens and downloads; the bureau's reviewer
approves on the review page, and the sponsor's status page shows the number. Before, the verifier enters the
draft's access information (R1.8); after, the supervisor files a change of the approved site's hosting (W5),
registers the department and reads its quality report (W1). Every page is checked with axe-core.

The steps a verifier works on the case's pages (``upload_photo``, ``photo_taken``, ``originals``,
``correct_on_site``, ``check_domains``, ``save_access``, ``sign_agreement``, ``decide``) are also the bureau
return's (``bureau_scenarios.bureau_return``: its first verification and the one after the return).
"""
import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw
from playwright.sync_api import expect
from staff_scenarios import staff_sign_in

from shared.i18n import BEIJING, beijing
from shared.testing.documents import scans_of
from shared.testing.faces import backdrop_photo
from shared.testing.journey import PHOTOS
from shared.testing.samples import ACCESS, png, unit_filing

CAMERA_PHOTO = 95
"""The camera's picture: ``PHOTOS[95]`` (the astronaut on the backdrop), used by no other scenario, since a photo
used for another filing of the deployment is refused (P4)."""
FILED_NAME = "张山"  # the sponsor mistyped the responsible person's name; the ID card says 张三


def camera_photo() -> bytes:
    face, seed = PHOTOS[CAMERA_PHOTO]
    return backdrop_photo(faces=(face,), seed=seed)


def camera_args(directory: Path) -> list[str]:
    """Chromium's fake camera playing :func:`camera_photo` (a Y4M file, 4:2:0, one frame repeated)."""
    picture = Image.open(io.BytesIO(camera_photo())).convert("YCbCr")
    luma, blue, red = picture.split()
    half = (picture.width // 2, picture.height // 2)
    planes = [np.asarray(luma), *(np.asarray(c.resize(half, Image.BILINEAR)) for c in (blue, red))]
    path = directory / "counter-camera.y4m"
    path.write_bytes(f"YUV4MPEG2 W{picture.width} H{picture.height} F10:1 Ip A1:1 C420jpeg\n".encode()
                     + b"FRAME\n" + b"".join(p.tobytes() for p in planes))
    return ["--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={path}"]


def id_card() -> bytes:
    """A scan of the ID card's front: the same person's portrait on a card (X8's document photo)."""
    face, seed = PHOTOS[CAMERA_PHOTO]
    photo = Image.open(io.BytesIO(camera_photo()))
    x, y = 280 + seed % 40, 150 + seed % 30  # where backdrop_photo put the face
    card = Image.new("RGB", (856, 540), (236, 242, 248))
    card.paste(photo.crop((x - 20, y - 20, x + 260, y + 300)).resize((210, 240)), (600, 120))
    ImageDraw.Draw(card).rectangle((40, 60, 520, 90), fill=(200, 200, 200))
    out = io.BytesIO()
    card.save(out, format="PNG")
    return out.getvalue()


def counter(sponsor_at):
    data = unit_filing()
    data["responsible_person"]["name"] = FILED_NAME
    sponsor = sponsor_at(data)
    journey, filing = sponsor.journey, sponsor.filing
    journey.sign_in(filing)
    drafted = journey.client("intake", filing.token)
    filing.id = drafted.post("/filings", json=filing.data).json()["id"]
    # the scans say what was typed (X7 finds nothing at pre-verification): the originals at the counter differ
    for kind, scan in scans_of(filing.data).items():
        assert drafted.post(f"/filings/{filing.id}/documents", params={"kind": kind}, data=scan,
                            headers={"Content-Type": "image/jpeg"}).status_code == 201
    journey.accept_contract(filing)
    verifier = sponsor_at(permissions=["camera"])
    page, base = verifier.page, f"/staff/counter/{filing.id}"
    staff_sign_in(verifier, journey.verifier_token)
    # R1.8: the provider's staff enter the draft's access information, as the provider hosts the site
    page.get_by_role("link", name="接入信息", exact=True).click()
    page.get_by_label("备案申请编号").fill(filing.id)
    page.get_by_role("button", name="打开", exact=True).click()
    expect(page.locator("#hosting-state")).to_have_text("草稿")
    access_form(page, ACCESS)
    page.get_by_role("button", name="保存接入信息").click()
    expect(page.locator("#hosting-location")).to_have_text(ACCESS["server_location"])
    expect(page.locator("#hosting-problems")).to_have_count(0)
    verifier.audit("hosting")
    journey.submit(filing)
    journey.confirm_contacts(filing)
    journey.await_state(filing, "precheck_passed")
    case = journey.await_window(filing)
    # P3: today's open windows, the deadline in Beijing time; the appointment booked and shown
    verifier.go("/staff/counter")
    row = page.locator("#windows tr", has=page.get_by_role("link", name=filing.id[:8]))
    expect(row.locator(".deadline strong")).to_have_text(beijing(case["closes_at"]))
    row.get_by_role("link").click()
    at = (datetime.now(UTC) + timedelta(minutes=10)).astimezone(BEIJING).replace(second=0, microsecond=0)
    page.get_by_label("网站负责人到场时间（北京时间）").fill(at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="预约", exact=True).click()
    expect(page.locator("#appointment")).to_have_text(beijing(at))
    verifier.go("/staff/counter")
    expect(row.locator(".appointment")).to_have_text(beijing(at))
    if beijing(at)[:10] == beijing(datetime.now(UTC))[:10]:  # not in Beijing's last ten minutes of the day
        expect(page.locator("#today")).to_contain_text(beijing(at))
    verifier.audit("counter")
    # P4: a photo refused with each check's reason, in Chinese; then the counter's camera
    verifier.go(f"{base}/steps/photo")
    upload_photo(page, backdrop_photo(faces=(3, 7), grey=True, logo=False))
    refused = page.locator("#photo-refused")
    expect(refused).to_contain_text("照片须为彩色。")
    for check, shown in (("格式（JPEG 或 PNG）", "通过"), ("尺寸", "通过"), ("彩色", "未通过：照片须为彩色。"),
                         ("正面人脸（仅一人）", "未通过：照片中只能有一张人脸。"),
                         ("备案中心幕布标志", "未通过：照片中看不到备案中心幕布的标志。")):
        expect(refused.locator("tr", has=page.get_by_role("rowheader", name=check, exact=True)).locator("td")
               ).to_have_text(shown)
    verifier.audit("counter-photo-refused")
    page.get_by_role("button", name="开启摄像头").click()
    page.get_by_role("button", name="拍照并检查").click()
    photo_taken(verifier, filing)
    # X8: consent first, then the ID card's photo compared with the counter photo; staff confirm the outcome
    page.get_by_role("link", name="人脸比对", exact=True).click()
    page.get_by_role("button", name="本人同意进行人脸比对").click()
    page.get_by_label("证件照片文件").set_input_files(files=[{"name": "card.png", "mimeType": "image/png",
                                                              "buffer": id_card()}])
    page.get_by_role("button", name="比对", exact=True).click()
    expect(page.locator("#face-outcome")).to_contain_text("同一人")
    verifier.audit("counter-face")
    page.get_by_role("button", name="确认比对结果").click()
    expect(page.locator("#face-decision")).to_contain_text("确认模型结果")
    face = journey.case(filing)["face"]
    assert face["consent"] is True and face["outcome"] == "same_person" and face["distance"] < face["threshold"]
    assert face["decision"]["method"] == "model_confirmed" and face["decision"]["same_person"] is True
    # P5: copies kept, the originals against the authorities and the filing; P6: the mistyped name corrected
    original = unit_filing()
    originals(verifier, original)
    expect(page.locator("#differences")).to_have_text("网站负责人姓名：与原件不一致")
    verifier.audit("counter-originals")
    correct_on_site(page, "网站负责人姓名", original["responsible_person"]["name"])
    expect(page.locator("#differences")).to_have_text("证件持有人、证件类型和号码与原件一致。")
    check_domains(verifier)
    # R1.8, P5: the access information; an IP that is not the provider's own is refused, naming it
    page.get_by_role("link", name="接入信息", exact=True).click()
    ips = page.get_by_label("网站 IP 地址", exact=True)
    ips.fill("8.8.8.8")
    page.get_by_role("button", name="保存接入信息").click()
    expect(page.get_by_role("alert")).to_contain_text("该 IP 地址不在接入服务单位自己的地址段内。")
    save_access(verifier)
    sign_agreement(verifier, filing, original["responsible_person"]["name"])
    # P5–P7: nothing outstanding; the decision; the sealed form, its seal valid, shown and downloaded
    decide(verifier)
    expect(page.locator("#forms td.passed")).to_have_count(2)  # both copies' seals checked valid
    shown = page.get_by_role("link", name="核验单（接入服务单位留存）", exact=True)
    pdf = page.request.get(verifier.base + shown.get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
    assert pdf.headers["content-disposition"].startswith("inline")
    with page.expect_download() as saved:
        page.get_by_role("link", name="下载 核验单（报送通信管理局）").click()
    assert saved.value.suggested_filename == "form-bureau.pdf"
    assert Path(saved.value.path()).read_bytes()[:4] == b"%PDF"
    verifier.audit("counter-decided")
    # P8: the bureau's reviewer approves on the review page, the correction shown; the sponsor sees its number
    reviewer = sponsor_at()
    staff_sign_in(reviewer, journey.reviewer_token)
    journey.await_review(filing)
    reviewer.go(f"/staff/reviews/{filing.id}")
    review = reviewer.page
    assert "网站负责人姓名" in review.locator("main").inner_text()  # the on-site correction, for the reviewer
    review.get_by_role("button", name="审核通过并分配备案号").click()
    expect(review.locator("#review-state")).to_have_text("已通过")
    number = review.locator("#review-number").inner_text()
    sponsor.sign_in()
    sponsor.go(f"/filings/{filing.id}")
    sponsor.await_state("已备案")
    assert sponsor.page.locator("#filing-number").inner_text() == number
    # W5: the supervisor files a change of the approved site's hosting; W1: the department and its quality
    supervisor = sponsor_at()
    staff_sign_in(supervisor, journey.supervisor_token)
    assert supervisor.page.locator("main .cards a").all_inner_texts() == ["预核验队列", "当面核验", "接入信息",
                                                                          "核验部门与质量", "回访与存量核验"]
    supervisor.go(f"/staff/hosting/{filing.id}")
    moved = {**ACCESS, "server_location": "北京市海淀区"}
    access_form(supervisor.page, moved)
    supervisor.audit("hosting-change")
    supervisor.page.get_by_role("button", name="提交接入信息变更").click()
    expect(supervisor.page.locator("#hosting-location")).to_have_text("北京市海淀区")
    changed = journey.intake_view(filing)
    assert changed["version"] == 2 and changed["data"]["access"]["server_location"] == "北京市海淀区", changed
    department(supervisor)
    assert not [m for s in (verifier, reviewer, sponsor, supervisor) for m in s.console
                if "Content Security Policy" in m]


def upload_photo(page, photo: bytes) -> None:
    """P4: ``photo`` (a JPEG) uploaded on the photo step and checked, as against one taken with the camera."""
    page.get_by_label("或上传照片文件").set_input_files(files=[{"name": "photo.jpg", "mimeType": "image/jpeg",
                                                          "buffer": photo}])
    page.get_by_role("button", name="上传并检查").click()


def photo_taken(verifier, filing) -> None:
    """P4: the photo just taken or uploaded passed every check; its stamped copy shows when it was taken, in
    Beijing time (which also tells this photo from one taken before)."""
    page = verifier.page
    page.locator("#photo-checks").wait_for()
    assert "未通过" not in page.locator("#photo-checks").inner_text()
    expect(page.locator("figure.photo img")).to_have_js_property("naturalWidth", 800)  # the stamped copy
    taken = verifier.journey.case(filing)["photo"]
    assert taken["faces"] == 1 and taken["by"].endswith(":verifier-1"), taken
    expect(page.locator("figure.photo figcaption")).to_contain_text(beijing(taken["taken_at"], with_seconds=True))
    verifier.audit("counter-photo")


def originals(verifier, original: dict) -> None:
    """P5, from the case's pages: a copy of each original kept, then what the originals say (as in ``original``,
    a filing's data) entered with the ID card confirmed as the person's, checked against the authorities."""
    page = verifier.page
    page.get_by_role("link", name="证件原件", exact=True).click()
    for subject in ("sponsor", "responsible_person"):
        form = page.locator(f"form[action$='/copies/{subject}']")
        form.locator("input[type=file]").set_input_files(files=[{"name": f"{subject}.png", "mimeType": "image/png",
                                                                 "buffer": png(64, 48)}])
        with page.expect_navigation():
            form.get_by_role("button", name="留存复印件").click()
    expect(page.locator("#copies")).not_to_contain_text("尚未完成")
    for subject in ("sponsor", "responsible_person"):
        for field in ("name", "document_number"):
            page.locator(f"#o-{subject}-{field}").fill(original[subject][field])
    page.get_by_label("经当面比对，身份证为到场本人所有。").check()
    page.get_by_role("button", name="核对原件").click()
    expect(page.locator("#authority")).to_contain_text("公安机关")
    assert "不一致" not in page.locator("#authority").inner_text()


def correct_on_site(page, field: str, after: str) -> None:
    """P6, on the originals step: the field labelled ``field`` corrected on site to ``after``, and recorded."""
    page.locator("#correction-field").select_option(label=field)
    page.get_by_label("正确的值（以原件为准）").fill(after)
    page.get_by_role("button", name="当场更正").click()
    expect(page.locator("#corrections")).to_contain_text(field)


def check_domains(verifier) -> None:
    """P5: each domain's owner by RDAP (the sandbox registry knows the sample's domain as the sponsor's)."""
    page = verifier.page
    page.get_by_role("link", name="域名所有者", exact=True).click()
    page.get_by_role("button", name="查询域名所有者").click()
    expect(page.locator("#domain-checks")).to_contain_text("所有者与主办者一致")
    verifier.audit("counter-domains")


def save_access(verifier) -> None:
    """R1.8, P5: the access information as the provider hosts the site (its own IPs), saved on the access step."""
    page = verifier.page
    access_form(page, ACCESS)
    page.get_by_role("button", name="保存接入信息").click()
    expect(page.locator("#access-entered")).to_contain_text("verifier-1")
    verifier.audit("counter-access")


def sign_agreement(verifier, filing, signer: str) -> None:
    """P6, W3: the security agreement, its clause verbatim, signed by ``signer`` on the signature pad."""
    page = verifier.page
    page.get_by_role("link", name="信息安全管理协议", exact=True).click()
    assert "如备案信息不真实，将关闭网站并注销备案" in page.locator("#agreement-clause").inner_text()
    page.get_by_label("签署人（网站负责人）").fill(signer)
    pad = page.locator("#signature-pad").bounding_box()
    page.mouse.move(pad["x"] + 40, pad["y"] + pad["height"] / 2)
    page.mouse.down()
    for step in range(1, 24):
        page.mouse.move(pad["x"] + 40 + step * 20, pad["y"] + pad["height"] / 2 + (25 if step % 2 else -25))
    page.mouse.up()
    verifier.audit("counter-agreement")
    page.get_by_role("button", name="签署协议").click()
    expect(page.locator("#agreement-signed")).to_contain_text("verifier-1")
    agreement = verifier.journey.case(filing)["agreement"]
    assert re.fullmatch(r"[0-9a-f]{64}", agreement["signature_sha256"])
    assert agreement["signature_sha256"] != hashlib.sha256(b"").hexdigest()  # the drawing, not an empty pad


def decide(verifier) -> None:
    """P5–P7: nothing outstanding on the decision step; the decision sends the sealed form to the bureau."""
    page = verifier.page
    page.get_by_role("link", name="核验决定", exact=True).click()
    expect(page.locator("#outstanding")).to_have_count(0)
    verifier.audit("counter-decision")
    page.get_by_role("button", name="作出核验决定").click()
    expect(page.locator("#case-state")).to_have_text("已报送通信管理局")


def access_form(page, access: dict) -> None:
    page.get_by_label("接入服务单位", exact=True).fill(access["provider_name"])
    page.get_by_label("接入方式", exact=True).select_option(access["access_method"])
    page.get_by_label("服务器放置地", exact=True).fill(access["server_location"])
    page.get_by_label("网站 IP 地址", exact=True).fill("\n".join(access["ip_addresses"]))


def department(supervisor) -> None:
    """W1: the supervisor registers the department's members (itself, then the verifier it is responsible for);
    the verifier's decision and correction of the counter scenario count in the quality report, shown and as
    CSV."""
    page = supervisor.page
    supervisor.go("/staff/department")
    for staff_id, name, role, head in (("supervisor-1", "赵六", "主管", ""),
                                       ("verifier-1", "王五", "当面核验人员", "supervisor-1")):
        page.get_by_label("工号（其登录令牌中的用户标识）").fill(staff_id)
        page.get_by_label("姓名", exact=True).fill(name)
        page.get_by_label(role, exact=True).check()
        page.get_by_label("负责主管（工号；主管本人可不填）").fill(head)
        page.get_by_role("button", name="保存成员").click()
        expect(page.locator("#members")).to_contain_text(staff_id)
    row = page.locator("#quality tr", has=page.get_by_text("verifier-1", exact=True))
    cells = dict(zip(page.locator("#quality thead th").all_inner_texts()[1:], row.locator("td").all_inner_texts(),
                     strict=True))
    assert int(cells["当面核验决定"]) >= 1 and int(cells["现场更正"]) >= 1, cells
    assert "王五" in row.inner_text()
    supervisor.audit("department")
    href = page.get_by_role("link", name="下载 CSV").get_attribute("href")
    csv = page.request.get(supervisor.base + href)
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text().splitlines()[0].startswith("staff_id,name,roles") and "verifier-1,王五" in csv.text()
