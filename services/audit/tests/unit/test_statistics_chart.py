"""C4/X6 (issue 19): the statistics chart names every category and bar in the caller's language from the message
catalogue, in the CJK font of the fonts-wqy-zenhei package: no English code (``unit_type``, ``enterprise``)."""
import pytest
from matplotlib import pyplot

from audit.usecases.statistics import statistics_figure, statistics_png
from shared.i18n import CJK_FONT_FILE

pytestmark = pytest.mark.unit

STATS = {"month": "2026-11", "rules_version": "2026.1", "counts": {
    "sponsor_kind": {"unit": 3, "individual": 1},
    "unit_type": {"enterprise": 2, "public_institution": 1, "none": 1},
    "province": {"京": 3, "粤": 1},
    "provider_id": {"provider-test": 4},
    "decision": {"approved": 4, "returned": 1},
}}


def _texts(locale: str) -> tuple[list[str], list[list[str]], set[str]]:
    figure = statistics_figure(STATS, locale)
    try:
        axes = figure.get_axes()
        return ([a.get_title() for a in axes], [[t.get_text() for t in a.get_xticklabels()] for a in axes],
                {t.get_fontname() for a in axes for t in (a.title, *a.get_xticklabels())})
    finally:
        pyplot.close(figure)


@pytest.mark.req("X6")
def test_the_chart_is_in_chinese_by_default_with_the_packaged_cjk_font():
    titles, bars, fonts = _texts("zh_CN")
    assert titles == ["主办者类型（2026-11）", "单位性质（2026-11）", "省份（2026-11）", "接入服务单位（2026-11）",
                      "通信管理局审核结果（2026-11）"]
    assert bars == [["单位", "个人"], ["企业", "事业单位", "无（个人）"], ["北京市", "广东省"], ["provider-test"],
                    ["通过", "退回"]]
    assert fonts == {"WenQuanYi Zen Hei"} and CJK_FONT_FILE.exists()


@pytest.mark.req("X6")
def test_the_chart_is_in_english_when_asked_and_renders_as_png():
    titles, bars, _ = _texts("en")
    assert titles[1] == "Unit type (2026-11)" and bars[1] == ["Enterprise", "Public institution", "None (individual)"]
    assert bars[2] == ["Beijing", "Guangdong"]
    assert statistics_png(STATS)[:8] == b"\x89PNG\r\n\x1a\n"
