"""X1: intake asks the bureau of a filing's province what its register holds (docs/decisions/0006).

``POST {bureau}/register/lookups`` with the sponsor's key (``shared.contracts.bureau.sponsor_key``: a keyed digest
under the exchange lookup key, never the document number) and the ASCII domains filed, under a 60-second token of
this provider's intake (role ``ops``, its ``provider``), signed with intake's key that the bureaus trust. Each
province's bureau has its own address: ``BUREAU_URLS`` (``京=https://bureau-bj.example,粤=https://…``). One
timeout per attempt and the shared retry policy (design.md §4); when the bureau does not answer, a clear 503.
"""

import requests
from nameko.extensions import DependencyProvider

from shared.contracts.errors import FieldError, ServiceUnavailable, field_errors
from shared.kernel.provinces import province_by_abbr
from shared.platform.auth import OPS, AuthConfig, Principal
from shared.platform.retry import RetryPolicy

TIMEOUT_SECONDS = 5.0
TOKEN_SECONDS = 60
RETRY = RetryPolicy(retries=1, backoff=0.2)


def _unavailable(province: str, why: str) -> ServiceUnavailable:
    message = f"The register of {province} could not be asked ({why}); try again shortly."
    return ServiceUnavailable(message, field_errors(FieldError("sponsor.province", "register_unavailable", message,
                                                               "X1")))


def bureau_urls(text: str) -> dict[str, str]:
    """``京=url,粤=url`` -> ``{abbr: url}``; ValueError naming a pair that is not one."""
    urls = {}
    for pair in filter(None, (p.strip() for p in (text or "").split(","))):
        abbr, _, url = pair.partition("=")
        if not url.strip().startswith(("http://", "https://")):
            raise ValueError(f"BUREAU_URLS: {pair!r} is not province=http(s)://address")
        urls[province_by_abbr(abbr.strip()).abbr] = url.strip().rstrip("/")
    return urls


class RegisterClient:
    """``client(province, sponsor_key, domains) -> the register's answer`` (``RegisterAnswerSchema``)."""

    def __init__(self, urls: dict[str, str], mint, *, retry: RetryPolicy = RETRY):
        self.urls, self.mint, self.retry = urls, mint, retry

    def __call__(self, province: str, sponsor_key: str, domains: list[str]) -> dict:
        url = self.urls.get(province)
        if url is None:
            raise _unavailable(province, "no address is configured for its bureau")
        headers = {"Authorization": f"Bearer {self.mint()}"}

        def attempt():
            return requests.post(f"{url}/register/lookups", json={"sponsor_key": sponsor_key, "domains": domains},
                                 headers=headers, timeout=TIMEOUT_SECONDS)

        try:
            answer = self.retry.call(attempt, retry_on=(requests.RequestException,),
                                     retry_if=lambda a: a.status_code >= 500)
        except requests.RequestException:
            raise _unavailable(province, "no answer") from None
        if answer.status_code != 200:
            raise _unavailable(province, f"answered {answer.status_code}")
        return answer.json()


class BureauRegister(DependencyProvider):
    """The :class:`RegisterClient` of this provider's intake (``BUREAU_URLS``, ``PROVIDER_ID``, intake's signing
    key from the same settings as its sponsor tokens, ``shared.platform.auth``)."""

    def setup(self) -> None:
        config = self.container.config
        signer = AuthConfig.from_config(config, signs=True).signer()
        principal = Principal("intake", OPS, provider=str(config.get("PROVIDER_ID") or ""))
        self.client = RegisterClient(bureau_urls(str(config.get("BUREAU_URLS") or "")),
                                     lambda: signer.mint(principal, ttl=TOKEN_SECONDS))

    def get_dependency(self, worker_ctx) -> RegisterClient:
        return self.client
