"""Generated document scans for the OCR tests and ``bench/ocr.py`` (X7): a resident ID card's front and back, a
business licence and an organisation-code certificate drawn from known data with the CJK font the verification
form embeds (WenQuanYi Zen Hei, Debian's ``fonts-wqy-zenhei``, installed by ``bin/setup``), then rotated a few
degrees, blurred and JPEG-compressed like a phone photograph of the paper.

Every number is valid (check characters computed by :mod:`shared.kernel.identifiers`), so a scan disagrees
with a filing only where a test makes it. :func:`scans_of` draws the two identity documents of a filing from its
data, as the journey (``shared.testing.journey``) and ``bin/demo`` upload them.
"""

from __future__ import annotations

import functools
import io
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from shared.i18n import enum_name
from shared.kernel.identifiers import organisation_code_check_character, uscc_check_character

FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文华建国志红玉兰海燕晓东子涵浩然思远"
_CITIES = ("北京市海淀区", "上海市浦东新区", "杭州市西湖区", "广州市天河区", "成都市武侯区", "南京市鼓楼区")
_TRADES = ("信息技术", "网络科技", "文化传媒", "电子商务", "软件开发", "数据服务")
_REGIONS = ("110105", "310115", "330106", "440106", "510107", "320106")
_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


@dataclass(frozen=True)
class Truth:
    """What a generated document says (the known data the OCR is scored against)."""

    kind: str  # resident_id | business_licence | organisation_code
    fields: dict[str, str]


def resident_id_number(rng: random.Random, birth: date) -> str:
    body = f"{rng.choice(_REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


def uscc(rng: random.Random) -> str:
    body = "91" + rng.choice(_REGIONS) + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    first17 = body + rng.choice("0123456789")
    return first17 + uscc_check_character(first17)


def organisation_code(rng: random.Random) -> str:
    body = "".join(rng.choice("0123456789") for _ in range(8))
    return f"{body}-{organisation_code_check_character(body)}"


def person_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def unit_name(rng: random.Random) -> str:
    city = rng.choice(_CITIES)
    return f"{city[:2]}{rng.choice(_GIVEN)}{rng.choice(_GIVEN)}{rng.choice(_TRADES)}有限公司"


def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_FILE), size)


