"""What a sponsor is told before it starts: the documents and procedure for its kind (W2), and the clause its
service contract contains, verbatim (W3). Pure."""

import hashlib

from shared.kernel.documents import PERSON_DOCUMENTS, UNIT_TYPES, DocumentType, SponsorKind
from shared.kernel.errors import InvalidValue

# W3: the clause the service contract must contain, verbatim, shown before submission.
CONTRACT_CLAUSE = (
    "依据《非经营性互联网备案管理办法》第二十三条规定，如备案信息不真实，将关闭网站并注销备案。"
    "请您承诺并确认：您提交的所有备案信息真实有效，当您的备案信息发生变化时请及时到备案系统中提交更新信息，"
    "如因未及时更新而导致备案信息不准确，我公司有权依法对接入网站进行关闭处理。"
)
CONTRACT_CLAUSE_SHA256 = hashlib.sha256(CONTRACT_CLAUSE.encode()).hexdigest()

def document_guide(kind: str, unit_type: str | None) -> dict:
    """W2: what a sponsor of this kind needs to bring, and the procedure, before it starts.

    Raises ``InvalidValue`` for an unknown kind or unit type.
    """
    if kind not in (SponsorKind.unit, SponsorKind.individual):
        raise InvalidValue("choice", "kind must be unit or individual", "R1.1")
    if kind == SponsorKind.unit:
        if not unit_type:
            raise InvalidValue("required", "unit_type is required for a unit", "R1.1")
        if unit_type not in UNIT_TYPES:
            raise InvalidValue("unknown_unit_type", f"unit_type must be one of {sorted(UNIT_TYPES)}", "R1.1")
        sponsor_docs = [_doc(d) for d in UNIT_TYPES[unit_type].allowed_documents]
        contacts = ["mobile", "office_phone", "email", "postal_address"]
    else:
        sponsor_docs = [_doc(d) for d in PERSON_DOCUMENTS]
        contacts = ["mobile", "office_phone or home_phone", "email", "postal_address"]
    return {
        "kind": kind,
        "unit_type": unit_type if kind == SponsorKind.unit else None,
        "sponsor_documents": sponsor_docs,
        "sponsor_documents_rule": "R1.2" if kind == SponsorKind.unit else "R1.4",
        "responsible_person_documents": [_doc(d) for d in PERSON_DOCUMENTS],
        "responsible_person_documents_rule": "R1.3",
        "contacts_required": contacts,
        "procedure": PROCEDURE,
        "notes": NOTES,
        "contract_clause": CONTRACT_CLAUSE,
    }


def _doc(document_type: DocumentType) -> dict:
    return {"type": document_type.value, "name_zh": DOCUMENT_NAMES_ZH[document_type]}


DOCUMENT_NAMES_ZH = {
    DocumentType.organisation_code_certificate: "组织机构代码证书",
    DocumentType.public_institution_certificate: "事业单位法人证书",
    DocumentType.social_organisation_certificate: "社会团体法人登记证书",
    DocumentType.private_non_enterprise_certificate: "民办非企业单位登记证书",
    DocumentType.foundation_certificate: "基金会法人登记证书",
    DocumentType.business_licence: "营业执照",
    DocumentType.military_unit_code_certificate: "军队代号证书",
    DocumentType.resident_id: "居民身份证",
    DocumentType.household_register: "户口簿",
    DocumentType.officer_card: "军官证",
    DocumentType.taiwan_permit: "台湾居民来往大陆通行证（台胞证）",
    DocumentType.passport: "护照",
}

PROCEDURE = [
    {
        "step": 1,
        "rule": "P1",
        "text": "Log in to the provider's filing system and enter the filing information.",
    },
    {"step": 2, "rule": "P2", "text": "The provider pre-verifies it within 5 working days and sends an SMS."},
    {
        "step": 3,
        "rule": "P3",
        "text": "After a pass, the responsible person comes in person with the originals within 1 month.",
    },
    {
        "step": 4,
        "rule": "P4",
        "text": "The provider photographs the responsible person against the filing center's backdrop.",
    },
    {
        "step": 5,
        "rule": "P5",
        "text": "Staff check the originals against authoritative sources and the domain's owner.",
    },
    {
        "step": 6,
        "rule": "P6",
        "text": "Staff fill in and seal the verification form; both sides sign the security agreement.",
    },
    {
        "step": 7,
        "rule": "P7",
        "text": "The provider submits the filing to the bureau of the sponsor's province.",
    },
    {
        "step": 8,
        "rule": "P8",
        "text": "The bureau reviews within 20 working days and issues a filing number or returns it.",
    },
]

NOTES = [
    "Enter every field exactly as it is printed on the original documents: any difference means not accepted (P5).",
    "An individual sponsor is its own responsible person (R1.5).",
    "Content that needs prior or special approval needs the approval document number (R1.7).",
    "When your information changes, file a change promptly (W3, W5).",
]

