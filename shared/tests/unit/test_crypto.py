"""Field encryption and lookup hashing of personal data (design.md §5; W4: evidence is kept confidential)."""

from __future__ import annotations

import base64
import logging
from unittest.mock import Mock

import pytest

from shared.platform.crypto import (
    DEV_EXCHANGE_KEY,
    DEV_FIELD_KEY,
    DEV_LOOKUP_KEY,
    CryptoConfig,
    CryptoConfigError,
    DecryptionError,
    FieldCipher,
    LookupHasher,
    PersonalData,
)

pytestmark = [pytest.mark.unit, pytest.mark.req("W4")]

KEY1 = bytes(range(32))
KEY2 = bytes(range(32, 64))
LOOKUP = bytes(range(64, 96))
ID_COLUMN = "intake.responsible_person.id_number"
PHONE_COLUMN = "intake.responsible_person.mobile"
ID_NUMBER = "11010519491231002X"


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def cipher() -> FieldCipher:
    return FieldCipher({1: KEY1}, current=1)


# --- FieldCipher --------------------------------------------------------------------------------


def test_round_trip(cipher: FieldCipher) -> None:
    for text in (ID_NUMBER, "", "北京市朝阳区建国路 88 号", "a" * 10_000):
        assert cipher.decrypt(cipher.encrypt(text, context=ID_COLUMN), context=ID_COLUMN) == text


def test_token_is_compact_ascii_naming_the_key_version(cipher: FieldCipher) -> None:
    token = cipher.encrypt(ID_NUMBER, context=ID_COLUMN)
    assert token.startswith("v1:")
    assert token.isascii() and "=" not in token and "\n" not in token
    assert ID_NUMBER not in token
    # 12-byte nonce + 18-byte ciphertext + 16-byte tag, base64url without padding.
    assert len(token) == len("v1:") + 62


def test_same_plaintext_gives_different_tokens(cipher: FieldCipher) -> None:
    tokens = {cipher.encrypt(ID_NUMBER, context=ID_COLUMN) for _ in range(50)}
    assert len(tokens) == 50


def test_token_moved_to_another_column_fails(cipher: FieldCipher) -> None:
    token = cipher.encrypt(ID_NUMBER, context=ID_COLUMN)
    with pytest.raises(DecryptionError, match=PHONE_COLUMN):
        cipher.decrypt(token, context=PHONE_COLUMN)


@pytest.mark.parametrize("position", [3, 10, 30, -1])
def test_tampered_token_fails(cipher: FieldCipher, position: int) -> None:
    token = cipher.encrypt(ID_NUMBER, context=ID_COLUMN)
    flipped = "B" if token[position] == "A" else "A"
    tampered = token[:position] + flipped + (token[position + 1:] if position != -1 else "")
    with pytest.raises(DecryptionError):
        cipher.decrypt(tampered, context=ID_COLUMN)


@pytest.mark.parametrize(
    "token",
    ["", "v1", "v1:", "1:abcd", "v0:" + "A" * 40, "v1:" + "A" * 10, "v1:not base64!", "v1:" + "A" * 41,
     "V1:" + "A" * 40],
)
def test_malformed_token_fails(cipher: FieldCipher, token: str) -> None:
    with pytest.raises(DecryptionError, match="malformed"):
        cipher.decrypt(token, context=ID_COLUMN)


def test_unknown_key_version_fails(cipher: FieldCipher) -> None:
    token = FieldCipher({7: KEY2}, current=7).encrypt(ID_NUMBER, context=ID_COLUMN)
    with pytest.raises(DecryptionError, match="unknown key version 7"):
        cipher.decrypt(token, context=ID_COLUMN)


def test_relabelled_key_version_fails() -> None:
    # Same key bytes under two versions: only the authenticated version label tells them apart.
    cipher = FieldCipher({1: KEY1, 2: KEY1}, current=1)
    token = cipher.encrypt(ID_NUMBER, context=ID_COLUMN)
    with pytest.raises(DecryptionError):
        cipher.decrypt("v2:" + token[3:], context=ID_COLUMN)


