"""X1: a draft's filing type worked out at draft time by asking the register of the sponsor's province (the
bureau, ``intake.register``), and the cancellations of websites (注销网站) and of access (取消接入) of an approved
filing. Conventions of :mod:`intake.usecases.filings`; the cancellation of the sponsor is ``submission.cancel``."""

from collections.abc import Callable
from datetime import datetime

from intake.domain import filing as lifecycle
from intake.domain.filing_types import changed_parts, filing_type
from intake.repository import IntakeUnitOfWork
from intake.usecases import submission
from intake.usecases.filings import Viewer, apply, decided, load, view
from intake.usecases.sites import set_sites
from shared.contracts.bureau import sponsor_key
from shared.contracts.errors import FieldError, ValidationFailed, field_errors
from shared.kernel.errors import InvalidValue
from shared.kernel.network import validate_domain

SPONSOR_FIELDS = ("kind", "province", "document_number")


def _domains(data: dict) -> tuple[list[str], list[FieldError]]:
    domains, found = [], []
    for i, site in enumerate(data.get("websites") or []):
        for j, name in enumerate(site.get("domains") or []):
            try:
                domains.append(validate_domain(name).ascii)
            except InvalidValue as exc:
                found.append(FieldError(f"websites.{i}.domains.{j}", exc.code, exc.message, exc.rule))
    return domains, found


def draft_type(uow: IntakeUnitOfWork, viewer: Viewer, register: Callable[[str, str, list[str]], dict], keys,
               filing_id: str) -> dict:
    """X1: the filing's type and why (first filing, new website, new access, change), with what each domain
    becomes, from the sponsor's document number and domains against the register of its province. Only the
    sponsor's key (a keyed digest, ADR 0006) and the domains leave the provider. A draft without the sponsor's
    kind, province, document number or a domain cannot be typed yet: 422 naming each missing field. ``keys``: the
    personal-data tools, whose ``exchange_lookup`` makes the sponsor's key."""
    filing = load(uow, viewer, filing_id)
    data = uow.filings.data(filing.id, filing.version)
    sponsor = data.get("sponsor") or {}
    domains, found = _domains(data)
    found += [FieldError(f"sponsor.{name}", "required", "Needed to work out the filing type.", "X1")
              for name in SPONSOR_FIELDS if not sponsor.get(name)]
    if not domains and not found:
        found.append(FieldError("websites", "required", "Needed to work out the filing type.", "X1"))
    if found:
        raise ValidationFailed("the filing type cannot be worked out yet", field_errors(*found))
    key = sponsor_key(keys.exchange_lookup, sponsor["kind"], sponsor["document_number"])
    answer = register(sponsor["province"], key, domains)
    changed = None
    if lifecycle.is_change(filing.state):
        changed = changed_parts(uow.filings.data(filing.id, filing.approved_version), data)
    return {"filing_id": filing.id, "province": sponsor["province"], **filing_type(answer, changed=changed)}


def cancel(uow: IntakeUnitOfWork, viewer: Viewer, actor: str, filing_id: str, body: dict, at: datetime, *,
           cipher) -> dict:
    """X1: the cancellation ``body["kind"]`` asks for: the sponsor (注销主体, ``submission.cancel``), websites or
    this provider's access (:func:`cancel_sites`)."""
    if body["kind"] == "sponsor":
        return submission.cancel(uow, viewer, actor, filing_id, body["reason"], at, cipher=cipher)
    return cancel_sites(uow, viewer, actor, filing_id, body["kind"], body["domains"], body["reason"], at)


def cancel_sites(uow: IntakeUnitOfWork, viewer: Viewer, actor: str, filing_id: str, kind: str, domains: list[str],
                 reason: str, at: datetime) -> dict:
    """X1: 注销网站 / 取消接入 of some of an approved filing's websites: they leave the provider's approved sites at
    once and the bureau of the province is told; each domain must be one of the filing's approved sites (422
    naming ``domains.<i>`` otherwise, nothing changed)."""
    filing = load(uow, viewer, filing_id, lock=True)
    decided(lifecycle.ensure_state, f"cancel the {kind} of", filing.state, {lifecycle.FilingState.APPROVED})
    current = {d: n for d, (f, n) in uow.sites.touched(filing.id, []).items() if f == filing.id}
    asked, found = [], []
    for i, name in enumerate(domains):
        try:
            asked.append(validate_domain(name).ascii)
        except InvalidValue as exc:
            found.append(FieldError(f"domains.{i}", exc.code, exc.message, exc.rule))
            continue
        if asked[-1] not in current:
            found.append(FieldError(f"domains.{i}", "not_approved_here",
                                    "This domain is not an approved website of this filing.", "X1"))
    if found or not asked:
        found = found or [FieldError("domains", "required", "Name the websites' domains to cancel.", "X1")]
        raise ValidationFailed("nothing was cancelled", field_errors(*found))
    remaining = {d: n for d, n in current.items() if d not in asked}
    change = decided(lifecycle.cancel_sites, filing, actor, kind, sorted(set(asked)), len(remaining), reason, at)
    filing = apply(uow, change)
    set_sites(uow, filing.provider_id, filing.id, remaining, at, at)
    if not remaining:
        uow.revisits.close_pending(filing.id)
    return view(uow, viewer, filing, at)
