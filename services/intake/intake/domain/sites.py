"""P8: the sites the provider may connect, because their filing is approved: each domain of the k-th website
carries ``{filing number}-{k}``, and an edge proxy reads the list as an nginx ``map``. Pure."""


def changed_sites(current: dict[str, tuple[str, str]], filing_id: str,
                  website_numbers: dict[str, str]) -> tuple[list[str], list[str], bool]:
    """What making ``website_numbers`` (ASCII domain -> website number) a filing's approved sites changes, given
    ``current`` (each domain of the list the filing's request touches -> ``(filing id, website number)``):
    ``(added, removed, changed)``, the domains added and removed (sorted), and whether the list changes at all
    (also when a domain moves to another filing or number)."""
    own = {d for d, (owner, _) in current.items() if owner == filing_id}
    added = sorted(set(website_numbers) - own)
    removed = sorted(own - set(website_numbers))
    moved = any(current.get(d) != (filing_id, n) for d, n in website_numbers.items())
    return added, removed, moved or bool(removed)


def website_numbers(filing_number: str, websites: list[dict]) -> dict[str, str]:
    """P8: each domain of the k-th website carries ``{filing number}-{k}``."""
    return {d["ascii"]: f"{filing_number}-{k}" for k, site in enumerate(websites, start=1) for d in site["domains"]}


def nginx_map(sites: list[dict], revision: int) -> str:
    """P8: the approved domains as an nginx ``map`` an edge proxy includes: ``$icp_filing_number`` is the website's
    filing number for an approved host and empty otherwise, so the proxy refuses hosts without one
    (``if ($icp_filing_number = "") { return 403; }``). Hosts are the ASCII (punycode) form nginx sees."""
    lines = [f"# approved sites, revision {revision}", "map $host $icp_filing_number {", '    default "";']
    lines += [f'    {site["domain"]} "{site["website_number"]}";' for site in sorted(sites, key=lambda s: s["domain"])]
    return "\n".join([*lines, "}", ""])

