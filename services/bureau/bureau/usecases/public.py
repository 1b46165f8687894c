"""The public query (P8, X9): anyone, without a login, asks by domain, by any filing or licence number, or by a
unit's exact name, and sees public fields only; each client is limited to so many queries a minute, counted in the
database every replica shares."""

from datetime import datetime, timedelta

from bureau import domain
from bureau.repository import BureauUnitOfWork
from shared.contracts.errors import FieldError, NotFound, TooManyRequests, ValidationFailed, field_errors
from shared.kernel.errors import InvalidValue
from shared.kernel.filing_numbers import parse_register_number
from shared.kernel.network import validate_domain
from shared.kernel.workdays import SHANGHAI

CLIENT_KIND = "public_query_client"


class QueryLimitReached(TooManyRequests):
    """X9: this client asked more than its limit in the current minute; ``retry_after`` seconds until it may ask."""

    def __init__(self, retry_after: int, limit: int):
        message = f"At most {limit} queries a minute; ask again in {retry_after} s."
        super().__init__(message, field_errors(FieldError("client", "query_limit", message, "X9",
                                                          {"retry_after": retry_after, "limit": limit})))
        self.retry_after = retry_after


def count_query(uow: BureauUnitOfWork, hasher, client: str, limit: int, now: datetime) -> None:
    """X9: count one query of ``client`` (the address the service edge gives) in the current minute, raising
    :class:`QueryLimitReached` past ``limit``. The count is kept under a keyed digest of the client, never the
    address itself; the caller commits the count even when the query is refused."""
    start = domain.window_start(now)
    hits = uow.query_counts.hit(hasher.digest(client or "unknown", kind=CLIENT_KIND), start)
    wait = domain.retry_after(hits, limit, start, now)
    if wait is not None:
        raise QueryLimitReached(wait, limit)


def forget_counts(uow: BureauUnitOfWork, now: datetime) -> None:
    """X9: counts of windows that ended are of no use; they are dropped (by the deadline timer)."""
    uow.query_counts.purge(domain.window_start(now) - timedelta(seconds=domain.PUBLIC_QUERY_WINDOW_SECONDS))


def public_query(uow: BureauUnitOfWork, domain_name: str | None, number: str | None, name: str | None = None) -> dict:
    """By domain, by any number format (requirements §4: also before 2016, ICP证, B2, with ``-k``) or by a unit's
    exact name (normalised, ``domain.name_key``): only public fields (sponsor name and kind, filing number, website
    names, approval date). Built from the public copy only, so personal data cannot appear; an individual
    sponsor's name is personal data: it is neither shown nor searchable."""
    if sum(bool(v) for v in (domain_name, number, name)) != 1:
        raise ValidationFailed.about("query", "one_of", "Ask by domain, by number or by unit name (one of them).",
                                     "X9")
    if domain_name:
        try:
            ascii_name = validate_domain(domain_name).ascii
        except InvalidValue as exc:
            raise ValidationFailed.about("domain", exc.code, exc.message, exc.rule) from None
        website = uow.websites.get(ascii_name)
        if website is None or website.retired_at is not None:
            raise NotFound.about("domain", "not_filed", "No active filing for this domain here.", "P8")
        record = uow.numbers.get(website.filing_number)
    elif number:
        try:
            sponsor_number = str(parse_register_number(number).sponsor_number)
        except InvalidValue as exc:
            raise ValidationFailed.about("number", exc.code, exc.message, exc.rule) from None
        record = uow.numbers.get(sponsor_number)
    else:
        found = uow.numbers.active_by_name(domain.name_key(name))
        record = found[0] if found else None
    if record is None or record.retired_at is not None:
        field = "name" if name else "number"
        raise NotFound.about(field, "not_filed", "No active filing here for what was asked.", "X9")
    return {
        "filing_number": record.number,
        "sponsor_kind": record.sponsor_kind,
        "sponsor_name": record.sponsor_name,
        "approved_at": record.approved_at.astimezone(SHANGHAI).date().isoformat(),
        "websites": [{"website_number": w.website_number, "name": w.name, "domain": w.domain_unicode,
                      "domain_ascii": w.domain_ascii} for w in uow.websites.active_of(record.number)],
    }
