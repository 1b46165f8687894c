"""Every error a service can answer has its sentence in both message catalogues (issue 19, X6): the HTTP layer
reads each field error's text and each error answer's own sentence from shared/i18n by code, so a code without
an entry would silently fall back to the service's English for a Chinese caller.

The codes are collected from the code itself: the second argument of ``FieldError``/``about`` (and of any
function or class taking a ``code`` parameter: ``InvalidValue``, ``body_error``...), every ``{"field", "code"}``
dict literal, precheck's findings ``(field, code, message)``, marshmallow's codes (``MARSHMALLOW_CODES``) and each
``WireError`` class's own ``code`` (an error answer's sentence, ``error.<code>``)."""

import ast
import re
from pathlib import Path

import pytest

from audit.domain import AUTHORITY_MESSAGES, shipped_rules
from shared.contracts.errors import MARSHMALLOW_CODES
from shared.i18n import LOCALES, translations

pytestmark = pytest.mark.contract

REPO = Path(__file__).resolve().parents[2]
CHINESE = re.compile(r"[\u4e00-\u9fff]")
NOT_SENT = {"services/portal"}  # the portal answers pages, not API errors; its own codes are its templates' test's
DYNAMIC = {
    # codes built from a value (audit's P9 ID check and C1 phone check): the values each can take
    "authority_": tuple(AUTHORITY_MESSAGES),
    "phone_": tuple(r for r in shipped_rules().phone_results if r != "confirmed"),
}


def _sources() -> list[Path]:
    found = []
    for path in sorted((REPO / "services").glob("*/*/**/*.py")) + sorted((REPO / "shared").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if not any(part in relative for part in ("/tests/", "/testing/", "/migrations/", *NOT_SENT)):
            found.append(path)
    return found


def _text(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _code_positions(tree: ast.Module) -> dict[str, int]:
    """Every function, method or class of ``tree`` that takes a ``code``: its name -> the argument's position
    (a class by its ``__init__``, or ``-1`` for "as its base class")."""
    positions = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            target = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            if target is None and node.bases:
                positions[node.name] = -1 - len(positions)  # resolved below, by its base's name
                positions[f"base:{node.name}"] = getattr(node.bases[0], "id", None)
                continue
        elif isinstance(node, ast.FunctionDef) and node.name != "__init__":
            target = node
        else:
            continue
        names = [a.arg for a in target.args.args if a.arg not in ("self", "cls")] if target else []
        if "code" in names:
            positions[node.name] = names.index("code")
    return positions


def _resolve(local: dict, shared: dict) -> dict[str, int]:
    """A file's positions: its own first, then the names every other file agrees on; a class without its own
    ``__init__`` takes its base's."""
    resolved = {**shared, **{k: v for k, v in local.items() if not k.startswith("base:") and v >= 0}}
    for name, value in local.items():
        if not name.startswith("base:") and value < 0 and local[f"base:{name}"] in resolved:
            resolved[name] = resolved[local[f"base:{name}"]]
    return resolved


def emitted_codes() -> tuple[set[str], set[str]]:
    """``(field-error codes, error-answer codes)`` the services can send, read from their source."""
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in _sources()]
    local = [_code_positions(tree) for tree in trees]
    seen: dict[str, set[int]] = {"FieldError": {1}}
    for positions in local:
        for name, position in positions.items():
            if not name.startswith("base:") and position >= 0:
                seen.setdefault(name, set()).add(position)
    shared = {name: next(iter(found)) for name, found in seen.items() if len(found) == 1}
    codes, answers = {code for _, code in MARSHMALLOW_CODES} | {"invalid"}, {"internal", "http"}
    for tree, own in zip(trees, local, strict=True):
        positions = _resolve(own, shared)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                position = positions.get(name)
                if position is not None and len(node.args) > position and _text(node.args[position]):
                    codes.add(_text(node.args[position]))
                for keyword in node.keywords:
                    if keyword.arg == "code" and position is not None and _text(keyword.value):
                        codes.add(_text(keyword.value))
            elif isinstance(node, ast.Dict):
                keys = [_text(k) if k is not None else None for k in node.keys]
                if "field" in keys and "code" in keys:
                    value = node.values[keys.index("code")]
                    if _text(value):
                        codes.add(_text(value))
                    elif isinstance(value, ast.JoinedStr) and _text(value.values[0]) in DYNAMIC:
                        codes |= {_text(value.values[0]) + v for v in DYNAMIC[_text(value.values[0])]}
            elif isinstance(node, ast.Tuple) and len(node.elts) == 3 and all(_text(e) for e in node.elts) \
                    and re.fullmatch(r"[a-z][a-z0-9_.*]*", _text(node.elts[0])) \
                    and re.fullmatch(r"[a-z][a-z0-9_]*", _text(node.elts[1])) and " " in _text(node.elts[2]):
                codes.add(_text(node.elts[1]))  # precheck's findings: (field, code, message)
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and getattr(statement.targets[0], "id", None) == "code" \
                            and _text(statement.value):
                        answers.add(_text(statement.value))
    return codes, answers


def test_the_collector_finds_the_codes_of_every_layer():
    codes, answers = emitted_codes()
    assert {"check_digit", "malformed_json", "too_large", "wrong_code", "not_full_name", "already_recorded",
            "reused", "form_not_valid", "authority_mismatch", "unknown_field", "window_closed"} <= codes
    assert {"validation_failed", "not_found", "uri_too_long", "method_not_allowed", "internal"} <= answers


@pytest.mark.req("X6")
@pytest.mark.parametrize("locale", LOCALES)
def test_every_error_code_a_service_can_send_has_its_sentence_in_both_catalogues(locale):
    codes, answers = emitted_codes()
    catalogue = translations(locale)
    missing = sorted(c for c in codes if catalogue.pgettext("error", c) == c)
    missing += sorted(f"error.{c}" for c in answers if catalogue.pgettext("message", f"error.{c}") == f"error.{c}")
    assert missing == []
    if locale == "zh_CN":
        english = sorted(c for c in codes if not CHINESE.search(catalogue.pgettext("error", c)))
        assert english == []