def test_rotation_from_key_1_to_key_2() -> None:
    old_token = FieldCipher({1: KEY1}, current=1).encrypt(ID_NUMBER, context=ID_COLUMN)
    cipher = FieldCipher({1: KEY1, 2: KEY2}, current=2)

    assert cipher.decrypt(old_token, context=ID_COLUMN) == ID_NUMBER
    assert cipher.needs_rotation(old_token)

    rotated = cipher.rotate(old_token, context=ID_COLUMN)
    assert rotated.startswith("v2:")
    assert not cipher.needs_rotation(rotated)
    assert cipher.decrypt(rotated, context=ID_COLUMN) == ID_NUMBER
    assert cipher.rotate(rotated, context=ID_COLUMN) == rotated
    # Once every row is rotated, key 1 can be dropped.
    assert FieldCipher({2: KEY2}, current=2).decrypt(rotated, context=ID_COLUMN) == ID_NUMBER


def test_rotation_keeps_the_column_binding() -> None:
    old_token = FieldCipher({1: KEY1}, current=1).encrypt(ID_NUMBER, context=ID_COLUMN)
    cipher = FieldCipher({1: KEY1, 2: KEY2}, current=2)
    with pytest.raises(DecryptionError):
        cipher.rotate(old_token, context=PHONE_COLUMN)


@pytest.mark.parametrize(
    ("keys", "current"),
    [({1: KEY1}, 2), ({1: KEY1[:16]}, 1), ({0: KEY1}, 0), ({}, 1)],
)
def test_cipher_refuses_bad_keys(keys: dict[int, bytes], current: int) -> None:
    with pytest.raises(ValueError):
        FieldCipher(keys, current)


@pytest.mark.parametrize("context", ["", "Intake.ID", "intake id", "intake..id", "身份证"])
def test_context_must_be_a_dotted_name(cipher: FieldCipher, context: str) -> None:
    with pytest.raises(ValueError):
        cipher.encrypt(ID_NUMBER, context=context)


def test_errors_never_contain_plaintext_or_token(cipher: FieldCipher) -> None:
    token = cipher.encrypt(ID_NUMBER, context=ID_COLUMN)
    middle = len(token) // 2  # a middle character carries 6 bits of the ciphertext (the last two may end in "AA")
    tampered = token[:middle] + ("B" if token[middle] == "A" else "A") + token[middle + 1:]
    attempts = [
        lambda: cipher.decrypt(token, context=PHONE_COLUMN),
        lambda: cipher.decrypt(tampered, context=ID_COLUMN),
        lambda: cipher.decrypt(token.replace("v1:", "v9:"), context=ID_COLUMN),
        lambda: cipher.decrypt(ID_NUMBER, context=ID_COLUMN),  # plaintext stored by mistake
    ]
    for attempt in attempts:
        with pytest.raises(DecryptionError) as caught:
            attempt()
        text = str(caught.value) + repr(caught.value)
        assert ID_NUMBER not in text and ID_NUMBER[:6] not in text
        assert token[3:] not in text
        assert caught.value.__cause__ is None
        assert caught.value.__context__ is None or caught.value.__suppress_context__


# --- LookupHasher --------------------------------------------------------------------------------


def test_digest_is_stable_keyed_hex() -> None:
    hasher = LookupHasher(LOOKUP)
    digest = hasher.digest(ID_NUMBER, kind="id_number")
    assert digest == LookupHasher(LOOKUP).digest(ID_NUMBER, kind="id_number")
    assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    assert ID_NUMBER.lower() not in digest
    assert LookupHasher(KEY1).digest(ID_NUMBER, kind="id_number") != digest


def test_digest_is_separated_by_kind() -> None:
    hasher = LookupHasher(LOOKUP)
    assert hasher.digest("13800138000", kind="mobile") != hasher.digest("13800138000", kind="office_phone")


def test_digest_normalises_whitespace_case_and_full_width() -> None:
    hasher = LookupHasher(LOOKUP)
    expected = hasher.digest(ID_NUMBER, kind="id_number")
    assert hasher.digest(" 11010519491231002x\n", kind="id_number") == expected
    assert hasher.digest("１１０１０５１９４９１２３１００２Ｘ", kind="id_number") == expected
    assert hasher.digest("11010519491231002Y", kind="id_number") != expected


