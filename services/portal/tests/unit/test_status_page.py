"""The status page while the contact codes are on their way (P2, issue 19): precheck opens its case from the
submission's event a moment after the submission, so the page first shown may have no codes to ask for; it must
then fetch itself again and swap the code forms in, not leave the sponsor on a page that asks for codes it lacks."""
from datetime import UTC, datetime

import pytest
from lxml import html

from portal.pages import ENVIRONMENTS
from portal.sessions import Session

pytestmark = pytest.mark.unit

FILING = {"id": "d4636a0f-ad2d-4b78-a796-dc6fbf1b65ec", "state": "submitted", "data": {"sponsor": {"name": "示例"}}}
CASE = {"deadline": datetime(2030, 1, 8, 2, tzinfo=UTC).isoformat(), "deadline_note": None,
        "contacts": {"sms": {"confirmed": False, "expires_at": datetime(2030, 1, 2, 2, tzinfo=UTC).isoformat()},
                     "email": {"confirmed": True, "expires_at": datetime(2030, 1, 2, 2, tzinfo=UTC).isoformat()}}}


def status(case: dict | None) -> html.HtmlElement:
    page = ENVIRONMENTS["zh_CN"].get_template("status.html").render(
        session=Session(), csrf="c", path=f"/filings/{FILING['id']}", filing=FILING, timeline=[], case=case,
        revisits=[], passed=None, reasons=None, editable=False, number=None, province="北京")
    return html.fromstring(page)


@pytest.mark.req("P2")
def test_before_precheck_opens_its_case_the_page_fetches_its_own_code_section_until_the_forms_exist():
    waiting = status(None).get_element_by_id("codes")
    assert waiting.get("hx-get") == f"/filings/{FILING['id']}" and waiting.get("hx-select") == "#codes"
    assert waiting.get("hx-trigger").startswith("every ") and waiting.get("hx-swap") == "outerHTML"
    assert "验证码正在发送" in waiting.text_content()
    assert not waiting.xpath(".//form")


@pytest.mark.req("P2")
def test_once_the_case_is_open_the_same_section_holds_the_unconfirmed_channels_forms_and_stops_asking():
    codes = status(CASE).get_element_by_id("codes")
    assert codes.get("hx-trigger") is None
    assert [f.get("action") for f in codes.xpath(".//form[contains(@class, 'code')]")] == [
        f"/filings/{FILING['id']}/contacts/sms"]
