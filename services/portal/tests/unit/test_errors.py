"""The portal's error pages (issue 19): what a page does not answer itself is an HTML page in Chinese with every
page's security headers, never the API's JSON body; the status is the platform's."""
import pytest
from werkzeug.exceptions import RequestEntityTooLarge

from portal.errors import PageHttp, error_page
from portal.pages import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.unit


def entrypoint() -> PageHttp:
    handler = PageHttp("POST", "/filings/<filing_id>/documents", max_body=1024)
    handler.method_name = "upload"  # what binding to the service sets
    return handler


@pytest.mark.req("X6")
def test_an_upload_over_the_limit_is_a_page_that_says_so_in_chinese():
    answer = entrypoint().response_from_exception(RequestEntityTooLarge())
    page = answer.get_data(as_text=True)
    assert answer.status_code == 413 and answer.mimetype == "text/html"
    assert '<html lang="zh-CN">' in page and "文件太大" in page and "10 MB" in page
    assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert answer.headers["Content-Language"] == "zh-CN"


@pytest.mark.req("X6")
def test_an_unexpected_failure_is_a_page_that_reveals_nothing():
    answer = entrypoint().response_from_exception(RuntimeError("secret detail 13800138000"))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 500 and answer.mimetype == "text/html"
    assert "系统出现问题" in page and "secret" not in page and "13800138000" not in page
    assert "Set-Cookie" not in answer.headers  # no session is opened or overwritten here


def test_the_not_found_page_names_the_way_back():
    page = error_page(404).get_data(as_text=True)
    assert "页面不存在" in page and 'href="/"' in page