def test_lookup_key_must_be_long_enough() -> None:
    with pytest.raises(ValueError):
        LookupHasher(b"short")


# --- configuration and the nameko dependency ------------------------------------------------------------


def test_config_reads_keys() -> None:
    config = CryptoConfig.from_config(
        {"FIELD_KEYS": f"1:{b64(KEY1)}, 2:{b64(KEY2)}", "FIELD_KEY_CURRENT": "2", "LOOKUP_KEY": b64(LOOKUP),
         "EXCHANGE_KEYS": f"3:{b64(KEY2)}", "EXCHANGE_KEY_CURRENT": "3", "ALLOW_DEV_KEYS": "false"}
    )
    assert config.current == 2 and not config.development
    assert dict(config.exchange_keys) == {3: KEY2} and config.exchange().current == 3
    assert dict(config.field_keys) == {1: KEY1, 2: KEY2}
    old = FieldCipher({1: KEY1}, 1).encrypt(ID_NUMBER, context=ID_COLUMN)
    assert config.cipher().decrypt(old, context=ID_COLUMN) == ID_NUMBER
    assert config.hasher().digest("x", kind="k") == LookupHasher(LOOKUP).digest("x", kind="k")
    assert b64(KEY1) not in repr(config)


def test_config_accepts_urlsafe_base64() -> None:
    key = bytes([0xFB] * 32)  # encodes with '+' / '/' in the standard alphabet
    urlsafe = base64.urlsafe_b64encode(key).decode()
    config = CryptoConfig.from_config({"FIELD_KEYS": f"1:{urlsafe}", "FIELD_KEY_CURRENT": 1,
                                       "LOOKUP_KEY": urlsafe})
    assert config.field_keys[1] == key


def test_config_falls_back_to_development_keys_by_default() -> None:
    config = CryptoConfig.from_config({})
    assert config.development
    assert dict(config.field_keys) == {1: DEV_FIELD_KEY} and config.current == 1
    assert config.lookup_key == DEV_LOOKUP_KEY
    assert dict(config.exchange_keys) == {1: DEV_EXCHANGE_KEY}


@pytest.mark.parametrize("flag", [False, "false", "0", "no"])
@pytest.mark.parametrize("missing", ["FIELD_KEYS", "LOOKUP_KEY", "EXCHANGE_KEYS"])
def test_config_without_dev_keys_names_the_missing_key(flag: object, missing: str) -> None:
    config = {"FIELD_KEYS": f"1:{b64(KEY1)}", "FIELD_KEY_CURRENT": "1", "LOOKUP_KEY": b64(LOOKUP),
              "EXCHANGE_KEYS": f"1:{b64(KEY2)}", "EXCHANGE_KEY_CURRENT": "1", "ALLOW_DEV_KEYS": flag}
    del config[missing]
    config.pop(missing.replace("_KEYS", "_KEY_CURRENT"), None)
    with pytest.raises(CryptoConfigError, match=missing):
        CryptoConfig.from_config(config)


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ({"FIELD_KEYS": f"1:{b64(KEY1)}"}, "FIELD_KEY_CURRENT"),
        ({"FIELD_KEYS": f"1:{b64(KEY1)}", "FIELD_KEY_CURRENT": "2"}, "FIELD_KEY_CURRENT"),
        ({"FIELD_KEYS": f"1:{b64(KEY1)}", "FIELD_KEY_CURRENT": "one"}, "FIELD_KEY_CURRENT"),
        ({"FIELD_KEYS": b64(KEY1), "FIELD_KEY_CURRENT": "1"}, "FIELD_KEYS"),
        ({"FIELD_KEYS": f"1:{b64(KEY1[:16])}", "FIELD_KEY_CURRENT": "1"}, "FIELD_KEYS version 1"),
        ({"FIELD_KEYS": "1:???", "FIELD_KEY_CURRENT": "1"}, "FIELD_KEYS version 1"),
        ({"FIELD_KEYS": f"1:{b64(KEY1)},1:{b64(KEY2)}", "FIELD_KEY_CURRENT": "1"}, "twice"),
        ({"LOOKUP_KEY": b64(b"short")}, "LOOKUP_KEY"),
        ({"ALLOW_DEV_KEYS": "flase"}, "ALLOW_DEV_KEYS"),
        ({"EXCHANGE_KEYS": f"1:{b64(KEY1)}", "EXCHANGE_KEY_CURRENT": "2"}, "EXCHANGE_KEY_CURRENT"),
        ({"EXCHANGE_KEYS": "1:???"}, "EXCHANGE_KEYS version 1"),
    ],
)
def test_config_names_malformed_settings_without_their_values(config: dict[str, str], named: str) -> None:
    with pytest.raises(CryptoConfigError, match=named) as caught:
        CryptoConfig.from_config(config)
    assert b64(KEY1) not in str(caught.value) and b64(KEY1[:16]) not in str(caught.value)


