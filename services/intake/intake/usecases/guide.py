"""What a sponsor reads before it starts (W2, W3), in the caller's language (issue 19): the guide's procedure and
notes and each document's name come from the message catalogue; codes and rule IDs stay as they are. The W3
clause is the contract's text, verbatim, so it is the same in every language (its SHA-256 is what is accepted)."""

from intake.domain.guide import CONTRACT_CLAUSE, CONTRACT_CLAUSE_SHA256, document_guide
from shared.contracts.errors import BadRequest, FieldError, field_errors
from shared.i18n import enum_name, translations
from shared.kernel.errors import InvalidValue


def read_guide(kind: str, unit_type: str | None, locale: str) -> dict:
    """W2: the documents and procedure for a kind of sponsor, read in ``locale``; ``BadRequest`` naming
    ``unit_type`` for an unknown kind or unit type."""
    try:
        answer = document_guide(kind, unit_type)
    except InvalidValue as exc:
        raise BadRequest(exc.message, field_errors(FieldError("unit_type", exc.code, exc.message, exc.rule))) from None
    text = translations(locale).gettext

    def named(documents: list[dict]) -> list[dict]:
        return [{**d, "name": enum_name("document_type", d["type"], locale)} for d in documents]

    return {
        **answer,
        "sponsor_documents": named(answer["sponsor_documents"]),
        "responsible_person_documents": named(answer["responsible_person_documents"]),
        "procedure": [{**step, "text": text(step["text"])} for step in answer["procedure"]],
        "notes": [text(note) for note in answer["notes"]],
    }


def read_clause() -> dict:
    """W3: the clause shown, verbatim, before submission."""
    return {"clause": CONTRACT_CLAUSE, "clause_sha256": CONTRACT_CLAUSE_SHA256, "rule": "W3"}
