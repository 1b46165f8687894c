"""Notify's personal data at rest, for the key rotation job (``icp-rotate-keys notify``, issue 8): recipients,
and the texts that carry a one-time code."""
from notify.models import Message
from notify.usecases.common import RECIPIENT_CONTEXT, TEXT_CONTEXT
from shared.platform.rotation import token_column

_MESSAGES = Message.__table__
SEALED = [
    token_column(_MESSAGES, "recipient_token", RECIPIENT_CONTEXT),
    token_column(_MESSAGES, "text", TEXT_CONTEXT, where=_MESSAGES.c.text_sealed.is_(True)),
]
