"""Field-level encryption and lookup hashing for personal data (design.md §5; W4: evidence is confidential).

Personal data (ID numbers, phones, e-mails, addresses) is stored encrypted field by field with
:class:`FieldCipher` and found again through a keyed HMAC index from :class:`LookupHasher`: the database holds
``<column>_enc`` (a token) and ``<column>_hmac`` (a digest), never the plaintext.

Keys come from nameko config, read once in :class:`PersonalData`'s ``setup()``:

- ``FIELD_KEYS``: ``"1:<base64 32 bytes>,2:<base64 32 bytes>"`` (every key still needed to read old rows);
- ``FIELD_KEY_CURRENT``: the version new tokens use (required with FIELD_KEYS, so adding a key to every
  replica and switching to it are separate deployments);
- ``LOOKUP_KEY``: base64, at least 32 bytes. It cannot rotate without re-indexing every row.
- ``EXCHANGE_KEYS`` / ``EXCHANGE_KEY_CURRENT``: the same form as FIELD_KEYS, for personal data that crosses from
  one actor to another (provider -> bureau -> filing center, ``exchange.<path>`` contexts; docs/decisions/0001):
  the actors agree on this ring, while each keeps its FIELD_KEYS to itself.
- the exchange lookup key, derived from the exchange ring's oldest key: keyed digests that find a sponsor across
  actors (X1: intake asks the bureau by digest, never by ID number; docs/decisions/0006).

Without them, publicly known DEVELOPMENT keys are used only while ``ALLOW_DEV_KEYS`` is true (the default,
for the one-command demo); production sets ``ALLOW_DEV_KEYS=false`` so a missing key stops the service at
start-up.

Errors from this module never contain plaintext, tokens or key material.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from nameko.extensions import DependencyProvider

from shared.platform.config import flag

log = logging.getLogger(__name__)

KEY_BYTES: Final = 32
"""AES-256 keys and the minimum HMAC key length."""

NONCE_BYTES: Final = 12
_TAG_BYTES: Final = 16
_TOKEN = re.compile(r"v([1-9][0-9]{0,8}):([A-Za-z0-9_-]+)")
_NAME = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")

# Fixed, public seeds: anything encrypted with these keys is readable by anyone with the source code.
_DEV_FIELD_KEY_SEED: Final = b"icp-verification DEVELOPMENT field key v1 - NOT SECRET, not for production"
_DEV_LOOKUP_KEY_SEED: Final = b"icp-verification DEVELOPMENT lookup key - NOT SECRET, not for production"
DEV_FIELD_KEY: Final = hashlib.sha256(_DEV_FIELD_KEY_SEED).digest()
DEV_LOOKUP_KEY: Final = hashlib.sha256(_DEV_LOOKUP_KEY_SEED).digest()
_DEV_EXCHANGE_KEY_SEED: Final = b"icp-verification DEVELOPMENT exchange key v1 - NOT SECRET, not for production"
DEV_EXCHANGE_KEY: Final = hashlib.sha256(_DEV_EXCHANGE_KEY_SEED).digest()


class DecryptionError(Exception):
    """A token could not be decrypted: malformed, unknown key version, wrong context or tampered.

    The message says which, and never includes the token or any plaintext.
    """


class CryptoConfigError(ValueError):
    """A key setting is missing or malformed; raised at start-up and names the setting, never its value."""


def _check_name(what: str, value: str) -> bytes:
    if not _NAME.fullmatch(value):
        raise ValueError(f"{what} must be dotted lower-case words, e.g. intake.responsible_person.id_number")
    return value.encode("ascii")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class FieldCipher:
    """AES-256-GCM for one column value at a time.

    ``encrypt`` returns ``v<version>:<base64url(nonce | ciphertext | tag)>``: compact ASCII that fits a text
    column and says which key made it. The nonce is 96 random bits per call, so equal plaintexts give
    different tokens (use :class:`LookupHasher` for equality). The ``context`` (the column, e.g.
    ``intake.responsible_person.id_number``) and the key version are authenticated as associated data: a
    token copied into another column, or relabelled with another version, fails to decrypt.

    Random 96-bit nonces are safe for about 2**32 encryptions per key; rotating keys (:meth:`rotate`) keeps
    each key far below that.
    """

    def __init__(self, keys: Mapping[int, bytes], current: int) -> None:
        if current not in keys:
            raise ValueError(f"current key version {current} is not among the keys")
        self._aead: dict[int, AESGCM] = {}
        for version, key in keys.items():
            if isinstance(version, bool) or not isinstance(version, int) or version < 1:
                raise ValueError("key versions are positive integers")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key version {version} must be {KEY_BYTES} bytes")
            self._aead[version] = AESGCM(bytes(key))
        self._current = current

    @property
    def current(self) -> int:
        """The key version new tokens are made with."""
        return self._current

    @staticmethod
    def _associated_data(version: int, context: str) -> bytes:
        return b"icp-field|v%d|" % version + _check_name("context", context)

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt ``plaintext`` for the column named ``context`` under the current key."""
        if not isinstance(plaintext, str):
            raise TypeError("plaintext must be a str")
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self._current].encrypt(
            nonce, plaintext.encode("utf-8"), self._associated_data(self._current, context)
        )
        return f"v{self._current}:{_b64url(nonce + sealed)}"

    def _parse(self, token: str) -> tuple[int, bytes]:
        match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
        if not match:
            raise DecryptionError("malformed token")
        version = int(match.group(1))
        try:
            blob = _unb64url(match.group(2))
        except (binascii.Error, ValueError):
            raise DecryptionError("malformed token") from None
        # Unused trailing bits make several spellings decode alike; only the canonical one is a valid token.
        if len(blob) < NONCE_BYTES + _TAG_BYTES or _b64url(blob) != match.group(2):
            raise DecryptionError("malformed token")
        return version, blob

    def version_of(self, token: str) -> int:
        """The key version a token was made with; DecryptionError if malformed."""
        return self._parse(token)[0]

    def decrypt(self, token: str, *, context: str) -> str:
        """The plaintext of a token made by :meth:`encrypt` for the same ``context``.

        DecryptionError for a malformed token, an unknown key version, another context or any tampering.
        """
        version, blob = self._parse(token)
        aead = self._aead.get(version)
        if aead is None:
            raise DecryptionError(f"unknown key version {version}")
        try:
            associated = self._associated_data(version, context)
            plain = aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], associated)
        except InvalidTag:
            # from None: nothing of the failed attempt should reach logs or tracebacks.
            raise DecryptionError(
                f"token does not authenticate for context {context} (wrong key or column, or tampered)"
            ) from None
        return plain.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        """True when the token was made with a key other than the current one."""
        return self.version_of(token) != self._current

    def rotate(self, token: str, *, context: str) -> str:
        """The token re-encrypted under the current key; a token already current is returned unchanged."""
        if not self.needs_rotation(token):
            return token
        return self.encrypt(self.decrypt(token, context=context), context=context)


