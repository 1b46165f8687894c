"""Valid sample filings and scans for tests and the demo, with identifiers computed by the standards'
algorithms rather than copied from real people or companies."""
import copy
import io
import struct
import zlib
from datetime import UTC, datetime

from shared.kernel.identifiers import organisation_code_check_character, uscc_check_character


def uscc(region: str = "110108", body: str = "MA01C3H7", category: str = "91") -> str:
    """A unified social credit code whose own and embedded organisation-code check characters are right."""
    first17 = category + region + body + organisation_code_check_character(body)
    return first17 + uscc_check_character(first17)


def resident_id(first17: str) -> str:
    """Append the GB 11643-1999 (ISO 7064 MOD 11-2) check character."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


RESIDENT_ID = "11010519491231002X"  # the standard's own worked example (GB 11643-1999)
SECOND_RESIDENT_ID = resident_id("44010619850312003")

UNIT_FILING = {
    "sponsor": {
        "kind": "unit",
        "unit_type": "enterprise",
        "name": "北京示例网络科技有限公司",
        "document_type": "business_licence",
        "document_number": uscc(),
        "province": "京",
    },
    "responsible_person": {
        "name": "张三",
        "document_type": "resident_id",
        "document_number": RESIDENT_ID,
        "role": "legal_representative",
    },
    "contacts": {
        "mobile": "13800138000",
        "office_phone": "010-62345678",
        "email": "zhangsan@example.com.cn",
        "postal_address": "北京市海淀区中关村大街1号",
    },
    "websites": [
        {
            "name": "示例科技官网",
            "domains": ["www.example.com.cn", "例子.中国"],
            "service_content": ["企业官网"],
            "prior_approvals": [],
        }
    ],
}

ACCESS = {
    "provider_name": "示例云计算有限公司",
    "access_method": "cloud_server",
    "server_location": "北京市",
    "ip_addresses": ["111.13.100.91", "240e:e9:6002:15c::ff"],
}

INDIVIDUAL_FILING = {
    "sponsor": {
        "kind": "individual",
        "name": "李四",
        "document_type": "resident_id",
        "document_number": SECOND_RESIDENT_ID,
        "province": "粤",
    },
    "responsible_person": {
        "name": "李四",
        "document_type": "resident_id",
        "document_number": SECOND_RESIDENT_ID,
        "role": "sponsor",
    },
    "contacts": {
        "mobile": "13912345678",
        "home_phone": "020-81234567",
        "email": "lisi@example.cn",
        "postal_address": "广东省广州市天河区体育西路1号",
    },
    "websites": [
        {"name": "李四的博客", "domains": ["lisi-blog.cn"], "service_content": ["个人博客"], "prior_approvals": []}
    ],
}


def unit_filing() -> dict:
    return copy.deepcopy(UNIT_FILING)


def individual_filing() -> dict:
    return copy.deepcopy(INDIVIDUAL_FILING)


def png(width: int = 8, height: int = 8) -> bytes:
    """A real, decodable RGB PNG (a scan stand-in of the right type)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + b"\xcc\x88\x44" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def png_bomb(side: int = 30_000) -> bytes:
    """A decompression bomb: a greyscale PNG claiming ``side`` x ``side`` pixels in a few hundred bytes (its IDAT
    compressed zeros, far fewer than the header promises)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (side + 1) * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def jpeg(width: int = 64, height: int = 48, **options) -> bytes:
    """A real JPEG of one colour; ``options`` go to Pillow's encoder (``progressive=True``, ...)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


def pdf(pages: int = 1) -> bytes:
    """A real PDF of ``pages`` pages, each with a line of text."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    document = canvas.Canvas(buffer)
    for number in range(pages):
        document.drawString(72, 760, f"Business licence, page {number + 1}")
        document.showPage()
    document.save()
    return buffer.getvalue()


def filing_submitted_data(cipher, hasher, data: dict | None = None, *, filing_id: str, attempt: int = 1,
                          submitted_at: str | None = None) -> dict:
    """The ``data`` of a ``filing_submitted.v1`` as intake would publish it for ``data`` (default: the unit
    sample): domains in both forms, personal fields sealed with ``cipher``, lookups keyed with ``hasher``;
    submitted at ``submitted_at`` (default: the process clock's now, as a test's clock sets it)."""
    from shared.contracts.intake import SEAL_CONTEXT, personal_paths
    from shared.kernel.network import validate_domain
    from shared.platform.sealing import seal

    submitted_at = submitted_at or datetime.now(UTC).isoformat()
    filing = copy.deepcopy(data or UNIT_FILING)
    filing["sponsor"].setdefault("unit_type", None)
    filing["contacts"].setdefault("office_phone", None)
    filing["contacts"].setdefault("home_phone", None)
    for site in filing["websites"]:
        site["domains"] = [{"unicode": d.unicode, "ascii": d.ascii} for d in map(validate_domain, site["domains"])]
    return {
        "filing_id": filing_id,
        "version": 1,
        "attempt": attempt,
        "provider_id": "provider-test",
        "province": filing["sponsor"]["province"],
        "submitted_at": submitted_at,
        **seal(filing, personal_paths(filing["sponsor"]["kind"]), cipher, SEAL_CONTEXT),
        "access": copy.deepcopy(ACCESS),
        "documents": [],
        "lookups": {
            "responsible_person_document": hasher.digest(filing["responsible_person"]["document_number"],
                                                         kind="person_document"),
            "mobile": hasher.digest(filing["contacts"]["mobile"], kind="mobile"),
        },
        "contract_acceptance": {"clause_sha256": "0" * 64, "accepted_at": submitted_at, "accepted_by": "sponsor"},
    }


def hostile_uploads() -> dict[str, tuple[bytes, str]]:
    """Uploads that start as what they are not only (issue 17.5): name -> (bytes, the refusal's code)."""
    import zipfile

    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("index.html", "<script>alert(1)</script>")
    return {
        "jpeg+html": (jpeg() + b"<html><script>alert(1)</script></html>", "trailing_data"),
        "png+zip": (png() + archive.getvalue(), "trailing_data"),
        "pdf-junk": (b"%PDF-1.7\n" + b"<html>junk</html>\n" * 50, "not_decodable"),
        "pdf+html": (pdf() + b"<html><script>alert(1)</script></html>", "trailing_data"),
        "30000x30000-png": (png_bomb(), "too_many_pixels"),
    }
