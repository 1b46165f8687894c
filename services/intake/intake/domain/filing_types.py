"""Filing types as providers run them (X1), worked out at draft time from what the sponsor files and what the
register of its province already holds (the bureau's answer, ``shared.contracts.bureau.RegisterAnswerSchema``):

- first filing (首次备案): the sponsor has no number in its province;
- new website (新增网站): it has one; its new websites get the next ``-k`` under it;
- new access (新增接入): a website filed through another provider comes to this one and keeps its number;
- change (变更) of the sponsor, a website or the access: a new version of an approved filing.

Cancelling access, a website or the sponsor are actions on an approved filing (``domain.filing.cancel_sites``,
``domain.filing.cancel``). Pure: no I/O.
"""

from enum import StrEnum

RULE = "X1"


class FilingType(StrEnum):
    FIRST_FILING = "first_filing"
    NEW_WEBSITE = "new_website"
    NEW_ACCESS = "new_access"
    CHANGE = "change"


CHANGE_PARTS = {"sponsor": ("sponsor", "responsible_person", "contacts"), "websites": ("websites",),
                "access": ("access",)}
"""X1: the parts a change (变更) may touch, by the filing data's sections."""


def changed_parts(approved: dict, draft: dict) -> list[str]:
    """X1: which of the sponsor, the websites and the access a change draft differs in from the approved data."""
    return [part for part, sections in CHANGE_PARTS.items()
            if any(approved.get(s) != draft.get(s) for s in sections)]


def _reason(field: str, code: str, message: str, **params) -> dict:
    """A reason or problem as a field error, so that the answer reads it in the caller's language (X6)."""
    return {"field": field, "code": code, "message": message, "rule": RULE, "params": params}


def website_outcome(site: dict) -> str:
    """What one domain becomes: ``new`` (the next ``-k``), ``keeps_number`` (a new access), ``hosted_here``
    (already filed and hosted through this provider: nothing to file) or ``filed_by_another_sponsor``."""
    if site["filed"] == "another_sponsor":
        return "filed_by_another_sponsor"
    if site["filed"] == "this_sponsor":
        return "hosted_here" if site["hosted_by_caller"] else "keeps_number"
    return "new"


def filing_type(register: dict, *, changed: list[str] | None = None) -> dict:
    """X1: the type of a draft and why, from the register's ``register`` answer; ``changed`` (the parts a change
    draft differs in) makes it a change. ``problems`` lists what stops the filing as it is (a domain filed by
    another sponsor, a website already hosted here filed again rather than changed)."""
    websites = [{"domain": s["domain"], "website_number": s["website_number"], "outcome": website_outcome(s)}
                for s in register["websites"]]
    outcomes = {w["outcome"] for w in websites}
    number = register["sponsor_number"]
    problems = [_reason("websites", "domain_filed", f"{w['domain']} is filed under {w['website_number']}.",
                        domain=w["domain"], filing_number=w["website_number"])
                for w in websites if w["outcome"] == "filed_by_another_sponsor"]
    if changed is not None:
        kind = FilingType.CHANGE
        reasons = [_reason("type", f"change_of_{part}", f"A change of the {part} of filing {number}.",
                           filing_number=number) for part in changed]
        return {"type": kind, "sponsor_number": number, "reasons": reasons, "problems": problems,
                "websites": websites}
    problems += [_reason("websites", "already_filed", f"{w['domain']} is already filed as {w['website_number']} and "
                         "hosted here: file a change instead.", domain=w["domain"], filing_number=w["website_number"])
                 for w in websites if w["outcome"] == "hosted_here"]
    if number is None:
        kind, reason = FilingType.FIRST_FILING, _reason(
            "type", "no_number", f"The sponsor has no filing number in {register['province']} yet: a first filing.",
            province=register["province"])
    elif "keeps_number" in outcomes:
        kind, reason = FilingType.NEW_ACCESS, _reason(
            "type", "filed_elsewhere", f"A website of {number} filed through another provider comes here and keeps "
                                       "its number (new access).", filing_number=number)
    else:
        kind, reason = FilingType.NEW_WEBSITE, _reason(
            "type", "has_number", f"The sponsor already holds {number}: its new websites get the next numbers under "
                                  "it.", filing_number=number)
    return {"type": kind, "sponsor_number": number, "reasons": [reason], "problems": problems, "websites": websites}
