"""Generated stock CSV rows (W6: filings approved before face-to-face verification) for intake's tests, the
demo and ``bench/stock_import.py``: every row valid and distinct unless asked to be bad, identifiers computed by
the standards' algorithms."""
import csv
import io
from datetime import date, timedelta

from shared.testing.samples import resident_id, uscc

COLUMNS = (
    "filing_number", "sponsor_kind", "unit_type", "sponsor_name", "sponsor_document_type", "sponsor_document_number",
    "person_name", "person_document_type", "person_document_number", "person_role", "mobile", "office_phone",
    "email", "postal_address", "website_name", "domains", "service_content", "ip_addresses", "access_method",
    "server_location", "access_provider_name",
)

# What a bad row breaks, and the field the import must name for it.
BAD = {
    "filing_number": ("filing_number", "京ICP备123号"),
    "mobile": ("contacts.mobile", "1380013800"),
    "person_document_number": ("responsible_person.document_number", "110105194912310021"),
    "domains": ("websites.0.domains.0", "not a domain"),
    "ip_addresses": ("access.ip_addresses.0", "10.0.0.1"),
}


def stock_row(i: int, *, bad: str | None = None, prefix: str = "05") -> dict:
    """Row ``i`` (0-based, unique for i < 1,000,000 with the same ``prefix``): a unit sponsor with a pre-2016
    filing number ``京ICP备{prefix}{i:06d}号``; ``bad`` names a column of :data:`BAD` to break."""
    birth = date(1950, 1, 1) + timedelta(days=i % 18000)
    person = resident_id(f"110105{birth:%Y%m%d}{i // 18000 % 1000:03d}")
    row = {
        "filing_number": f"京ICP备{prefix}{i:06d}号",
        "sponsor_kind": "unit",
        "unit_type": "enterprise",
        "sponsor_name": f"北京存量示例{i}网络科技有限公司",
        "sponsor_document_type": "business_licence",
        "sponsor_document_number": uscc(body=f"MA{i % 1_000_000:06d}"),
        "person_name": "王五",
        "person_document_type": "resident_id",
        "person_document_number": person,
        "person_role": "legal_representative",
        "mobile": f"139{i % 100_000_000:08d}",
        "office_phone": "010-62345678",
        "email": f"owner{i}@example.com.cn",
        "postal_address": "北京市海淀区中关村大街1号",
        "website_name": f"存量网站{i}",
        "domains": f"s{prefix}{i}.example.com.cn",
        "service_content": "企业官网",
        "ip_addresses": "111.13.100.91",
        "access_method": "cloud_server",
        "server_location": "北京市",
        "access_provider_name": "示例云计算有限公司",
    }
    if bad is not None:
        row[bad] = BAD[bad][1]
    return row


def stock_csv(rows) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
