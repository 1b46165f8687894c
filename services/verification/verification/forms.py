"""The verification form (《网站备案信息真实性核验单》, P6) and the security agreement (信息安全管理协议书, P6, W3) as
PDFs with an embedded CJK font, sealed with the provider's key as a PDF signature (pyHanko) that validates
offline against the provider's certificate.

CPU-bound: callers run :func:`render_form`, :func:`render_agreement` and :func:`seal` off the eventlet hub.
"""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from shared.i18n import enum_name, label
from shared.kernel.workdays import SHANGHAI
from verification.domain import SECURITY_AGREEMENT_CLAUSE

FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
FONT = "WenQuanYiZenHei"
COPIES = {"provider": "第一联 接入服务单位留存", "bureau": "第二联 报送省通信管理局"}
SIGNATURE_FIELD = "ProviderSeal"


@cache
def _font() -> str:
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE), subfontIndex=0))
    return FONT


def _name(kind: str, code: str | None) -> str:
    """The Chinese name of a code on the form (issue 19: the form shows no English enum codes)."""
    return enum_name(kind, code, "zh_CN")


def _when(moment: datetime | str | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


@lru_cache(maxsize=8192)
def _char_width(char: str, size: int) -> float:
    return pdfmetrics.stringWidth(char, _font(), size)


def _wrap(text: str, size: int, width: float) -> list[str]:
    """``text`` broken, at any character (CJK has no spaces), into lines no wider than ``width``: the widths of
    the embedded TrueType font's glyphs add up (no kerning), so each character is measured once."""
    lines, start, used = [], 0, 0.0
    for at, char in enumerate(text):
        advance = _char_width(char, size)
        if used + advance > width:
            lines.append(text[start:at])
            start, used = at, 0.0
        used += advance
    lines.append(text[start:])
    return lines


class _Page:
    """A4 writer that flows lines and starts new pages (reportlab canvas, embedded TrueType CJK font)."""

    def __init__(self, title: str, mark: str):
        self.buffer = io.BytesIO()
        self.canvas = Canvas(self.buffer, pagesize=A4, invariant=1)
        self.canvas.setTitle(title)
        self.title, self.mark = title, mark
        self._new_page()

    def _new_page(self) -> None:
        self.canvas.setFont(_font(), 15)
        self.canvas.drawCentredString(A4[0] / 2, A4[1] - 20 * mm, self.title)
        self.canvas.setFont(_font(), 9)
        self.canvas.drawRightString(A4[0] - 15 * mm, A4[1] - 12 * mm, self.mark)
        self.y = A4[1] - 32 * mm

    def line(self, text: str, *, size: int = 10, indent: float = 0) -> None:
        for part in _wrap(text, size, A4[0] - 30 * mm - indent):
            if self.y < 20 * mm:
                self.canvas.showPage()
                self._new_page()
            self.canvas.setFont(_font(), size)
            self.canvas.drawString(15 * mm + indent, self.y, part)
            self.y -= size * 1.6

    def image(self, png: bytes, height_mm: float = 45) -> None:
        reader = ImageReader(io.BytesIO(png))
        w, h = reader.getSize()
        height = height_mm * mm
        if self.y - height < 20 * mm:
            self.canvas.showPage()
            self._new_page()
        self.canvas.drawImage(reader, 15 * mm, self.y - height, width=height * w / h, height=height)
        self.y -= height + 4 * mm

    def done(self) -> bytes:
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()


def render_form(content: dict, copy: str, thumbnail_png: bytes | None) -> bytes:
    """P6: the unified form for one copy (``provider`` or ``bureau``), from ``content``: ``filing`` (as verified,
    corrections applied), ``checks`` (item, result, by, at), ``corrections`` (field, before, after, by, at),
    ``staff``, ``times`` and ids."""
    page = _Page("网站备案信息真实性核验单", COPIES[copy])
    page.line(f"备案编号(系统): {content['filing_id']}  版本: {content['version']}  报送次数: {content['sending']}")
    page.line(f"接入服务单位: {content['provider_id']}    核验人员: {content['verified_by']}")
    page.line(f"核验时间: {_when(content['verified_at'])}    当面核验窗口: {_when(content['opens_at'])} 至 "
              f"{_when(content['closes_at'])}")
    filing = content["filing"]
    sponsor, person, contacts = filing["sponsor"], filing["responsible_person"], filing["contacts"]
    page.line("一、主办者信息", size=12)
    page.line(f"主办者名称: {sponsor['name']}   性质: {_name('sponsor_kind', sponsor['kind'])} "
              f"{_name('unit_type', sponsor.get('unit_type'))}", indent=8)
    page.line(f"证件类型: {_name('document_type', sponsor['document_type'])}   证件号码: {sponsor['document_number']}"
              f"   省份: {_name('province', sponsor['province'])}", indent=8)
    page.line("二、网站负责人信息", size=12)
    page.line(f"姓名: {person['name']}   身份: {_name('role', person['role'])}", indent=8)
    page.line(f"证件类型: {_name('document_type', person['document_type'])}   证件号码: {person['document_number']}",
              indent=8)
    page.line(f"手机: {contacts.get('mobile')}  办公电话: {contacts.get('office_phone') or '—'}  住宅电话: "
              f"{contacts.get('home_phone') or '—'}", indent=8)
    page.line(f"电子邮箱: {contacts.get('email')}  通信地址: {contacts.get('postal_address')}", indent=8)
    page.line("三、网站信息", size=12)
    for site in filing["websites"]:
        domains = "、".join(f"{d['unicode']} ({d['ascii']})" for d in site["domains"])
        approvals = "、".join(f"{a['category']}:{a['approval_number']}" for a in site["prior_approvals"]) or "无"
        page.line(f"网站名称: {site['name']}   域名: {domains}", indent=8)
        page.line(f"服务内容: {'、'.join(site['service_content'])}   前置审批: {approvals}", indent=8)
    access = filing["access"]
    page.line("四、接入信息", size=12)
    page.line(f"接入服务单位: {access['provider_name']}   接入方式: {_name('access_method', access['access_method'])}"
              "   服务器放置地: "
              f"{access['server_location']}", indent=8)
    page.line(f"网站IP地址: {'、'.join(access['ip_addresses'])}", indent=8)
    page.line("五、核验项目及结果", size=12)
    for check in content["checks"]:
        page.line(f"{check['item']}: {check['result']}   核验人: {check['by']}   时间: {_when(check['at'])}", indent=8)
    page.line("六、现场更正记录", size=12)
    if not content["corrections"]:
        page.line("无", indent=8)
    for correction in content["corrections"]:
        page.line(f"{label(correction['field'])}: “{correction['before']}” 更正为 “{correction['after']}”   更正人: "
                  f"{correction['by']}   时间: {_when(correction['at'])}", indent=8)
    page.line("七、现场照片", size=12)
    if thumbnail_png:
        page.image(thumbnail_png)
    agreement = content["agreement"]
    page.line(f"主办者签署信息安全管理协议书: {agreement['signed_by']}  {_when(agreement['signed_at'])}")
    page.line("接入服务单位(盖章): 以本文件的电子签章为准")
    return page.done()


def render_agreement(content: dict) -> bytes:
    """P6/W3: the security agreement with the W3 clause verbatim and the sponsor's recorded signature and time."""
    page = _Page("信息安全管理协议书", "接入服务单位与网站主办者")
    page.line(f"网站主办者: {content['sponsor_name']}    接入服务单位: {content['provider_id']}")
    page.line(f"备案(系统编号): {content['filing_id']}  版本: {content['version']}")
    page.line("条款:", size=12)
    page.line(SECURITY_AGREEMENT_CLAUSE, indent=8)
    page.line(f"主办者签字: {content['signed_by']}    签字时间: {_when(content['signed_at'])}")
    page.line(f"签字记录(SHA-256): {content['signature_sha256']}")
    page.line(f"接入服务单位经办人: {content['witnessed_by']}")
    return page.done()


def _blank_pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


class _LoadedKeySigner(signers.SimpleSigner):
    """pyHanko's in-memory signer with the private key parsed (and, for RSA, checked) once: pyHanko's own
    ``sign_raw`` parses and validates the DER key again for every signature, which costs more than the signature."""

    def __init__(self, key_file: Path, cert_file: Path):
        key_info = load_private_key_from_pemder(str(key_file), passphrase=None)
        super().__init__(signing_cert=load_cert_from_pemder(str(cert_file)), signing_key=key_info,
                         cert_registry=SimpleCertificateStore())
        self._key = serialization.load_der_private_key(key_info.dump(), password=None)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if mechanism.signature_algo != "rsassa_pkcs1v15" or not isinstance(self._key, RSAPrivateKey):
            return super().sign_raw(data, digest_algorithm)  # other key types: pyHanko's way, key parsed per call
        return self._key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))