class LookupHasher:
    """Keyed HMAC-SHA256 digests for equality lookups of encrypted fields (design.md §5).

    ``digest`` normalises the value (Unicode NFKC, surrounding whitespace stripped, upper-cased), so
    full-width input and a lower-case ``x`` check digit still match an ID number. Kind-specific canonical
    forms (E.164 phones, punycode domains) are the caller's job: pass the already-canonical value, and use
    the same canonicalisation when writing and when looking up. ``kind`` (e.g. ``id_number``, ``mobile``)
    separates domains, so equal strings of different kinds never share a digest.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"lookup key must be at least {KEY_BYTES} bytes")
        self._key = bytes(key)

    @staticmethod
    def normalise(value: str) -> str:
        """The form that is hashed: NFKC, stripped, upper-case."""
        return unicodedata.normalize("NFKC", value).strip().upper()

    def digest(self, value: str, *, kind: str) -> str:
        """64 lower-case hex characters; equal for equal normalised values of the same ``kind``."""
        if not isinstance(value, str):
            raise TypeError("value must be a str")
        # kind is [a-z0-9_.] only, so the NUL separator makes (kind, value) pairs unambiguous.
        message = _check_name("kind", kind) + b"\x00" + self.normalise(value).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


def _decode_key(setting: str, text: str, *, exact: bool) -> bytes:
    text = text.strip()
    try:
        # Accept both base64 alphabets: operators paste keys from different tools.
        key = base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise CryptoConfigError(f"{setting} holds a key that is not valid base64") from None
    if (exact and len(key) != KEY_BYTES) or len(key) < KEY_BYTES:
        need = "exactly" if exact else "at least"
        raise CryptoConfigError(f"{setting} holds a key that is not {need} {KEY_BYTES} bytes")
    return key


def _parse_field_keys(text: str, setting: str = "FIELD_KEYS") -> dict[int, bytes]:
    keys: dict[int, bytes] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        version_text, sep, encoded = item.partition(":")
        if not sep or not version_text.strip().isdigit() or int(version_text) < 1:
            raise CryptoConfigError(f'{setting} must look like "1:<base64>,2:<base64>"')
        version = int(version_text)
        if version in keys:
            raise CryptoConfigError(f"{setting} lists key version {version} twice")
        keys[version] = _decode_key(f"{setting} version {version}", encoded, exact=True)
    if not keys:
        raise CryptoConfigError(f"{setting} is empty")
    return keys


def _key_ring(config: Mapping[str, Any], keys_name: str, current_name: str, dev_key: bytes,
              fallback) -> tuple[dict[int, bytes], int]:
    """``({version: key}, current version)`` from ``keys_name``/``current_name``; ``fallback(name)`` decides
    whether the DEVELOPMENT key may stand in for a missing ring."""
    if _missing(config, keys_name):
        fallback(keys_name)
        keys: dict[int, bytes] = {1: dev_key}
        current_default: int | None = 1
    else:
        keys = _parse_field_keys(str(config[keys_name]), keys_name)
        current_default = None
    if _missing(config, current_name):
        if current_default is None:
            raise CryptoConfigError(f"{current_name} is not set: name the {keys_name} version to encrypt with")
        return keys, current_default
    try:
        current = int(str(config[current_name]).strip())
    except ValueError:
        raise CryptoConfigError(f"{current_name} must be an integer key version") from None
    if current not in keys:
        raise CryptoConfigError(f"{current_name} {current} is not a version listed in {keys_name}")
    return keys, current


def _missing(config: Mapping[str, Any], name: str) -> bool:
    value = config.get(name)
    return value is None or str(value).strip() == ""


@dataclass(frozen=True)
class CryptoConfig:
    """The keys for personal data, read from config once at start-up."""

    field_keys: Mapping[int, bytes] = field(repr=False)
    current: int
    lookup_key: bytes = field(repr=False)
    development: bool
    """True when any DEVELOPMENT key is in use: such data is not confidential."""
    exchange_keys: Mapping[int, bytes] = field(repr=False, default_factory=lambda: {1: DEV_EXCHANGE_KEY})
    exchange_current: int = 1
    exchange_lookup_key: bytes = field(repr=False, default=hashlib.sha256(DEV_EXCHANGE_KEY).digest())

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CryptoConfig:
        """Read FIELD_KEYS, FIELD_KEY_CURRENT and LOOKUP_KEY (module docstring).

        A missing key falls back to its DEVELOPMENT key only if ``ALLOW_DEV_KEYS`` (bool or true/false, 1/0,
        yes/no, on/off; default true) is true; otherwise, or for any malformed value, CryptoConfigError names
        the setting.
        """
        allow_dev = flag("ALLOW_DEV_KEYS", config.get("ALLOW_DEV_KEYS", True), CryptoConfigError)
        development = False

        def fallback(name: str) -> None:
            nonlocal development
            if not allow_dev:
                raise CryptoConfigError(f"{name} is not set and ALLOW_DEV_KEYS is false (design.md §5)")
            development = True

        field_keys, current = _key_ring(config, "FIELD_KEYS", "FIELD_KEY_CURRENT", DEV_FIELD_KEY, fallback)
        exchange_keys, exchange_current = _key_ring(
            config, "EXCHANGE_KEYS", "EXCHANGE_KEY_CURRENT", DEV_EXCHANGE_KEY, fallback
        )
        if _missing(config, "LOOKUP_KEY"):
            fallback("LOOKUP_KEY")
            lookup_key = DEV_LOOKUP_KEY
        else:
            lookup_key = _decode_key("LOOKUP_KEY", str(config["LOOKUP_KEY"]), exact=False)
        # derived from the ring's oldest key, which every actor holds (ADR 0006: re-key before dropping it)
        oldest = exchange_keys[min(exchange_keys)]
        exchange_lookup_key = hmac.new(oldest, b"icp exchange lookup", hashlib.sha256).digest()
        return cls(
            field_keys=dict(field_keys), current=current, lookup_key=lookup_key, development=development,
            exchange_keys=dict(exchange_keys), exchange_current=exchange_current,
            exchange_lookup_key=exchange_lookup_key,
        )

    def cipher(self) -> FieldCipher:
        return FieldCipher(self.field_keys, self.current)

    def hasher(self) -> LookupHasher:
        return LookupHasher(self.lookup_key)

    def exchange(self) -> FieldCipher:
        return FieldCipher(self.exchange_keys, self.exchange_current)

    def exchange_lookup(self) -> LookupHasher:
        """Digests every actor holding the exchange lookup key computes alike (X1, docs/decisions/0006)."""
        return LookupHasher(self.exchange_lookup_key)


@dataclass(frozen=True)
class PersonalDataTools:
    """What :class:`PersonalData` gives a worker."""

    cipher: FieldCipher
    hasher: LookupHasher
    exchange: FieldCipher
    exchange_lookup: LookupHasher | None = None


class PersonalData(DependencyProvider):
    """nameko dependency giving entrypoints ``.cipher`` (FieldCipher) and ``.hasher`` (LookupHasher).

    Keys are read in ``setup()`` (design.md §5): a missing key with ``ALLOW_DEV_KEYS=false`` stops the service
    at start-up with CryptoConfigError naming it; DEVELOPMENT keys log a warning.
    """

    tools: PersonalDataTools

    def setup(self) -> None:
        config = CryptoConfig.from_config(self.container.config)
        if config.development:
            log.warning(
                "personal data uses DEVELOPMENT keys (FIELD_KEYS/LOOKUP_KEY unset): not confidential; "
                "set the keys and ALLOW_DEV_KEYS=false in production"
            )
        self.tools = PersonalDataTools(cipher=config.cipher(), hasher=config.hasher(), exchange=config.exchange(),
                                       exchange_lookup=config.exchange_lookup())

    def get_dependency(self, worker_ctx: Any) -> PersonalDataTools:
        return self.tools
