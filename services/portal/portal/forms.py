"""How the sponsor's filing form is laid out in steps (P1, R1.1–R1.8, W2, W3): which fields each step shows for
which kind of sponsor and unit type, and how a posted form becomes intake's partial edit.

Presentation only: what is required and what is valid is intake's to say (its draft ``problems``), and the
choices offered are the kernel's facts (unit types, the documents each may show, provinces).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from shared.kernel.documents import PERSON_DOCUMENTS, UNIT_TYPES
from shared.kernel.provinces import PROVINCES

LIST_SEPARATORS = re.compile(r"[\n\r,，、;；]+")


@dataclass(frozen=True)
class Field:
    """One input: ``path`` in the filing (``websites.0.name``), ``kind`` text | select | lines | email | tel."""

    path: str
    kind: str = "text"
    autocomplete: str | None = None
    provider_only: bool = False

    @property
    def id(self) -> str:
        return "f-" + self.path.replace(".", "-")


@dataclass(frozen=True)
class Step:
    name: str
    fields: tuple[Field, ...] = ()
    # field-error prefixes shown on this step that belong to no input (documents, the clause)
    extra: tuple[str, ...] = ()


def steps(kind: str) -> tuple[Step, ...]:
    """The steps of a filing by a ``unit`` or an ``individual`` sponsor, in order."""
    unit = kind == "unit"
    sponsor = [Field("sponsor.name", autocomplete="organization" if unit else "name")]
    if unit:
        sponsor.insert(0, Field("sponsor.unit_type", "select"))
    sponsor += [Field("sponsor.document_type", "select"), Field("sponsor.document_number"),
                Field("sponsor.province", "select")]
    person = [Field("responsible_person.name", autocomplete="name"),
              Field("responsible_person.document_type", "select"), Field("responsible_person.document_number")]
    if unit:
        person.append(Field("responsible_person.role", "select"))
    contacts = [Field("contacts.mobile", "tel", "tel"), Field("contacts.office_phone", "tel", "tel")]
    if not unit:
        contacts.append(Field("contacts.home_phone", "tel", "tel"))
    contacts += [Field("contacts.email", "email", "email"),
                 Field("contacts.postal_address", autocomplete="street-address")]
    return (
        Step("sponsor", tuple(sponsor), ("sponsor.kind",)),
        Step("person", tuple(person)),
        Step("contacts", tuple(contacts)),
        Step("website", (Field("websites.0.name"), Field("websites.0.domains", "lines"),
                         Field("websites.0.service_content", "lines")), ("websites",)),
        Step("access", tuple(Field(f"access.{key}", provider_only=True)
                             for key in ("provider_name", "access_method", "server_location", "ip_addresses"))),
        Step("documents", (), ("documents",)),
        Step("clause", (), ("contract_acceptance",)),
        Step("submit"),
    )


def step_named(kind: str, name: str) -> Step | None:
    return next((s for s in steps(kind) if s.name == name), None)


def next_step(kind: str, name: str) -> str | None:
    names = [s.name for s in steps(kind)]
    index = names.index(name)
    return names[index + 1] if index + 1 < len(names) else None


def step_of(kind: str, field: str) -> str:
    """The step where a field error of ``field`` is shown (the review step for anything else)."""
    for step in steps(kind):
        if any(field == f.path or field.startswith(f.path + ".") for f in step.fields) or any(
                field == e or field.startswith(e + ".") for e in step.extra):
            return step.name
    return "submit"


def options(path: str, data: dict) -> list[str]:
    """The codes a select offers (named through the catalogue's ``enum`` context)."""
    sponsor = data.get("sponsor") or {}
    if path == "sponsor.unit_type":
        return list(UNIT_TYPES)
    if path == "sponsor.document_type":
        unit_type = UNIT_TYPES.get(sponsor.get("unit_type") or "")
        if sponsor.get("kind") == "unit":
            return [d.value for d in unit_type.allowed_documents] if unit_type else []
        return [d.value for d in PERSON_DOCUMENTS]
    if path == "responsible_person.document_type":
        return [d.value for d in PERSON_DOCUMENTS]
    if path == "responsible_person.role":
        return ["legal_representative", "department_head"]
    if path == "sponsor.province":
        return [p.abbr for p in PROVINCES]
    return []


def enum_kind(field: Field) -> str | None:
    """The catalogue's ``enum`` kind of a field whose value is a code (``unit_type``, ``document_type``, ``role``,
    ``access_method``): a person reads its name, never the code. None for free text (and provinces, whose
    abbreviation is what people write)."""
    kind = field.path.rsplit(".", 1)[-1]
    if field.path == "access.access_method" or (field.kind == "select" and kind != "province"):
        return kind
    return None


def value_at(data: dict, path: str):
    node = data
    for part in path.split("."):
        if isinstance(node, list):
            index = int(part)
            node = node[index] if index < len(node) else None
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def shown(data: dict, field: Field) -> str:
    """The field's current value as its input shows it (a list one item a line)."""
    value = value_at(data, field.path)
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def patch_for(data: dict, posted: dict[str, str], fields: tuple[Field, ...]) -> dict:
    """Intake's partial edit for the ``posted`` values of ``fields`` (others untouched): objects merge field by
    field; ``websites`` is a list, which an edit replaces whole, so the current list is sent with the change."""
    patch: dict = {}
    websites = copy.deepcopy(data.get("websites") or [])
    for field in fields:
        if field.provider_only or field.path not in posted:
            continue
        text = posted[field.path].strip()
        value = [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()] if field.kind == "lines" \
            else text
        section, *rest = field.path.split(".")
        if section == "websites":
            index, key = int(rest[0]), rest[1]
            while len(websites) <= index:
                websites.append({})
            websites[index][key] = value
            patch["websites"] = websites
        else:
            patch.setdefault(section, {})[rest[0]] = value
    return patch
