"""P6: the verification form and the security agreement as PDFs with CJK text, sealed with the provider's key;
the seal validates offline and breaks when a byte changes."""
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

import shared.platform
from verification import forms

pytestmark = pytest.mark.unit

DATA = Path(shared.platform.__file__).with_name("data")
FILING = {
    "sponsor": {"kind": "unit", "unit_type": "enterprise", "name": "北京示例网络科技有限公司",
                "document_type": "business_licence", "document_number": "91110108MA01C3H77W", "province": "京"},
    "responsible_person": {"name": "张三", "document_type": "resident_id", "document_number": "11010519491231002X",
                           "role": "legal_representative"},
    "contacts": {"mobile": "13800138000", "office_phone": "010-62345678", "home_phone": None,
                 "email": "z@example.com.cn", "postal_address": "北京市海淀区"},
    "websites": [{"name": "示例官网", "domains": [{"unicode": "例子.中国", "ascii": "xn--fsqu00a.xn--fiqs8s"}],
                  "service_content": ["企业官网"], "prior_approvals": []}],
    "access": {"provider_name": "示例云", "access_method": "cloud_server", "server_location": "北京市",
               "ip_addresses": ["111.13.100.91"]},
}
CONTENT = {
    "filing_id": "f-1", "version": 1, "sending": 1, "provider_id": "provider-demo", "verified_by": "staff:v1",
    "verified_at": "2026-11-10T10:00:00+08:00", "opens_at": "2026-11-03T09:30:00+08:00",
    "closes_at": "2026-12-03T09:30:00+08:00", "filing": FILING,
    "checks": [{"item": "现场照片 (P4)", "result": "合格", "by": "staff:v1", "at": "2026-11-10T09:00:00+08:00"}],
    "corrections": [{"field": "responsible_person.name", "before": "张叁", "after": "张三", "by": "staff:v1",
                     "at": "2026-11-10T09:30:00+08:00"}],
    "agreement": {"signed_by": "张三", "signed_at": "2026-11-10T09:40:00+08:00"},
}


@pytest.fixture(scope="module")
def sealer():
    return forms.Sealer(DATA / "dev_seal_key.pem", DATA / "dev_seal_cert.pem")


@pytest.mark.req("P6")
def test_the_form_holds_the_filing_and_its_seal_validates(sealer):
    pdf = sealer.seal(forms.render_form(CONTENT, "bureau", None), "核验单")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("网站备案信息真实性核验单", "第二联 报送省通信管理局", "北京示例网络科技有限公司",
                     "11010519491231002X",
                     "xn--fsqu00a.xn--fiqs8s", "111.13.100.91", "“张叁” 更正为 “张三”", "staff:v1"):
        assert expected in text
    assert sealer.validate(pdf) == {**sealer.validate(pdf), "valid": True, "intact": True, "covers_whole_file": True}
    assert b"/FontFile2" in pdf  # the CJK font is embedded


@pytest.mark.req("P6")
def test_a_changed_byte_breaks_the_seal(sealer):
    pdf = bytearray(sealer.seal(forms.render_form(CONTENT, "provider", None), "核验单"))
    at = pdf.index(b"/Title")
    pdf[at + 8] ^= 0x01
    result = sealer.validate(bytes(pdf))
    assert not result["valid"] and not result["intact"]


@pytest.mark.req("W3")
def test_the_agreement_carries_the_w3_clause_and_the_signature_record(sealer):
    pdf = sealer.seal(forms.render_agreement({
        "sponsor_name": "北京示例", "provider_id": "provider-demo", "filing_id": "f-1", "version": 1,
        "signed_by": "张三", "signed_at": "2026-11-10T09:40:00+08:00", "signature_sha256": "ab" * 32,
        "witnessed_by": "staff:v1"}), "协议书")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\n", "")
    assert "依据《非经营性互联网备案管理办法》第二十三条规定" in text and "ab" * 32 in text
    assert sealer.validate(pdf)["valid"]


@pytest.mark.req("X6")
def test_the_form_names_every_code_in_chinese_from_the_catalogue():
    """Issue 19: the sealed form shows no English enum code (kind, unit type, documents, role, province, access
    method, an authority's answer, a corrected field); each name comes from shared/i18n."""
    content = {**CONTENT, "checks": [*CONTENT["checks"], {
        "item": "权威数据源 公安机关 负责人证件号码", "result": "一致", "by": "staff:v1",
        "at": "2026-11-10T09:10:00+08:00"}]}
    pdf = forms.render_form(content, "bureau", None)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    for code in ("unit", "enterprise", "business_licence", "resident_id", "legal_representative", "cloud_server",
                 "responsible_person.name"):
        assert code not in text
    for name in ("性质: 单位 企业", "证件类型: 营业执照", "省份: 北京市", "身份: 法定代表人", "证件类型: 居民身份证",
                 "接入方式: 云服务器", "网站负责人姓名: “张叁” 更正为 “张三”"):
        assert name in text


@pytest.mark.req("P6")
def test_each_copy_is_signed_once_with_the_key_parsed_at_start_up(sealer, monkeypatch):
    """Issue 23: the key is parsed and checked once per process and the signature's space is fixed then, so a seal
    is one signature, not a dummy to measure and the real one, each re-parsing the key."""
    signatures = []
    sign = forms._LoadedKeySigner.sign_raw
    monkeypatch.setattr(forms._LoadedKeySigner, "sign_raw", lambda self, *a: signatures.append(1) or sign(self, *a))
    monkeypatch.setattr(forms.serialization, "load_der_private_key", lambda *a, **k: pytest.fail("key parsed again"))
    copies = [sealer.seal(forms.render_form(CONTENT, copy, None), "核验单") for copy in forms.COPIES]
    assert len(signatures) == len(copies) == 2
    assert all(sealer.validate(pdf)["valid"] for pdf in copies)


def test_a_key_that_is_not_the_certificates_stops_the_start(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (tmp_path / "key.pem").write_bytes(other.private_bytes(serialization.Encoding.PEM,
                                                           serialization.PrivateFormat.PKCS8,
                                                           serialization.NoEncryption()))
    with pytest.raises(ValueError, match="does not match"):
        forms.Sealer(tmp_path / "key.pem", DATA / "dev_seal_cert.pem")
