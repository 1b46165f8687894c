"""How the filing form is laid out and turned into intake's partial edits (presentation only, P1, R1.1–R1.8)."""
import pytest

from portal import forms

pytestmark = pytest.mark.unit


def paths(kind: str, step: str) -> list[str]:
    return [f.path for f in forms.step_named(kind, step).fields]


def test_a_unit_chooses_its_unit_type_and_role_an_individual_neither_but_may_give_a_home_phone():
    assert "sponsor.unit_type" in paths("unit", "sponsor")
    assert "responsible_person.role" in paths("unit", "person")
    assert "sponsor.unit_type" not in paths("individual", "sponsor")
    assert "responsible_person.role" not in paths("individual", "person")
    assert "contacts.home_phone" in paths("individual", "contacts")
    assert "contacts.home_phone" not in paths("unit", "contacts")


def test_the_access_information_is_shown_as_the_providers_and_never_sent():
    access = forms.step_named("unit", "access").fields
    assert access and all(f.provider_only for f in access)
    assert forms.patch_for({}, {"access.provider_name": "x"}, access) == {}


def test_documents_offered_follow_the_unit_type_and_the_kind():
    assert forms.options("sponsor.document_type", {"sponsor": {"kind": "unit", "unit_type": "enterprise"}}) == [
        "business_licence", "organisation_code_certificate"]
    assert forms.options("sponsor.document_type", {"sponsor": {"kind": "individual"}})[0] == "resident_id"
    assert len(forms.options("sponsor.province", {})) == 31


def test_a_posted_step_becomes_a_partial_edit_and_a_website_list_is_sent_whole():
    data = {"websites": [{"name": "旧名", "domains": ["a.cn"], "service_content": ["博客"]}]}
    step = forms.step_named("unit", "website")
    patch = forms.patch_for(data, {"websites.0.name": " 新名 ", "websites.0.domains": "a.cn\nb.cn，c.cn"}, step.fields)
    assert patch == {"websites": [{"name": "新名", "domains": ["a.cn", "b.cn", "c.cn"], "service_content": ["博客"]}]}
    assert data["websites"][0]["name"] == "旧名"  # the draft as read is left alone
    contacts = forms.step_named("unit", "contacts").fields
    assert forms.patch_for({}, {"contacts.mobile": "13800138000"}, contacts) == {"contacts": {"mobile": "13800138000"}}


def test_each_field_error_is_shown_on_the_step_of_its_field():
    assert forms.step_of("unit", "responsible_person.document_number") == "person"
    assert forms.step_of("unit", "websites.0.domains.1") == "website"
    assert forms.step_of("unit", "access.ip_addresses.0") == "access"
    assert forms.step_of("unit", "documents") == "documents"
    assert forms.step_of("unit", "contract_acceptance") == "clause"
    assert forms.step_of("unit", "something_else") == "submit"


def test_a_code_is_shown_by_its_name_free_text_and_provinces_as_typed():
    fields = {f.path: f for step in forms.steps("unit") for f in step.fields}
    assert forms.enum_kind(fields["sponsor.unit_type"]) == "unit_type"
    assert forms.enum_kind(fields["sponsor.document_type"]) == "document_type"
    assert forms.enum_kind(fields["responsible_person.role"]) == "role"
    assert forms.enum_kind(fields["access.access_method"]) == "access_method"
    assert forms.enum_kind(fields["sponsor.province"]) is None
    assert forms.enum_kind(fields["sponsor.name"]) is None