def test_personal_data_dependency_gives_cipher_and_hasher() -> None:
    container = Mock(config={"FIELD_KEYS": f"1:{b64(KEY1)}", "FIELD_KEY_CURRENT": "1",
                             "LOOKUP_KEY": b64(LOOKUP), "EXCHANGE_KEYS": f"1:{b64(KEY2)}",
                             "EXCHANGE_KEY_CURRENT": "1", "ALLOW_DEV_KEYS": False})
    provider = PersonalData().bind(container, "personal_data")
    provider.setup()
    tools = provider.get_dependency(Mock())
    token = tools.cipher.encrypt(ID_NUMBER, context=ID_COLUMN)
    assert FieldCipher({1: KEY1}, 1).decrypt(token, context=ID_COLUMN) == ID_NUMBER
    assert tools.hasher.digest(ID_NUMBER, kind="id_number") == LookupHasher(LOOKUP).digest(
        ID_NUMBER, kind="id_number"
    )
    context = "exchange.responsible_person.document_number"
    crossing = tools.exchange.encrypt(ID_NUMBER, context=context)
    assert FieldCipher({1: KEY2}, 1).decrypt(crossing, context=context) == ID_NUMBER


def test_personal_data_dependency_fails_at_start_up_without_keys() -> None:
    container = Mock(config={"ALLOW_DEV_KEYS": "false"})
    provider = PersonalData().bind(container, "personal_data")
    with pytest.raises(CryptoConfigError, match="FIELD_KEYS"):
        provider.setup()


def test_personal_data_dependency_warns_about_development_keys(caplog: pytest.LogCaptureFixture) -> None:
    container = Mock(config={})
    provider = PersonalData().bind(container, "personal_data")
    with caplog.at_level(logging.WARNING, logger="shared.platform.crypto"):
        provider.setup()
    assert "DEVELOPMENT keys" in caplog.text


@pytest.mark.req("X1")
def test_the_exchange_lookup_key_is_the_same_for_every_actor_holding_the_ring():
    """ADR 0006: a provider and a bureau holding the same exchange ring make the same sponsor key; another ring, or
    the provider's own LOOKUP_KEY, makes another (a digest is never comparable across the two)."""
    provider = CryptoConfig.from_config({"EXCHANGE_KEYS": f"1:{b64(KEY1)},2:{b64(KEY2)}", "EXCHANGE_KEY_CURRENT": "2"})
    bureau = CryptoConfig.from_config({"EXCHANGE_KEYS": f"1:{b64(KEY1)}", "EXCHANGE_KEY_CURRENT": "1",
                                       "LOOKUP_KEY": b64(KEY2)})
    other = CryptoConfig.from_config({"EXCHANGE_KEYS": f"1:{b64(KEY2)}", "EXCHANGE_KEY_CURRENT": "1"})
    digest = [c.exchange_lookup().digest("unit:91110108MA01C3H77W", kind="sponsor_document")
              for c in (provider, bureau, other)]
    assert digest[0] == digest[1] != digest[2]
    assert digest[0] != provider.hasher().digest("unit:91110108MA01C3H77W", kind="sponsor_document")
