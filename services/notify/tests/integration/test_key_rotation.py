"""Issue 8, design.md §5: notify's personal data (each message's recipient, and a text that carries a one-time code)
written under an old FIELD_KEYS version is still delivered after the switch to a new one, and the rotation job
re-encrypts it, so the old key can go (real PostgreSQL)."""
import base64
import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from notify import domain
from notify.dependencies import GatewaySet
from notify.domain import RetryPolicy
from notify.gateways import FileEmailSink, FileSmsSink
from notify.repository import NotifyUnitOfWork
from notify.rotation import SEALED
from notify.usecases import common, delivery, recording
from shared.platform.crypto import CryptoConfig
from shared.platform.rotation import main, rotate_keys

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "config.yaml"
K1, K2, K3 = (base64.b64encode(os.urandom(32)).decode() for _ in range(3))
MOBILE, EMAIL = "13800138000", "zhangsan@example.com.cn"
# (template, channel, recipient, parameters): two texts with a code (sealed), one without (kept as it is).
MESSAGES = [(domain.CONTACT_CODE, "sms", MOBILE, {"code": "482913"}),
            (domain.CONTACT_CODE, "email", EMAIL, {"code": "730164"}),
            (domain.PRECHECK_PASSED, "sms", MOBILE, {})]


def _crypto(keys: str, current: str) -> CryptoConfig:
    return CryptoConfig.from_config({"FIELD_KEYS": keys, "FIELD_KEY_CURRENT": current, "ALLOW_DEV_KEYS": "true"})


def _now() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=5)


def _recorder(keys: str, current: str) -> common.Recorder:
    crypto = _crypto(keys, current)
    return common.Recorder(cipher=crypto.cipher(), hasher=crypto.hasher(), now=_now)


def _courier(keys: str, current: str, sinks: Path) -> common.Courier:
    return common.Courier(
        cipher=_crypto(keys, current).cipher(),
        gateways=GatewaySet(FileSmsSink(str(sinks / "sms.jsonl")), FileEmailSink(str(sinks / "email.jsonl"))),
        policy=RetryPolicy(max_attempts=3, base=timedelta(seconds=10), cap=timedelta(seconds=60)),
        sending_lease=timedelta(seconds=300), now=_now)


def _versions(engine) -> set[str]:
    with engine.connect() as connection:
        tokens = [*connection.execute(text("SELECT recipient_token FROM messages")).scalars(),
                  *connection.execute(text("SELECT text FROM messages WHERE text_sealed")).scalars()]
    return {token.split(":", 1)[0] for token in tokens}


def _delivered(sinks: Path) -> list[tuple[str, str]]:
    return sorted((entry["to"], entry["text"]) for sink in (FileSmsSink(str(sinks / "sms.jsonl")),
                                                                  FileEmailSink(str(sinks / "email.jsonl")))
                  for entry in sink.read())


@pytest.mark.req("W4")
def test_old_key_messages_deliver_after_rotation_and_the_job_re_encrypts_them(database_factory, tmp_path,
                                                                                monkeypatch, capsys):
    url = database_factory("notify")
    engine = create_engine(url)
    ids = []
    with Session(engine) as session:
        uow, recorder = NotifyUnitOfWork(session), _recorder(f"1:{K1}", "1")
        for name, channel, recipient, params in MESSAGES * 2:
            message, created = recording.request_message(
                uow, recorder, cause_id=str(uuid.uuid4()), correlation_id=str(uuid.uuid4()),
                template=domain.template(name, channel), recipient=recipient, params=params)
            assert created
            ids.append(message.id)
        session.commit()
    assert _versions(engine) == {"v1"}

    with Session(engine, expire_on_commit=False) as session:  # the new key is current: old messages still go out
        uow, courier = NotifyUnitOfWork(session), _courier(f"1:{K1},2:{K2}", "2", tmp_path)
        for message_id in ids[:3]:
            assert delivery.deliver(uow, courier, message_id).state == "delivered"
    assert len(_delivered(tmp_path)) == 3

    crypto = _crypto(f"1:{K1},2:{K2}", "2")
    assert rotate_keys(engine, crypto.cipher(), SEALED, batch=2) == {"messages.recipient_token": 6,
                                                                     "messages.text": 4}
    assert _versions(engine) == {"v2"}
    assert set(rotate_keys(engine, crypto.cipher(), SEALED).values()) == {0}  # idempotent

    with Session(engine, expire_on_commit=False) as session:  # the old key is gone: the rest still goes out
        uow, courier = NotifyUnitOfWork(session), _courier(f"2:{K2}", "2", tmp_path)
        for message_id in ids[3:]:
            assert delivery.deliver(uow, courier, message_id).state == "delivered"
    delivered = _delivered(tmp_path)
    assert len(delivered) == 6 and all(delivered.count(d) == 2 for d in delivered)  # the same, before and after
    assert {to for to, _ in delivered} == {MOBILE, EMAIL}
    assert sum("482913" in text or "730164" in text for _, text in delivered) == 4

    # The command runs the same job with the service's config.yaml settings.
    monkeypatch.setenv("NOTIFY_DB_URL", url)
    monkeypatch.setenv("FIELD_KEYS", f"2:{K2},3:{K3}")
    monkeypatch.setenv("FIELD_KEY_CURRENT", "3")
    assert main(["notify", "--config", str(CONFIG)]) == 0
    out = capsys.readouterr().out
    assert "messages.recipient_token: 6 re-encrypted" in out and "messages.text: 4 re-encrypted" in out
    assert _versions(engine) == {"v3"}
    engine.dispose()