def _page(size: tuple[int, int], rows: list[tuple[str, str]], title: str | None, at: tuple[int, int],
          step: int, tint: tuple[int, int, int]) -> Image.Image:
    image = Image.new("RGB", size, tint)
    draw = ImageDraw.Draw(image)
    x, y = at
    if title:
        draw.text((size[0] // 2, 40), title, font=_font(40), fill=(150, 20, 20), anchor="mt")
    label, value = _font(24), _font(28)
    for key, text in rows:
        draw.text((x, y), key, font=label, fill=(70, 90, 120))
        draw.text((x + 10 + int(label.getlength(key)), y - 2), text, font=value, fill=(10, 10, 10))
        y += step
    return image


def id_card_front(name: str, number: str, rng: random.Random) -> Image.Image:
    birth = number[6:14]
    rows = [("姓名", name), ("性别", rng.choice("男女") + "      民族 汉"),
            ("出生", f"{int(birth[:4])}年{int(birth[4:6])}月{int(birth[6:])}日"),
            ("住址", rng.choice(_CITIES) + f"建国路{rng.randrange(1, 300)}号"), ("公民身份号码", number)]
    image = _page((856, 540), rows, None, (50, 60), 88, (228, 236, 242))
    ImageDraw.Draw(image).rectangle((620, 70, 810, 330), fill=(205, 215, 225))  # where the card's photo sits
    return image


def id_card_back(valid_from: date, valid_until: date) -> Image.Image:
    rows = [("签发机关", "北京市公安局朝阳分局"), ("有效期限", f"{valid_from:%Y.%m.%d}-{valid_until:%Y.%m.%d}")]
    return _page((856, 540), rows, "中华人民共和国居民身份证", (120, 340), 80, (232, 238, 240))


def business_licence(name: str, code: str, legal_rep: str) -> Image.Image:
    rows = [("统一社会信用代码", code), ("名称", name), ("类型", "有限责任公司"), ("法定代表人", legal_rep),
            ("住所", "北京市朝阳区建国路88号")]
    return _page((1000, 700), rows, "营业执照", (80, 150), 90, (250, 246, 236))


def organisation_certificate(name: str, code: str, legal_rep: str) -> Image.Image:
    rows = [("代码", code), ("机构名称", name), ("法定代表人", legal_rep), ("机构类型", "事业法人")]
    return _page((1000, 700), rows, "中华人民共和国组织机构代码证", (80, 170), 100, (246, 250, 246))


def photographed(image: Image.Image, rng: random.Random, *, degrees: float = 3.0, blur: float = 0.8,
                 quality: int = 70) -> bytes:
    """``image`` as a phone photograph of the paper: rotated up to ``degrees`` either way on a grey desk,
    blurred (Gaussian radius up to ``blur``) and JPEG-compressed at ``quality``."""
    turned = image.rotate(rng.uniform(-degrees, degrees), resample=Image.BICUBIC, expand=True,
                          fillcolor=(120, 120, 115))
    turned = turned.filter(ImageFilter.GaussianBlur(rng.uniform(0.2, blur)))
    out = io.BytesIO()
    turned.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def generated_document(seed: int, kind: str | None = None) -> tuple[Truth, bytes]:
    """One generated scan and what it says; ``kind`` drawn from the three when not given."""
    rng = random.Random(seed)
    kind = kind or rng.choice(("resident_id", "business_licence", "organisation_code"))
    if kind == "resident_id":
        birth = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 40))
        name, number = person_name(rng), resident_id_number(rng, birth)
        return Truth(kind, {"name": name, "document_number": number}), photographed(
            id_card_front(name, number, rng), rng)
    name, legal_rep = unit_name(rng), person_name(rng)
    if kind == "business_licence":
        code = uscc(rng)
        image = business_licence(name, code, legal_rep)
    else:
        code = organisation_code(rng)
        image = organisation_certificate(name, code, legal_rep)
    return Truth(kind, {"name": name, "document_number": code, "legal_representative": legal_rep}), photographed(
        image, rng)


def certificate(title: str, name: str, number: str) -> Image.Image:
    """Any other document (a legal person certificate, a passport, ...): its name as the title, the holder and
    the number. OCR does not know its layout; pre-verification does not compare it (X7)."""
    return _page((1000, 700), [("名称", name), ("证件号码", number)], title, (80, 200), 100, (246, 246, 250))


def scans_of(data: dict) -> dict[str, bytes]:
    """The scans of a filing's identity documents that say what ``data`` says (X7), by scan kind:
    ``sponsor_document`` (a unit's business licence or organisation-code certificate, naming the responsible
    person as legal representative when the filing says so; an individual's ID card front) and
    ``responsible_person_document`` (the ID card front). Other document types get a plain certificate.

    Photographed mildly (up to 2 degrees, light blur, JPEG quality 70; 10-40 KB), seeded by the data, so the
    same data gives the same bytes in every process; drawn once per process for the same data (about 0.1 s
    each), since the journey files the same sample many times."""
    sponsor, person = data.get("sponsor") or {}, data.get("responsible_person") or {}
    legal_rep = person.get("name") if person.get("role") == "legal_representative" else None
    return {"sponsor_document": _scan(sponsor.get("document_type"), sponsor.get("name") or "",
                                      sponsor.get("document_number") or "", legal_rep),
            "responsible_person_document": _scan(person.get("document_type"), person.get("name") or "",
                                                 person.get("document_number") or "", None)}


@functools.lru_cache(maxsize=32)
def _scan(document_type: str | None, name: str, number: str, legal_rep: str | None) -> bytes:
    rng = random.Random(f"{document_type}|{name}|{number}|{legal_rep}")  # a str seed is the same in every process
    if document_type == "resident_id" and number[6:14].isdigit():
        image = id_card_front(name, number, rng)
    elif document_type == "business_licence":
        image = business_licence(name, number, legal_rep or person_name(rng))
    elif document_type == "organisation_code_certificate":
        image = organisation_certificate(name, number, legal_rep or person_name(rng))
    else:
        image = certificate(enum_name("document_type", document_type), name, number)
    return photographed(image, rng, degrees=2.0, blur=0.6)
