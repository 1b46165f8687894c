"""The public query (P8): anyone, without a login, asks by domain or filing number and sees public fields only."""

from bureau.repository import BureauUnitOfWork
from shared.contracts.errors import NotFound, ValidationFailed
from shared.kernel.errors import InvalidValue
from shared.kernel.filing_numbers import parse_filing_number
from shared.kernel.network import validate_domain
from shared.kernel.workdays import SHANGHAI


def public_query(uow: BureauUnitOfWork, domain_name: str | None, number: str | None) -> dict:
    """By domain or filing number, only public fields (sponsor name and kind, filing number, website names,
    approval date). Built from the public copy only, so personal data cannot appear; an individual sponsor's name
    is personal data and is not shown."""
    if bool(domain_name) == bool(number):
        raise ValidationFailed.about("query", "one_of", "Ask by domain or by filing number (one of them).", "P8")
    if domain_name:
        try:
            ascii_name = validate_domain(domain_name).ascii
        except InvalidValue as exc:
            raise ValidationFailed.about("domain", exc.code, exc.message, exc.rule) from None
        website = uow.websites.get(ascii_name)
        if website is None or website.retired_at is not None:
            raise NotFound.about("domain", "not_filed", "No active filing for this domain here.", "P8")
        sponsor_number = website.filing_number
    else:
        try:
            sponsor_number = str(parse_filing_number(number).sponsor_number)
        except InvalidValue as exc:
            raise ValidationFailed.about("number", exc.code, exc.message, exc.rule) from None
    record = uow.numbers.get(sponsor_number)
    if record is None or record.retired_at is not None:
        raise NotFound.about("number", "not_filed", "No active filing with this number here.", "P8")
    return {
        "filing_number": record.number,
        "sponsor_kind": record.sponsor_kind,
        "sponsor_name": record.sponsor_name,
        "approved_at": record.approved_at.astimezone(SHANGHAI).date().isoformat(),
        "websites": [{"website_number": w.website_number, "name": w.name, "domain": w.domain_unicode,
                      "domain_ascii": w.domain_ascii} for w in uow.websites.active_of(record.number)],
    }
