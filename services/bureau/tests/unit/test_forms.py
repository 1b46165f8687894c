"""The verification form's seal check (P6, B1) with pyHanko, offline, on forms sealed here."""
import hashlib

import pytest

from bureau.forms import DEV_SEAL_CERT, check_form, load_trusted

pytestmark = pytest.mark.unit

TRUSTED = load_trusted([str(DEV_SEAL_CERT)])


def codes(check):
    return sorted(p["code"] for p in check.problems)


def digest(data):
    return hashlib.sha256(data).hexdigest()


@pytest.mark.req("B1")
def test_a_form_sealed_by_a_trusted_provider_is_valid(sealed_form):
    check = check_form(sealed_form, digest(sealed_form), TRUSTED)
    assert check.valid and check.problems == [] and "provider-demo" in check.signer


@pytest.mark.req("B1")
def test_a_form_changed_after_sealing_is_not(sealed_form):
    assert sealed_form.count(b"ReportLab") >= 1
    tampered = sealed_form.replace(b"ReportLab", b"ReportLaX", 1)  # one byte of the signed range
    check = check_form(tampered, digest(tampered), TRUSTED)
    assert not check.valid and "tampered" in codes(check)


@pytest.mark.req("B1")
def test_an_unknown_seal_an_unsigned_form_and_a_swapped_file_are_not(sealed_form):
    assert codes(check_form(sealed_form, digest(sealed_form), load_trusted([]))) == ["untrusted_seal"]
    unsigned = sealed_form[: sealed_form.index(b"%%EOF") + 5]  # the form before the seal's incremental update
    assert codes(check_form(unsigned, digest(unsigned), TRUSTED)) == ["unsigned"]
    assert codes(check_form(sealed_form, "0" * 64, TRUSTED)) == ["digest_mismatch"]
    assert codes(check_form(b"not a pdf", digest(b"not a pdf"), TRUSTED)) == ["unreadable"]
