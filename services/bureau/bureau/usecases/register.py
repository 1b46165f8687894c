"""The register of one province (X1): one number per sponsor, whichever filings and providers its websites come
through; the providers that host each website; what a provider's intake may ask of it; and what each kind of
cancellation leaves. Conventions of :mod:`bureau.usecases.review`."""

from datetime import datetime

from bureau import domain
from bureau.models import FilingNumberRecord, Review, Website
from bureau.repository import BureauUnitOfWork
from bureau.usecases.common import Scope
from shared.contracts.bureau import FILING_NUMBER_RETIRED
from shared.contracts.errors import Conflict, NotFound, ValidationFailed
from shared.kernel.errors import InvalidValue
from shared.kernel.filing_numbers import FilingNumber, parse_register_number
from shared.kernel.network import validate_domain
from shared.kernel.workdays import SHANGHAI
from shared.platform.events import PoisonEvent


def number_for(uow: BureauUnitOfWork, review: Review, scope: Scope, key: str, now: datetime) -> FilingNumberRecord:
    """X1: the sponsor's number for an approval. A change keeps the number it changes; any other filing gets the
    number its sponsor already holds in this province (a new website, a new access), and only a sponsor without
    one gets a new number. Approvals of one sponsor take turns (``lock_sponsor``), so two at once end with one
    number; numbers already issued keep their meaning."""
    uow.numbers.lock_sponsor(key)
    if review.change_of:
        record = uow.numbers.get(review.change_of, lock=True)
        if record is None:
            raise NotFound.about("filing_number", "unknown", "This bureau never issued that number.", "P8")
        held = uow.numbers.of_filing(review.filing_id)
        other = uow.numbers.active_of_sponsor(key)
        if (record.retired_at is not None or held is None or held.number != record.number
                or (other is not None and other.number != record.number)):
            raise Conflict.about("change_of", "not_active", "The number this change changes is not active.", "P8")
        record.sponsor_key = key  # a number issued before the key existed gets it here
        return record
    record = uow.numbers.active_of_sponsor(key)
    if record is None:
        year = now.astimezone(SHANGHAI).year
        number = FilingNumber(scope.province.abbr, year, uow.numbers.next_serial(scope.province.abbr, year))
        record = FilingNumberRecord(number=str(number), filing_id=review.filing_id, sponsor_key=key, highest_site=0)
        uow.numbers.add(record)
    return record


def place_websites(uow: BureauUnitOfWork, review: Review, record: FilingNumberRecord, now: datetime) -> dict[str, str]:
    """P8, X1: ``-k`` for each website of the filing: a website already under the sponsor's number keeps its ``k``
    (a change, a new access), a new one gets the next; the filing's provider hosts each. A change that drops a
    website ends this provider's access to it. Returns ``{domain: website number}``."""
    number = parse_register_number(record.number)
    under = {w.domain_ascii: w for w in uow.websites.active_of(record.number)}
    kept = {d: parse_register_number(w.website_number).site for d, w in under.items()}
    sites = [[d["ascii"] for d in site["domains"]] for site in review.filing["websites"]]
    assigned, record.highest_site = domain.website_numbers(sites, kept, record.highest_site)
    numbers = {d: str(number.for_site(k)) for d, k in assigned.items()}
    uow.flush()  # the number's record before the websites that refer to it
    if review.change_of:
        for domain_ascii, website in under.items():
            hosts = uow.hosts.of(domain_ascii)
            if domain_ascii not in numbers and any(h.filing_id == review.filing_id for h in hosts):
                end_access(uow, website, review.provider_id, now)
    unicode_of = {d["ascii"]: (d["unicode"], site["name"])
                  for site in review.filing["websites"] for d in site["domains"]}
    for domain_ascii, website_number in numbers.items():
        taken = uow.websites.get(domain_ascii)
        if taken is not None and taken.retired_at is None and taken.filing_number != record.number:
            raise Conflict.about("filing.websites", "domain_filed",
                                 f"{domain_ascii} is filed under {taken.filing_number}.", "X1",
                                 {"domain": domain_ascii, "filing_number": taken.filing_number})
        if taken is None:
            taken = Website(domain_ascii=domain_ascii)
            uow.websites.add(taken)
        taken.domain_unicode, taken.name = unicode_of[domain_ascii]
        taken.filing_number, taken.website_number = record.number, website_number
        taken.approved_at, taken.retired_at = now, None
        uow.flush()
        uow.hosts.hold(domain_ascii, review.provider_id, review.filing_id, now)
    return numbers


