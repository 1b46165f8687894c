"""W2 in the caller's language (issue 19, X6): the guide's procedure, notes and document names come from the message
catalogue, Chinese by default and English when asked; codes and rule IDs are the same in both; the W3 clause is
the contract's text, verbatim, in both."""
import re

import pytest

from intake.usecases.guide import read_clause, read_guide
from shared.contracts.errors import BadRequest

pytestmark = pytest.mark.unit

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.req("W2")
@pytest.mark.req("X6")
@pytest.mark.parametrize(("kind", "unit_type"), [("unit", "enterprise"), ("individual", None)])
def test_the_guide_reads_in_chinese_by_default_and_in_english_when_asked(kind, unit_type):
    zh, en = read_guide(kind, unit_type, "zh_CN"), read_guide(kind, unit_type, "en")
    for answer in (zh, en):
        assert [(s["step"], s["rule"]) for s in answer["procedure"]] == [(n, f"P{n}") for n in range(1, 9)]
    assert [d["type"] for d in zh["sponsor_documents"]] == [d["type"] for d in en["sponsor_documents"]]
    texts = [s["text"] for s in zh["procedure"]] + zh["notes"] + [d["name"] for d in zh["sponsor_documents"]]
    assert all(CHINESE.search(text) for text in texts), texts
    assert zh["procedure"][0]["text"] == "登录接入服务单位的备案系统，填写备案信息。"
    assert en["procedure"][0]["text"] == "Log in to the provider's filing system and enter the filing information."
    assert not any(CHINESE.search(s["text"]) for s in en["procedure"])
    assert zh["contract_clause"] == en["contract_clause"] == read_clause()["clause"]


def test_an_unknown_unit_type_is_a_bad_request_naming_the_field():
    with pytest.raises(BadRequest) as refused:
        read_guide("unit", "pirate", "en")
    assert refused.value.errors[0]["field"] == "unit_type" and refused.value.errors[0]["code"] == "unknown_unit_type"
