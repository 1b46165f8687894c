"""Field-by-field encryption of the personal fields inside a nested dict (design.md §5).

Each listed path (``contacts.mobile``) is replaced by a ``FieldCipher`` token whose associated data is
``<context>.<path>``, so a token cannot be moved to another field or another store. ``None`` stays ``None``.
"""

import copy
from collections.abc import Iterable

from shared.platform.logging import mask_field


def _walk(data: dict, path: str):
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None, leaf
    return (node if isinstance(node, dict) else None), leaf


def value_at(data: dict, path: str):
    """The value at the dotted ``path`` of ``data`` (``contacts.mobile``), or None where the path is absent."""
    node, leaf = _walk(data, path)
    return None if node is None else node.get(leaf)


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


def mask(data: dict, paths: Iterable[str]) -> dict:
    """``data`` with the personal fields at ``paths`` masked for display (design.md §5)."""
    return _transform(data, paths, "", lambda value, context: mask_field(context.rsplit(".", 1)[-1], value))


def reseal(data: dict, paths: Iterable[str], cipher, context: str) -> dict:
    """``data`` with every sealed field made with an older key re-encrypted under the cipher's current key
    (key rotation; fields already current are left as they are)."""
    return _transform(data, paths, context, cipher.rotate)