def end_access(uow: BureauUnitOfWork, website: Website, provider_id: str, now: datetime) -> None:
    """取消接入 (X1): the provider no longer hosts the website; a website no provider hosts is retired (a filed
    website needs a provider that hosts it). Its ``-k`` is never issued again (``highest_site``)."""
    uow.hosts.release(website.domain_ascii, provider_id)
    if not uow.hosts.of(website.domain_ascii):
        website.retired_at = now


def retire_number(uow: BureauUnitOfWork, record: FilingNumberRecord, scope: Scope, reason: str, now: datetime,
                  hosted: list[tuple[str, str]] | None = None) -> None:
    """注销主体 (X1): the sponsor's number and every website under it are retired for good; every filing that
    held a part of it (``hosted``: as it was before a cancellation ended some accesses) is told
    (``filing_number_retired.v1``)."""
    hosted = uow.hosts.filings_under(record.number) if hosted is None else hosted
    told = dict([(record.filing_id, record.provider_id), *hosted])
    for website in uow.websites.active_of(record.number):
        uow.hosts.release(website.domain_ascii)
    uow.websites.retire_all(record.number, now)
    record.retired_at, record.retired_reason = now, reason[:200]
    for filing_id, provider_id in sorted(told.items()):
        uow.emit(FILING_NUMBER_RETIRED, {
            "filing_id": filing_id, **scope.of(provider_id), "filing_number": record.number,
            "retired_at": now.isoformat(), "reason": reason,
        }, filing_id)


def on_sites_cancelled(uow: BureauUnitOfWork, data: dict, *, whole_website: bool, scope: Scope, now: datetime) -> None:
    """X1: 注销网站 (``whole_website``) retires the websites, whoever hosts them; 取消接入 ends the provider's access
    and retires a website nobody hosts any more. Either way a sponsor left without a website has its number
    retired, as the providers' documentation describes (注销最后一个网站即注销主体)."""
    if data["province"] != scope.province.abbr:
        raise PoisonEvent("a cancellation for another province")
    record = uow.numbers.of_filing(data["filing_id"], lock=True)
    if record is None or record.retired_at is not None:
        return
    hosted = uow.hosts.filings_under(record.number)
    for domain_ascii in data["domains"]:
        website = uow.websites.get(domain_ascii)
        if website is None or website.retired_at is not None or website.filing_number != record.number:
            continue
        if whole_website:
            uow.hosts.release(domain_ascii)
            website.retired_at = now
        else:
            end_access(uow, website, data["provider_id"], now)
    uow.flush()
    if not uow.websites.active_of(record.number):
        kind = "website" if whole_website else "access"
        retire_number(uow, record, scope, f"{kind} cancelled, no website left: {data['reason']}", now, hosted)


def lookup(uow: BureauUnitOfWork, sponsor_key: str, domains: list[str], provider_id: str | None,
           scope: Scope) -> dict:
    """X1: what this province's register holds for a sponsor (by its key, ADR 0006) and for the domains it files:
    the sponsor's number, and for each domain its website number, whose it is and whether the asking provider
    hosts it already. Public register data only; no personal data comes in or goes out."""
    record = uow.numbers.active_of_sponsor(sponsor_key)
    sponsor_number = record.number if record is not None else None
    websites = []
    for index, name in enumerate(domains):
        try:
            domain_ascii = validate_domain(name).ascii
        except InvalidValue as exc:
            raise ValidationFailed.about(f"domains.{index}", exc.code, exc.message, exc.rule) from None
        website = uow.websites.get(domain_ascii)
        active = website if website is not None and website.retired_at is None else None
        websites.append({
            "domain": domain_ascii,
            "website_number": active.website_number if active else None,
            "filed": domain.register_state(active.filing_number if active else None, sponsor_number),
            "hosted_by_caller": active is not None and any(h.provider_id == provider_id
                                                           for h in uow.hosts.of(domain_ascii)),
        })
    return {"province": scope.province.abbr, "sponsor_number": sponsor_number, "websites": websites}