class Sealer:
    """The provider's seal: a PDF signature with its key and certificate (the DEVELOPMENT pair while
    ``ALLOW_DEV_KEYS``).

    The key is read and checked once, here, by sealing a blank page (a key that does not match the certificate,
    or does not load, stops the service at start-up); that seal's size fixes the space every later seal reserves,
    so pyHanko signs each document once instead of first signing a dummy to measure the signature (P6)."""

    def __init__(self, key_file: Path, cert_file: Path):
        self.signer = _LoadedKeySigner(key_file, cert_file)
        self.cert = self.signer.signing_cert
        self.bytes_reserved: int | None = None
        probe = self.seal(_blank_pdf(), "probe")
        contents = PdfFileReader(io.BytesIO(probe)).embedded_signatures[0].sig_object["/Contents"]
        # The same margin pyHanko adds to its own estimate (hex digits: two per byte).
        self.bytes_reserved = len(contents) * 2
        if not self.validate(probe)["valid"]:
            raise ValueError("the seal's key does not match its certificate (P6)")

    def seal(self, pdf: bytes, reason: str) -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        meta = signers.PdfSignatureMetadata(field_name=SIGNATURE_FIELD, reason=reason, location="接入服务单位")
        return signers.sign_pdf(writer, meta, signer=self.signer, bytes_reserved=self.bytes_reserved).getvalue()

    def validate(self, pdf: bytes) -> dict:
        """Offline validation against the provider's certificate as the only trust root: ``{valid, intact,
        signer, covers_whole_file}``."""
        reader = PdfFileReader(io.BytesIO(pdf))
        if not reader.embedded_signatures:
            return {"valid": False, "intact": False, "signer": None, "covers_whole_file": False}
        signature = reader.embedded_signatures[0]
        status = validate_pdf_signature(signature, ValidationContext(trust_roots=[self.cert]))
        return {
            "valid": bool(status.bottom_line),
            "intact": bool(status.intact),
            "signer": status.signing_cert.subject.human_friendly,
            "covers_whole_file": status.coverage.name == "ENTIRE_FILE",
        }
