"""Field-by-field encryption of the personal fields inside a nested dict (design.md §5).

Each listed path (``contacts.mobile``) is replaced by a ``FieldCipher`` token whose associated data is
``<context>.<path>``, so a token cannot be moved to another field or another store. ``None`` stays ``None``.
"""

import copy
from collections.abc import Iterable


def _walk(data: dict, path: str):
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None, leaf
    return (node if isinstance(node, dict) else None), leaf


def _transform(data: dict, paths: Iterable[str], context: str, fn) -> dict:
    out = copy.deepcopy(data)
    for path in paths:
        node, leaf = _walk(out, path)
        if node is not None and node.get(leaf) is not None:
            node[leaf] = fn(str(node[leaf]), context=f"{context}.{path}")
    return out


def seal(data: dict, paths: Iterable[str], cipher, context: str) -> dict:
    return _transform(data, paths, context, cipher.encrypt)


def unseal(data: dict, paths: Iterable[str], cipher, context: str) -> dict:
    return _transform(data, paths, context, cipher.decrypt)


def mask_value(path: str, value: str) -> str:
    """How a personal field is shown to a caller who does not need the full value (design.md §5):
    IDs ``110105********002X``, phones ``138****8000``, e-mail ``z***@example.com``, names ``张*``,
    addresses their first six characters."""
    leaf = path.rsplit(".", 1)[-1]
    if "@" in value and leaf == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if leaf == "document_number":
        return value[:6] + "*" * max(len(value) - 10, 2) + value[-4:] if len(value) > 10 else value[:2] + "***"
    if leaf in ("mobile", "office_phone", "home_phone"):
        return value[:3] + "****" + value[-4:] if len(value) >= 8 else "****"
    if leaf == "postal_address":
        return value[:6] + "***"
    return value[:1] + "*" * max(len(value) - 1, 1)


def mask(data: dict, paths: Iterable[str]) -> dict:
    return _transform(data, paths, "", lambda value, context: mask_value(context[1:], value))
